/**
 * The scenario pack (scenarios/, issue #11) runs green against an idx-sim started in this process: every Table 7
 * row, the two multi-day meter-churn scenarios and the resilience scenarios. The participant-under-test suites
 * (scenarios/eligibility/) need a participant's own system and are run with the reference LNSP client in
 * lnsp-eligibility.test.ts. `.ci/run` runs the whole pack again through the built CLI.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { failureReason, runScenarios } from '../../src/scenario/engine.js';
import { loadScenarios, parseScenarios } from '../../src/scenario/loader.js';
import { TABLE7_ROWS, type RunResult } from '../../src/scenario/result-model.js';
import { inProcessTarget, type Target } from '../../src/scenario/target.js';

let target: Target;
beforeAll(async () => {
  target = await inProcessTarget({ seed: 'scenario-pack', certsDir: inject('pkiDir') });
});
afterAll(async () => {
  await target?.close();
});

const HUB_FOLDERS = ['scenarios/table7', 'scenarios/churn', 'scenarios/resilience'];

describe('scenario pack (scenarios/)', () => {
  let result: RunResult;

  it('every hub-rehearsal scenario passes in-process', async () => {
    const loaded = loadScenarios(HUB_FOLDERS, PROJECT_ROOT);
    result = await runScenarios(loaded, { target, paths: HUB_FOLDERS, tags: [], bail: false, seed: 'pack', runId: 'pack-test', idxSimVersion: '0.0.0-test', pollMs: 10 });
    const failed = result.scenarios.filter((s) => s.outcome !== 'passed').map((s) => `${s.id}: ${failureReason(s)}`);
    expect(failed).toEqual([]);
    expect(result.summary.exitCriteria.every((c) => c.met)).toBe(true);
  }, 120_000);

  it('traces every Table 7 row and names its priority and Table 6 week', () => {
    const traced = new Set(result.scenarios.flatMap((s) => s.trace.table7 ?? []));
    expect([...traced].sort()).toEqual(Object.keys(TABLE7_ROWS).sort());
    for (const s of result.scenarios) {
      expect(s.trace.table6Week?.length, s.id).toBeGreaterThan(0);
      expect(s.tags.length, s.id).toBeGreaterThan(0);
    }
  });

  it('covers churn over three market days, rate limits, an outage, a dropped WebSocket and a certificate rotation', () => {
    const ids = result.scenarios.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['churn-mdp-change-frmp', 'churn-mc-and-mdp-change', 'resilience-rate-limit', 'resilience-outage', 'resilience-websocket-drop', 'resilience-certificate-rotation']));
    // Each churn scenario refuses the party not responsible and reads the completeness report.
    for (const id of ['churn-mdp-change-frmp', 'churn-mc-and-mdp-change']) {
      const steps = result.scenarios.find((s) => s.id === id)!.steps;
      expect(steps.some((st) => st.assertions.some((a) => a.description === 'problem code is IDX_ERR_SENDER_NOT_RESPONSIBLE' && a.passed)), id).toBe(true);
      expect(steps.some((st) => st.exchanges.some((e) => e.url.includes('/sim/v1/coverage') && e.status === 200)), id).toBe(true);
      expect(new Set(steps.flatMap((st) => [st.simulatedStart?.slice(0, 10)])).size, id).toBeGreaterThanOrEqual(3);
    }
  });
});

// README "Testing your integration" shows a scenario to start from: it must run as written.
it("the README's example scenario passes as written", async () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const yaml = /<!-- scenario-example -->\n```yaml\n([\s\S]*?)```\n<!-- \/scenario-example -->/.exec(readme)![1]!;
  const result = await runScenarios(parseScenarios(yaml, 'README.md'), { target, paths: ['README.md'], tags: [], bail: false, seed: 'readme', runId: 'readme', idxSimVersion: '0.0.0-test', pollMs: 10 });
  expect(result.scenarios.map((s) => [s.id, s.outcome, failureReason(s)])).toEqual([['my-first-scenario', 'passed', undefined]]);
});

// The eligibility suites load and name their subject; they are run by lnsp-eligibility.test.ts.
it('the eligibility suites are participant-under-test scenarios with a subject of their role', () => {
  for (const [dir, role] of [['lnsp', 'lnsp'], ['sender', 'sender']] as const) {
    const loaded = loadScenarios([join('scenarios/eligibility', dir)], PROJECT_ROOT);
    expect(loaded.length).toBeGreaterThanOrEqual(3);
    for (const l of loaded) expect(l.scenario).toMatchObject({ mode: 'participant-under-test', subject: { role } });
  }
});
