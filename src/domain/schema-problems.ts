/**
 * The one mapping from JSON Schema (Ajv) validation errors of a JSON body to problem items (spec §7):
 * a JSON pointer to the offending field — the missing or unknown property itself, not its parent — a
 * code named after the keyword, and a message a developer can act on. Used for BPQD payloads and for
 * every JSON request body the contract validates.
 */
import { bodyProblem, type ProblemItem } from './errors.js';

/** What an Ajv ErrorObject carries that a problem item needs (structural: the domain does not depend on Ajv). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: object;
  message?: string;
}

export interface SchemaProblemWords {
  /** What the document is called when the error is at its root: `payload`, `body`. */
  root: string;
  /** Said of a property the schema does not know (`additionalProperties: false`). */
  unknownField: string;
}

/** One problem per field and keyword (Ajv repeats some across `anyOf` branches), in Ajv's order. */
export function schemaProblems(errors: readonly SchemaError[], words: SchemaProblemWords): ProblemItem[] {
  const seen = new Set<string>();
  const out: ProblemItem[] = [];
  for (const e of errors) {
    const params = e.params as { missingProperty?: string; additionalProperty?: string; allowedValue?: unknown; allowedValues?: unknown[] };
    let pointer = e.instancePath;
    let message = `${e.instancePath || words.root} ${e.message ?? 'is invalid'}`;
    if (e.keyword === 'required') {
      pointer = `${e.instancePath}/${params.missingProperty}`;
      message = `${pointer} is required`;
    } else if (e.keyword === 'additionalProperties') {
      pointer = `${e.instancePath}/${params.additionalProperty}`;
      message = `${pointer} ${words.unknownField}`;
    } else if (e.keyword === 'const' || e.keyword === 'enum') {
      message = `${e.instancePath || words.root} must be ${params.allowedValues ? `one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` : JSON.stringify(params.allowedValue)}`;
    }
    const key = `${pointer}|${e.keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(bodyProblem(pointer, e.keyword.toUpperCase(), message));
  }
  return out;
}
