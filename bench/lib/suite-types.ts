/**
 * The shape of a bench-suite case (bench/cases/*.ts) and the helpers cases share: interleaved rounds
 * and a bounded closed loop. A case measures idx-sim and the baseline side by side and returns rows;
 * bench/suite.ts prints them with ratios.
 */
import type { Pool } from 'undici';
import { percentile, sortedCopy, TARGETS, type ServerChild, type TargetName } from './common.js';

export interface SuiteOptions {
  /** Interleaved rounds per case (idx-sim and baseline alternate, the first one alternating too). */
  rounds: number;
  /** Seconds per measured round of a throughput case. */
  roundSeconds: number;
  /** Queue sizes of the list case. */
  listSizes: number[];
  /** Requests per page kind, per target and round, in the list case. */
  listRequests: number;
  /** Messages filled per round of the drain case. */
  drainMessages: number;
  /** Event subscribers of the events case. */
  subscribers: number;
  /** Submissions per round of the events case. */
  eventSubmissions: number;
  /** Submissions per target in the memory case. */
  memorySubmissions: number;
  /** Wall-clock cap per target of the memory case. */
  memorySeconds: number;
}

export interface SuiteContext {
  options: SuiteOptions;
  /** The temporary directory: certs/ (idx-sim's dev PKI, shared by the baseline), the two databases. */
  dir: string;
  certsDir: string;
  servers: Record<TargetName, ServerChild>;
  /** A keep-alive mTLS pool to `target` as `participantId`, with `connections` connections (cached). */
  pool(target: TargetName, participantId: string, connections: number): Pool;
  /** An idx-sim access token (cached per participant and scope); the baseline ignores tokens. */
  token(participantId: string, scope?: string): Promise<string>;
  log(line: string): void;
}

/** One line of the result table. */
export interface ResultRow {
  case: string;
  metric: string;
  unit: string;
  /** Whether a higher number is better (throughput) or a lower one (latency, memory). */
  better: 'higher' | 'lower';
  values: Record<TargetName, number>;
  note?: string;
}

export interface Case {
  name: string;
  /** One line for --help. */
  description: string;
  /** Run when no --case is given (long cases are opt-in). */
  byDefault: boolean;
  run(ctx: SuiteContext): Promise<ResultRow[]>;
}

/** idx-sim's speed relative to the baseline: ≥ 1 means idx-sim is as fast (or as small) or better. */
export function ratio(row: ResultRow): number {
  const a = row.values['idx-sim'];
  const b = row.values.baseline;
  return row.better === 'higher' ? a / b : b / a;
}

/** Runs `fn` for both targets in each round, alternating which goes first. */
export async function interleaved(rounds: number, fn: (target: TargetName, round: number) => Promise<void>): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? TARGETS : [...TARGETS].reverse();
    for (const target of order) await fn(target, r);
  }
}

export interface LoopResult {
  /** Completed operations. */
  ops: number;
  errors: number;
  firstError?: string;
  seconds: number;
  latenciesMs: number[];
}

/**
 * `workers` concurrent loops calling `op` until `seconds` passed or `op` returns false (nothing left to
 * do). `op` throws to count an error. Latency per op from its start to its end.
 */
export async function closedLoop(workers: number, seconds: number, op: (worker: number) => Promise<boolean>): Promise<LoopResult> {
  const result: LoopResult = { ops: 0, errors: 0, seconds: 0, latenciesMs: [] };
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let last = start;
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    for (;;) {
      const t0 = process.hrtime.bigint();
      if (t0 >= end) return;
      let more: boolean;
      try {
        more = await op(w);
      } catch (err) {
        result.errors++;
        result.firstError ??= err instanceof Error ? err.message : String(err);
        more = true;
      }
      const t1 = process.hrtime.bigint();
      if (!more) return;
      result.ops++;
      result.latenciesMs.push(Number(t1 - t0) / 1e6);
      if (t1 > last) last = t1;
    }
  }));
  result.seconds = Number(last - start) / 1e9;
  return result;
}

/** p50 and p99 (nearest rank) of latency samples, in ms. */
export function latency(samples: readonly number[]): { p50: number; p99: number; max: number } {
  const s = sortedCopy(samples);
  return { p50: percentile(s, 0.5), p99: percentile(s, 0.99), max: s.length ? s[s.length - 1]! : NaN };
}

/** Reads and checks a response: throws (an error of the op) unless the status is `expected`. */
export async function expectStatus(res: { statusCode: number; body: { text(): Promise<string>; dump(): Promise<void> } }, expected: number, what: string): Promise<void> {
  if (res.statusCode === expected) {
    await res.body.dump();
    return;
  }
  throw new Error(`${what}: HTTP ${res.statusCode} ${(await res.body.text()).slice(0, 300)}`);
}
