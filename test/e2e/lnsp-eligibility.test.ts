/**
 * Issue #11 Done-when 2, participant under test: the reference LNSP client (examples/lnsp-client, plain Node +
 * undici) runs against an idx-sim started in this process while the runner plays MDPONE and the operator.
 * It passes the whole LNSP eligibility suite (scenarios/eligibility/lnsp/). The same client with its delete
 * step removed (--skip-delete) fails it, and the reason — which messages were still not deleted at the
 * simulated deadline — is in the results, the JUnit XML and the HTML evidence report.
 * Real time: the suite's waits give the subject half a real second per simulated minute (a few seconds in
 * all); the client polls every 50 ms and caps a Retry-After wait at 50 ms.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { failureReason, runScenarios } from '../../src/scenario/engine.js';
import { toJUnit } from '../../src/scenario/junit.js';
import { loadScenarios } from '../../src/scenario/loader.js';
import { writeReports } from '../../src/scenario/report/index.js';
import type { RunResult } from '../../src/scenario/result-model.js';
import { inProcessTarget, type Target } from '../../src/scenario/target.js';

interface ClientSummary { polls: number; retrieved: number; deleted: number; retries: number; tokens: number; errors: string[] }
type RunClient = (o: unknown, x?: { log?: (line: string) => void; signal?: AbortSignal }) => Promise<ClientSummary>;
const example: { options(argv: string[], env?: Record<string, string>): unknown; runLnspClient: RunClient } =
  await import(new URL('../../examples/lnsp-client/lnsp-client.mjs', import.meta.url).href);

let target: Target;
beforeAll(async () => {
  target = await inProcessTarget({ seed: 'lnsp-eligibility', certsDir: inject('pkiDir') });
});
afterAll(async () => {
  await target?.close();
});

/** Runs scenarios while the reference client, started with `flags`, plays LNSPNORTH's own system. */
async function withClient(paths: string[], flags: string[]): Promise<{ result: RunResult; client: ClientSummary }> {
  const p = pkiPaths(inject('pkiDir'));
  const stop = new AbortController();
  const client = example.runLnspClient(example.options(['--url', target.url, '--ca', p.caCert, '--cert', p.participantCert('LNSPNORTH', 'primary'),
    '--key', p.participantKey('LNSPNORTH', 'primary'), '--interval', '50', '--max-wait', '0.05', '--quiet', ...flags], {}), { signal: stop.signal });
  try {
    const result = await runScenarios(loadScenarios(paths, PROJECT_ROOT), {
      target, paths, tags: [], bail: false, seed: 'lnsp-eligibility', subject: 'LNSPNORTH', runId: 'lnsp-eligibility', idxSimVersion: '0.0.0-test', pollMs: 10,
    });
    return { result, client: await (stop.abort(), client) };
  } finally {
    stop.abort();
    await client.catch(() => undefined);
  }
}

describe('LNSP eligibility suite with the reference LNSP client as the participant under test', () => {
  it('passes every scenario: drain, outage, flow-control stop, WebSocket drop, token expiry', async () => {
    const { result, client } = await withClient(['scenarios/eligibility/lnsp'], ['--events']);
    expect(result.scenarios.map((s) => [s.id, s.outcome, failureReason(s)])).toEqual(result.scenarios.map((s) => [s.id, 'passed', undefined]));
    expect(result.scenarios.length).toBeGreaterThanOrEqual(5);
    expect(result.scenarios.every((s) => s.mode === 'participant-under-test' && s.subject?.participantId === 'LNSPNORTH')).toBe(true);
    // It really was the client that drained the queues, retried through the outage and renewed its token.
    expect(client.deleted).toBeGreaterThanOrEqual(11);
    expect(client.retries).toBeGreaterThan(0);
    expect(client.tokens).toBeGreaterThan(1);
  }, 120_000);

  it('with its delete step removed, fails the drain scenario and the results say which messages stayed', async () => {
    const { result, client } = await withClient(['scenarios/eligibility/lnsp/01-drain.yaml'], ['--skip-delete']);
    const drain = result.scenarios[0]!;
    expect(drain.outcome).toBe('failed');
    expect(client.retrieved).toBeGreaterThanOrEqual(3);
    expect(client.deleted).toBe(0);
    const reason = failureReason(drain)!;
    expect(reason).toMatch(/not met by the simulated deadline .*LNSPNORTH's queue is empty and every message accepted for it was deleted \(0 of 3 accepted message\(s\) deleted; not deleted: pqd~bpqd~h~mdpone~/);
    expect(result.summary).toMatchObject({ failed: 1, passed: 0 });
    expect(result.summary.exitCriteria.find((c) => c.description === 'All high-priority scenarios pass')).toMatchObject({ met: false });
    // The same words reach CI through the JUnit XML, and the HTML evidence report.
    const words = '0 of 3 accepted message(s) deleted; not deleted: pqd~bpqd~h~mdpone~';
    expect(toJUnit(result)).toContain(words);
    const out = mkdtempSync(join(tmpdir(), 'idx-sim-lnsp-eligibility-'));
    try {
      writeReports(result, out);
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(words);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
