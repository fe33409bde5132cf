/**
 * What a short fuzz run must show, on either backend (test/robustness/fuzz.test.ts on SQLite,
 * test/api/fuzz-postgres.test.ts on PostgreSQL): its count reached, the operations behind authentication
 * reached, and no 5xx, hang, crash, refusal without problem+json or contract violation.
 */
import { expect } from 'vitest';
import { summarise, type FuzzReport } from '../../bench/fuzz.js';

export function expectCleanFuzzRun(report: FuzzReport, o: { maxSeconds: number; minRequests: number }): void {
  const summary = summarise(report);
  // Bounded by count, so the run (and what it proves) is the same on a quiet and on a loaded machine; the
  // time bound is only a safety net, and reaching it fails the test instead of quietly proving less.
  expect(report.seconds, `the count, not the time bound, ended the run: ${summary}`).toBeLessThan(o.maxSeconds);
  expect(report.requests + report.clientErrors, summary).toBeGreaterThanOrEqual(o.minRequests);
  expect(report.rawExchanges, summary).toBeGreaterThan(10);
  // The run must reach the operations behind authentication, not only the front door: if its requests stop
  // carrying valid tokens (as when the documents' security moved from header parameters to schemes), most
  // answers become 401 and the fuzzing proves little.
  const successes = Object.entries(report.byStatus).filter(([s]) => /^2\d\d$/.test(s)).reduce((n, [, c]) => n + c, 0);
  expect(report.idxUnauthorized / report.idxAnswered, summary).toBeLessThan(0.3);
  expect(successes, summary).toBeGreaterThan(0);
  expect(report.serverErrors, summary).toEqual([]);
  expect(report.hangs, summary).toEqual([]);
  // A request whose client-side promise never settles while undici's timeouts stay silent is an open
  // problem of the fuzz client (docs/reliability.md); it is reported, and must stay rare.
  expect(report.stalls.length, summary).toBeLessThanOrEqual(Math.ceil(report.requests / 100));
  expect(report.crashed, summary).toEqual([]);
  expect(report.notProblemJson, summary).toEqual([]);
  expect(report.contractViolations, summary).toEqual([]);
  expect(report.aliveAtEnd, summary).toBe(true);
}
