/**
 * Contract coverage: every operation × status the OpenAPI documents declare must be produced by at least
 * one test. Test files run in several processes, so each process appends what its responses exercised
 * to its own file in a run-wide folder (provided by the global setup); the global teardown reads them all
 * and fails the run when a documented pair was never seen (test/helpers/global-setup.ts).
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Contract } from '../../src/contract/openapi.js';

declare module 'vitest' {
  export interface ProvidedContext {
    contractCoverageDir: string;
  }
}

const seen = new Set<string>();

/** Records the operation × status a response exercised, if it is one the documents declare. */
export function recordExercised(contract: Contract, res: { method: string; url: string; statusCode: number }): void {
  const pair = contract.exercised(res);
  if (!pair) return;
  const key = `${pair.operationId} ${pair.status}`;
  if (seen.has(key)) return;
  seen.add(key);
  appendFileSync(join(inject('contractCoverageDir'), `${process.pid}.txt`), `${key}\n`);
}

/** Every pair recorded in a coverage folder, by every process of the run. */
export function readExercised(dir: string): Set<string> {
  return new Set(readdirSync(dir).flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean)));
}

/**
 * Documented pairs that no test produced, minus the accepted ones (`operationId status`, or `* status` for
 * every operation) — each with its reason in test/contract/coverage-exemptions.ts.
 */
export function unexercised(contract: Contract, exercised: Set<string>, accepted: Record<string, string>): string[] {
  return contract.documentedStatuses()
    .map(({ operationId, status }) => `${operationId} ${status}`)
    .filter((key) => !exercised.has(key) && !(key in accepted) && !(`* ${key.split(' ')[1]}` in accepted));
}

/** The failure message: what is missing, and what to do about it. */
export function coverageReport(missing: string[]): string {
  return `contract coverage: ${missing.length} documented operation × status pair(s) that no test produces:\n` +
    missing.map((m) => `  - ${m}`).join('\n') +
    '\nWrite a test whose response has that status (through test/helpers/harness.ts or test/helpers/e2e.ts, which record it), ' +
    'or remove the status from the OpenAPI document if it can never happen, ' +
    'or, if it cannot be produced in a test, list it with the reason in test/contract/coverage-exemptions.ts.';
}
