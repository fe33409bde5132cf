/**
 * `${name}` substitution in scenario values, and ISO 8601 durations. A value that is exactly one reference
 * keeps the variable's type (a number stays a number); references inside text are formatted as text.
 * Built-ins: `${run.id}`, `${scenario.id}`, `${uniqueId}` (a fresh seeded id per use), `${today}` (market
 * date of the simulated clock when the scenario started), `${today+N}`/`${today-N}` (N market days later or
 * earlier), `${now}` (the simulated clock when the step started), `${subject.participantId}`, `${last.status}`,
 * `${last.traceId}`, `${last.messageContextId}`.
 */

export interface VariableScope {
  /** Scenario variables and captures. */
  values: Map<string, unknown>;
  /** Built-ins computed when asked (`uniqueId`, `now`, `today±N`); undefined when not a built-in. */
  builtin(name: string): unknown;
}

export class VariableError extends Error {
  override name = 'VariableError';
}

const REFERENCE = /\$\{([^}]+)\}/g;
const WHOLE = /^\$\{([^}]+)\}$/;

function lookup(name: string, scope: VariableScope): unknown {
  const key = name.trim();
  const built = scope.builtin(key);
  if (built !== undefined) return built;
  if (scope.values.has(key)) return scope.values.get(key);
  // a.b.c: a property of a captured object.
  const [head, ...rest] = key.split('.');
  if (rest.length && scope.values.has(head!)) {
    let v: unknown = scope.values.get(head!);
    for (const part of rest) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    if (v !== undefined) return v;
  }
  const known = [...scope.values.keys()].sort();
  throw new VariableError(`\${${key}} is not defined${known.length ? ` (defined: ${known.join(', ')})` : ''}`);
}

/** Substitutes every reference in a value (strings, arrays, objects, recursively). */
export function substitute<T>(value: T, scope: VariableScope): T {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return lookup(whole[1]!, scope) as T;
    return value.replace(REFERENCE, (_, name: string) => {
      const v = lookup(name, scope);
      return typeof v === 'string' ? v : JSON.stringify(v);
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, scope)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, scope)])) as T;
  }
  return value;
}

const DURATION = /^(-)?P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** `PT10M` → 600000 ms; weeks and days are exact 7 × 24 h and 24 h (the simulated market has no DST). */
export function parseIsoDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) throw new VariableError(`"${text}" is not an ISO 8601 duration such as PT10M, PT1H30M or P1D`);
  const n = (i: number) => Number(m[i] ?? 0);
  const ms = ((n(2) * 7 + n(3)) * 86_400 + n(4) * 3600 + n(5) * 60 + n(6)) * 1000;
  return m[1] ? -ms : ms;
}

/** `2026-07-02` plus N days. */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
