/**
 * A realistic scenario run result (src/scenario/result-model.ts) for the evidence report's tests: a pack
 * of Table 7 scenarios against the fixture participants, two of them failing the way real runs fail (a
 * hub refusal where success was expected; an event that never came before its simulated deadline), one
 * not run after --bail, and two Table 7 rows left without a scenario (traceability gaps).
 * `hostile` puts markup and script into every string a server or scenario author controls.
 */
import type { Exchange, RunResult, ScenarioResult, StepResult } from '../../src/scenario/result-model.js';

const HOSTILE = `<script>alert(1)</script><img src=x onerror=alert(2)>"'\`<style>@import url(https://evil.example/x.css)</style><a href="https://evil.example/">x</a>`;

const t = (minutes: number) => {
  const base = Date.UTC(2026, 6, 15, 0, 0, 0); // 2026-07-15T10:00+10:00
  const d = new Date(base + minutes * 60_000 + 10 * 3600_000);
  return `${d.toISOString().slice(0, 19)}+10:00`;
};

function exchange(partial: Partial<Exchange> & Pick<Exchange, 'method' | 'url'>): Exchange {
  return {
    requestHeaders: { 'x-initiatingParticipantId': 'MDPONE', authorization: 'Bearer <redacted>' },
    durationMs: 12,
    ...partial,
  };
}

function step(index: number, partial: Partial<StepResult> & Pick<StepResult, 'name' | 'action'>): StepResult {
  return {
    index,
    phase: 'steps',
    outcome: 'passed',
    durationMs: 15 + index * 7,
    simulatedStart: t(index),
    simulatedEnd: t(index),
    exchanges: [],
    assertions: [],
    ...partial,
  };
}

const submitOk = (as: string, index = 0) => step(index, {
  name: 'submit one day of BPQD', action: 'submit', as,
  exchanges: [exchange({
    method: 'POST', url: 'https://127.0.0.1:8443/pqd/v1/bpqd', status: 202, traceId: `tr-${as.toLowerCase()}-1`,
    requestHeaders: { 'x-initiatingParticipantId': as, 'content-encoding': 'gzip', authorization: 'Bearer <redacted>' },
    requestBody: '<2310 bytes gzip>',
    responseHeaders: { 'content-type': 'application/json', 'x-traceId': `tr-${as.toLowerCase()}-1` },
    responseBody: JSON.stringify({ data: { messageId: 'a1b2c3d4', receivedDateTime: t(1) } }),
  })],
  assertions: [{ description: 'status is 202', passed: true, expected: 202, actual: 202 }],
  captured: { messageId: 'a1b2c3d4' },
});

function scenario(partial: Partial<ScenarioResult> & Pick<ScenarioResult, 'id' | 'title'>): ScenarioResult {
  return {
    file: `scenarios/${partial.id}.yaml`,
    tags: ['api'],
    priority: 'high',
    trace: {},
    mode: 'hub',
    participants: ['MDPONE', 'LNSPNORTH'],
    outcome: 'passed',
    durationMs: 240,
    steps: [submitOk('MDPONE')],
    defectIds: [],
    ...partial,
  };
}

export function fixtureRunResult(options: { hostile?: boolean } = {}): RunResult {
  const h = (text: string) => (options.hostile ? `${text} ${HOSTILE}` : text);
  const refusalBody = JSON.stringify({
    type: 'https://idx-sim.local/problems/IDX_ERR_NMI_NOT_RESPONSIBLE', title: 'Not responsible for the NMI', status: 403,
    code: 'IDX_ERR_NMI_NOT_RESPONSIBLE', detail: h('MDPTWO is not the MDP of NMI 4102000001 on 2026-07-16'),
    traceId: 'tr-churn-7', pointer: '/data/0/nmi',
  });
  const scenarios: ScenarioResult[] = [
    scenario({
      id: 'api-submit', title: 'Submit BPQD and receive it in the expected format', tags: ['api', 'smoke'],
      trace: { table7: ['API-SUBMIT'], table6Week: [1], requirements: ['spec §4.1 PQD API'] },
      steps: [submitOk('MDPONE'), step(1, {
        name: 'LNSPNORTH lists the message', action: 'list', as: 'LNSPNORTH',
        exchanges: [exchange({ method: 'GET', url: 'https://127.0.0.1:8443/pqd/v1/bpqd?priority=h', status: 200, traceId: 'tr-list-2',
          requestHeaders: { 'x-initiatingParticipantId': 'LNSPNORTH' }, responseBody: JSON.stringify({ data: [{ messageId: 'a1b2c3d4', priority: 'h' }], meta: { itemCount: 1 } }) })],
        assertions: [{ description: '$.data[0].messageId equals ${messageId}', passed: true, expected: 'a1b2c3d4', actual: 'a1b2c3d4' }],
      })],
    }),
    scenario({
      id: 'api-metadata', title: 'Get message metadata', trace: { table7: ['API-METADATA'], table6Week: [2] },
    }),
    scenario({
      id: 'api-list-priority', title: h('List messages by priority'), tags: ['api', h('priority')],
      trace: { table7: ['API-LIST-PRIORITY'], table6Week: [2] }, participants: ['MDPONE', 'LNSPNORTH', 'LNSPSOUTH'],
    }),
    scenario({
      id: 'api-manual-stop', title: 'Manual stop turns delivery off and on', priority: 'medium', tags: ['api', 'flow-control'],
      trace: { table7: ['API-MANUAL-STOP'], table6Week: [2] }, participants: ['LNSPSOUTH'],
      outcome: 'failed', durationMs: 1830, defectIds: ['DEF-run42-2'],
      steps: [
        step(0, { name: 'LNSPSOUTH turns manual stop on', action: 'flowControl', as: 'LNSPSOUTH',
          exchanges: [exchange({ method: 'PUT', url: 'https://127.0.0.1:8443/fctrl/v1/manualStop', status: 204, traceId: 'tr-fc-1', requestHeaders: { 'x-initiatingParticipantId': 'LNSPSOUTH' }, requestBody: '{"manualStop":true}' })] }),
        step(1, { name: 'MESSAGE_AVAILABLE arrives after manual stop is lifted', action: 'expectEvent', as: 'LNSPSOUTH', outcome: 'failed',
          simulatedStart: t(2), simulatedEnd: t(12), durationMs: 1500,
          message: h('no MESSAGE_AVAILABLE event for LNSPSOUTH before 10:12 (simulated); 0 events received in 10 simulated minutes'),
          assertions: [{ description: 'MESSAGE_AVAILABLE before 10:12', passed: false, expected: 'MESSAGE_AVAILABLE', actual: null }] }),
      ],
    }),
    scenario({
      id: 'churn-mdp-frmp', title: 'Meter churn: MDP changes with the FRMP across three simulated days', tags: ['churn', 'multi-day'],
      trace: { table7: ['CHURN-MDP-FRMP'], table6Week: [3, 4], requirements: ['seed 000 Table 7 meter churn'] },
      participants: ['MDPONE', 'MDPTWO', 'LNSPNORTH'], outcome: 'failed', durationMs: 5120, defectIds: ['DEF-run42-1'],
      steps: [
        step(0, { phase: 'setup', simulatedStart: t(0), simulatedEnd: t(0), name: 'NMI 4102000001: MDPONE until 2026-07-15, then MDPTWO', action: 'churn' }),
        submitOk('MDPONE', 0),
        step(1, { name: 'advance to 2026-07-16', action: 'clock', simulatedStart: t(3), simulatedEnd: t(1443) }),
        step(2, {
          name: h('MDPTWO submits day 2026-07-16'), action: 'submit', as: 'MDPTWO', outcome: 'failed', simulatedStart: t(1444), simulatedEnd: t(1444),
          message: h('expected status 202, got 403 IDX_ERR_NMI_NOT_RESPONSIBLE at /data/0/nmi: "MDPTWO is not the MDP of NMI 4102000001 on 2026-07-16"'),
          exchanges: [exchange({
            method: 'POST', url: 'https://127.0.0.1:8443/pqd/v1/bpqd', status: 403, traceId: 'tr-churn-7',
            requestHeaders: { 'x-initiatingParticipantId': 'MDPTWO', 'content-encoding': 'gzip' }, requestBody: '<2298 bytes gzip>',
            responseHeaders: { 'content-type': 'application/problem+json', 'x-traceId': 'tr-churn-7' }, responseBody: refusalBody,
          })],
          assertions: [
            { description: 'status is 202', passed: false, expected: 202, actual: 403 },
          ],
        }),
        step(0, { phase: 'teardown', name: 'reset', action: 'reset', simulatedStart: t(1445), simulatedEnd: t(1445) }),
      ],
    }),
    scenario({
      id: 'web-flow-control', title: 'Flow Control screen shows the count and toggles manual stop', tags: ['web'], priority: 'medium',
      trace: { table7: ['WEB-FLOW-CONTROL'], table6Week: [2] }, participants: ['LNSPNORTH'],
    }),
    scenario({
      id: 'web-translog', title: 'TransLog screen filters, sorts and downloads', tags: ['web'], priority: 'medium',
      trace: { table7: ['WEB-TRANSLOG'], table6Week: [3, 4] }, participants: ['MDPONE', 'LNSPNORTH'],
      outcome: 'not-run', notRunReason: '--bail: an earlier scenario failed', durationMs: 0, steps: [],
    }),
    scenario({
      id: 'lnsp-eligibility-delete', title: 'LNSP receiver deletes every message within 10 simulated minutes', tags: ['eligibility', 'lnsp'],
      mode: 'participant-under-test', subject: { participantId: 'LNSPNORTH', role: 'lnsp' }, participants: ['MDPONE', 'LNSPNORTH'],
      trace: { table7: ['API-DELETE-HIGH-WATERMARK'], table6Week: [2] }, durationMs: 980,
    }),
  ];
  const result: RunResult = {
    schemaVersion: 1,
    runId: 'run42',
    startedAt: '2026-11-30T09:15:02.120Z',
    finishedAt: '2026-11-30T09:15:14.901Z',
    durationMs: 12781,
    environment: {
      idxSimVersion: '0.1.0', node: 'v20.20.2', platform: 'linux x64', target: { kind: 'in-process' }, profile: 'ci', seed: '42',
      settings: { IDX_SIM_PROFILE: 'ci', IDX_SIM_SEED: '42', IDX_SIM_ADMIN_KEY: '<redacted>', IDX_SIM_JOURNAL_BODY_BYTES: h('4096') },
      simulatedClockStart: t(0), simulatedClockEnd: t(1450),
    },
    selection: { paths: ['scenarios/'], tags: [], bail: true },
    scenarios,
    defects: [
      {
        id: 'DEF-run42-1', title: h('churn-mdp-frmp step 3: expected status 202, got 403 IDX_ERR_NMI_NOT_RESPONSIBLE'),
        description: h('MDPTWO was refused for the day it became responsible'), scenarioId: 'churn-mdp-frmp', stepIndex: 2, traceId: 'tr-churn-7',
        detectedBy: 'idx-sim scenario run run42', detectedAt: '2026-11-30T09:15:14.901Z', severity: 'high', priority: 'P2', status: 'open',
        evidence: { problem: JSON.parse(refusalBody) as Record<string, unknown>, simulatedClock: t(1444),
          translogRows: [{ messageStatus: 'message_rejected', errorCode: 'IDX_ERR_NMI_NOT_RESPONSIBLE', traceId: 'tr-churn-7' }] },
      },
      {
        id: 'DEF-run42-2', title: 'api-manual-stop step 2: no MESSAGE_AVAILABLE before 10:12', description: 'event not sent after manual stop lifted',
        scenarioId: 'api-manual-stop', stepIndex: 1, detectedBy: 'idx-sim scenario run run42', detectedAt: '2026-11-30T09:15:14.901Z',
        severity: 'medium', priority: 'P3', status: 'open', evidence: { simulatedClock: t(12) },
      },
    ],
    summary: { total: 0, passed: 0, failed: 0, notRun: 0, highPriority: { total: 0, passed: 0 }, entryCriteria: [], exitCriteria: [], openDefects: 0 },
  };
  return result;
}
