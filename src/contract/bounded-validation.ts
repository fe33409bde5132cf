/**
 * Schema validation whose cost is bounded for any input (issue 7, defect 2). A valid payload is checked
 * once, by a validator that stops at the first error. Only an invalid one gets a list of its problems,
 * computed on a clipped copy of at most about REPORT_NODE_BUDGET values (the first ones, depth first):
 * a payload of a million empty objects costs one linear pass and a thousand more steps — not millions
 * of error objects (ajv's allErrors) or a quadratic uniqueness check.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';

/**
 * Values (objects, arrays, scalars) of the payload examined to list its problems. Small on purpose:
 * ajv's allErrors concatenates the errors of every `$ref`ed item into one array, which is quadratic in
 * the number of failing items (10,000 empty objects: seconds); 1,000 values list well over the 100
 * problems a refusal shows.
 */
export const REPORT_NODE_BUDGET = 1_000;
/** Properties of one object kept in the copy (the schema's objects have at most eight). */
const MAX_PROPERTIES = 32;
/** Nesting kept in the copy (the schema is eight levels deep). */
const MAX_DEPTH = 16;

export type BoundedResult =
  | { valid: true }
  | { valid: false; errors: ErrorObject[]; examinedNodes: number; clipped: boolean };

export interface Clipped {
  value: unknown;
  /** Values copied. */
  nodes: number;
  /** JSON pointers of the arrays and objects that lost elements or properties in the copy. */
  cut: Set<string>;
}

/**
 * A depth-first copy of `value`: array elements are copied while fewer than `budget` values have been;
 * objects keep their first MAX_PROPERTIES properties; nothing deeper than MAX_DEPTH is copied.
 */
export function clipForReport(value: unknown, budget = REPORT_NODE_BUDGET): Clipped {
  let nodes = 0;
  const cut = new Set<string>();
  const copy = (v: unknown, pointer: string, depth: number): unknown => {
    nodes++;
    if (v === null || typeof v !== 'object') return v;
    if (depth >= MAX_DEPTH) {
      cut.add(pointer);
      return Array.isArray(v) ? [] : {};
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) {
        if (nodes >= budget) {
          cut.add(pointer);
          break;
        }
        out.push(copy(v[i], `${pointer}/${i}`, depth + 1));
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    let kept = 0;
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      if (kept++ >= MAX_PROPERTIES) {
        cut.add(pointer);
        break;
      }
      out[key] = copy((v as Record<string, unknown>)[key], `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1);
    }
    return out;
  };
  return { value: copy(value, '', 0), nodes, cut };
}

/**
 * `firstError` stops at the first error; `allErrors` lists every error of what it is given (the clipped
 * copy). Errors the clipping itself caused — minItems or required where the copy was cut — are dropped.
 */
export function boundedValidator(firstError: ValidateFunction, allErrors: ValidateFunction, budget = REPORT_NODE_BUDGET) {
  return (payload: unknown): BoundedResult => {
    if (firstError(payload)) return { valid: true };
    const first = firstError.errors ?? [];
    const clip = clipForReport(payload, budget);
    const listed = (allErrors(clip.value) ? [] : allErrors.errors ?? [])
      .filter((e) => !(clip.cut.has(e.instancePath) && (e.keyword === 'minItems' || e.keyword === 'required')));
    // The first error is real even where the copy was cut (e.g. maxItems of a long array): list it first.
    const key = (e: ErrorObject) => `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    const seen = new Set(listed.map(key));
    return { valid: false, errors: [...first.filter((e) => !seen.has(key(e))), ...listed], examinedNodes: clip.nodes, clipped: clip.cut.size > 0 };
  };
}
