/**
 * Judges a step's observation against its `expect:` block and reads its `capture:` block. Every check
 * becomes an AssertionResult with a readable description ("status is 200", "$.data[0].priority equals
 * 'h'"), what was expected and what was seen — the report and JUnit show these words.
 */
import { isDeepStrictEqual } from 'node:util';
import { query } from 'jsonpath-rfc9535';
import type { AssertionResult } from './result-model.js';
import type { CountExpectation, Expectations, Matcher } from './format.js';

/** What a step observed: an HTTP answer, or a synthetic result (journal page, wait outcome). */
export interface Observation {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  /** The JSON the expectations and captures read (the response body, or the step's own result). */
  json?: unknown;
}

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const text = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
};

/** JSONPath nodes of a value (RFC 9535); a bad expression throws with the expression named. */
export function jsonPath(value: unknown, expression: string): unknown[] {
  try {
    return query((value ?? null) as never, expression);
  } catch (err) {
    throw new Error(`JSONPath ${expression} is not valid: ${(err as Error).message}`);
  }
}

const MATCHER_KEYS = new Set(['equals', 'notEquals', 'matches', 'contains', 'exists', 'gt', 'gte', 'lt', 'lte', 'oneOf', 'length']);
const isMatcherObject = (m: Matcher): m is Exclude<Matcher, string | number | boolean | null> =>
  m !== null && typeof m === 'object' && !Array.isArray(m) && Object.keys(m).length > 0 && Object.keys(m).every((k) => MATCHER_KEYS.has(k));

/** Loose equality for scenario literals: YAML `200` matches "200" in a header, numbers match numbers. */
function equal(actual: unknown, expected: unknown): boolean {
  if (isDeepStrictEqual(actual, expected)) return true;
  if ((typeof actual === 'number' || typeof actual === 'string') && (typeof expected === 'number' || typeof expected === 'string')) return String(actual) === String(expected);
  return false;
}

/** Checks one value; returns the failures' words (empty when it matches) and the description. */
export function matchValue(actual: unknown, matcher: Matcher, present: boolean): { ok: boolean; description: string } {
  if (!isMatcherObject(matcher)) {
    return { ok: present && equal(actual, matcher), description: `equals ${show(matcher)}` };
  }
  const parts: string[] = [];
  let ok = true;
  const check = (cond: boolean, words: string) => {
    parts.push(words);
    if (!cond) ok = false;
  };
  const m = matcher;
  if (m.exists !== undefined) check(present === m.exists, m.exists ? 'exists' : 'does not exist');
  if ('equals' in m) check(present && equal(actual, m.equals), `equals ${show(m.equals)}`);
  if ('notEquals' in m) check(!equal(actual, m.notEquals), `does not equal ${show(m.notEquals)}`);
  if (m.matches !== undefined) check(present && actual !== null && new RegExp(m.matches).test(typeof actual === 'string' ? actual : JSON.stringify(actual)), `matches /${m.matches}/`);
  if ('contains' in m) {
    check(Array.isArray(actual) ? actual.some((a) => equal(a, m.contains)) : typeof actual === 'string' && actual.includes(String(m.contains)), `contains ${show(m.contains)}`);
  }
  const num = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : NaN;
  if (m.gt !== undefined) check(num > Number(m.gt), `> ${m.gt}`);
  if (m.gte !== undefined) check(num >= Number(m.gte), `≥ ${m.gte}`);
  if (m.lt !== undefined) check(num < Number(m.lt), `< ${m.lt}`);
  if (m.lte !== undefined) check(num <= Number(m.lte), `≤ ${m.lte}`);
  if (m.oneOf !== undefined) check(m.oneOf.some((o) => equal(actual, o)), `is one of ${show(m.oneOf)}`);
  if (m.length !== undefined) {
    const len = Array.isArray(actual) || typeof actual === 'string' ? actual.length : undefined;
    check(len === Number(m.length), `has length ${m.length}`);
  }
  return { ok, description: parts.join(' and ') };
}

function headerValue(headers: Observation['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : headers[key];
  return Array.isArray(v) ? v.join(', ') : v;
}

function statusMatches(status: number | undefined, expected: NonNullable<Expectations['status']>): boolean {
  if (status === undefined) return false;
  if (Array.isArray(expected)) return expected.some((s) => Number(s) === status);
  if (typeof expected === 'string' && /^[1-5]xx$/.test(expected)) return Math.floor(status / 100) === Number(expected[0]);
  return Number(expected) === status;
}

function problemText(json: unknown): string {
  const p = json as { code?: string; detail?: string } | undefined;
  return p && typeof p === 'object' && (p.code || p.detail) ? ` (${[p.code, p.detail].filter(Boolean).join(': ')})` : '';
}

/**
 * Every assertion of an `expect:` block. `defaultStatus` applies when the block names no status (participant
 * steps: a refusal fails the step unless the scenario expects it).
 */
export function evaluate(obs: Observation, expect: Expectations | undefined, defaultStatus?: string): AssertionResult[] {
  const results: AssertionResult[] = [];
  const status = expect?.status ?? (expect?.code ? undefined : defaultStatus);
  if (status !== undefined) {
    const passed = statusMatches(obs.status, status);
    const words = Array.isArray(status) ? `one of ${status.join(', ')}` : String(status);
    results.push({ description: `status is ${words}${passed ? '' : `, got ${obs.status ?? 'no answer'}${problemText(obs.json)}`}`, passed, expected: status, actual: obs.status ?? 'no answer' });
  }
  if (expect?.code !== undefined) {
    const actual = (obs.json as { code?: unknown } | undefined)?.code;
    const passed = actual === expect.code;
    results.push({ description: `problem code is ${expect.code}${passed ? '' : `, got ${actual === undefined ? `no problem code (status ${obs.status ?? 'none'})` : String(actual)}`}`, passed, expected: expect.code, actual });
  }
  for (const [path, matcher] of Object.entries(expect?.json ?? {})) {
    let nodes: unknown[];
    try {
      nodes = jsonPath(obs.json, path);
    } catch (err) {
      results.push({ description: (err as Error).message, passed: false, expected: matcher });
      continue;
    }
    const present = nodes.length > 0;
    const actual = nodes.length === 1 ? nodes[0] : nodes.length ? nodes : undefined;
    const { ok, description } = matchValue(actual, matcher, present);
    results.push({ description: `${path} ${description}${ok ? '' : `, got ${present ? show(actual) : 'nothing at that path'}`}`, passed: ok, expected: matcher, actual });
  }
  if (expect?.count !== undefined) {
    const c: CountExpectation = typeof expect.count === 'number' ? { equals: expect.count } : expect.count;
    const path = c.path ?? '$.data';
    let n: number | undefined;
    try {
      const nodes = jsonPath(obs.json, path);
      // One array node counts its items ($.data); several nodes count themselves ($.data[?@.priority=='h']).
      n = nodes.length === 1 && Array.isArray(nodes[0]) ? (nodes[0] as unknown[]).length : nodes.length;
    } catch (err) {
      results.push({ description: (err as Error).message, passed: false });
    }
    const words = [c.equals !== undefined ? `= ${c.equals}` : '', c.gte !== undefined ? `≥ ${c.gte}` : '', c.lte !== undefined ? `≤ ${c.lte}` : ''].filter(Boolean).join(' and ');
    const passed = n !== undefined && (c.equals === undefined || n === c.equals) && (c.gte === undefined || n >= c.gte) && (c.lte === undefined || n <= c.lte);
    results.push({ description: `count of ${path} ${words}${passed ? '' : `, got ${n ?? 'no array there'}`}`, passed, expected: c, actual: n });
  }
  for (const [name, matcher] of Object.entries(expect?.header ?? {})) {
    const actual = headerValue(obs.headers, name);
    const { ok, description } = matchValue(actual, matcher, actual !== undefined);
    results.push({ description: `header ${name} ${description}${ok ? '' : `, got ${show(actual)}`}`, passed: ok, expected: matcher, actual });
  }
  return results;
}

/** Reads `capture:` (name → JSONPath or `header:<name>`); a capture that finds nothing is an error. */
export function capture(obs: Observation, captures: Record<string, string> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, from] of Object.entries(captures ?? {})) {
    if (from.startsWith('header:')) {
      const v = headerValue(obs.headers, from.slice('header:'.length).trim());
      if (v === undefined) throw new Error(`capture ${name}: the answer has no header ${from.slice(7)}`);
      out[name] = v;
      continue;
    }
    const nodes = jsonPath(obs.json, from);
    if (!nodes.length) throw new Error(`capture ${name}: nothing at ${from} in ${show(obs.json)}`);
    out[name] = nodes.length === 1 ? nodes[0] : nodes;
  }
  return out;
}
