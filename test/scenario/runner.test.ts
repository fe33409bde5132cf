/**
 * The engine against a real idx-sim started in this process (HTTPS, mTLS, the run's dev PKI): one target for
 * the file, every scenario from a reset hub.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IdxClient } from '../../src/client/idx-client.js';
import { runScenarios, type RunOptions } from '../../src/scenario/engine.js';
import { parseScenarios } from '../../src/scenario/loader.js';
import type { RunResult, ScenarioResult } from '../../src/scenario/result-model.js';
import { inProcessTarget, urlTarget, type Target } from '../../src/scenario/target.js';

let target: Target;
beforeAll(async () => {
  target = await inProcessTarget({ seed: 'runner-test', certsDir: inject('pkiDir') });
});
afterAll(async () => {
  await target?.close();
});

const load = (yaml: string) => parseScenarios(yaml, 'test/scenario/inline.yaml');
const run = (yaml: string, o: Partial<RunOptions> = {}): Promise<RunResult> =>
  runScenarios(load(yaml), { target, paths: ['inline'], tags: [], bail: false, seed: 's1', runId: 'run-test', idxSimVersion: '0.0.0-test', pollMs: 10, ...o });
const one = async (yaml: string, o: Partial<RunOptions> = {}): Promise<ScenarioResult> => (await run(yaml, o)).scenarios[0]!;

const SUBMIT_AND_DRAIN = `
id: submit-and-drain
title: MDPONE submits, LNSPNORTH lists, gets and deletes
priority: high
trace: { table7: [API-SUBMIT] }
variables: { nmi: '4102000001' }
steps:
  - name: submit a day
    as: MDPONE
    submit: { generate: { nmis: ['\${nmi}'], date: '\${today-1}', intervalCount: 12 } }
    expect: { status: 200, json: { $.data.receivingParticipantIds: [LNSPNORTH] } }
    capture: { mcid: $.data.messageContextId, trace: 'header:x-traceId' }
  - as: LNSPNORTH
    list: {}
    expect: { count: 1, json: { '$.data[0].messageContextId': '\${mcid}' } }
  - as: LNSPNORTH
    get: \${mcid}
    expect: { header: { content-encoding: gzip } }
  - as: LNSPNORTH
    delete: { messageContextId: '\${last.messageContextId}' }
  - as: LNSPNORTH
    list: {}
    expect: { count: 0 }
`;

describe('scenario engine, in-process hub', () => {
  it('runs a hub scenario and records evidence: exchanges with trace ids, secrets redacted, simulated clock, captures', async () => {
    const result = await run(SUBMIT_AND_DRAIN);
    const s = result.scenarios[0]!;
    expect(s.steps.map((st) => [st.action, st.outcome, st.message])).toEqual([
      ['submit', 'passed', undefined], ['list', 'passed', undefined], ['get', 'passed', undefined], ['delete', 'passed', undefined], ['list', 'passed', undefined],
    ]);
    expect(s.outcome).toBe('passed');
    expect(s.participants).toEqual(['LNSPNORTH', 'MDPONE']);
    const submit = s.steps[0]!;
    expect(submit.captured).toEqual({ mcid: expect.stringMatching(/^pqd~bpqd~l~mdpone~u/), trace: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const post = submit.exchanges.find((e) => e.method === 'POST' && e.url.endsWith('/pqd/v1/bpqd'))!;
    expect(post).toMatchObject({ status: 200, traceId: submit.captured!.trace, requestBody: expect.stringMatching(/^<\d+ bytes gzip>$/) });
    expect(post.requestHeaders.authorization).toBe('Bearer [redacted]');
    const token = submit.exchanges.find((e) => e.url.endsWith('/oauth/v1/token'))!;
    expect(token.requestBody).toContain('client_secret=[redacted]');
    expect(token.responseBody).toContain('"access_token":"[redacted]"');
    expect(JSON.stringify(result)).not.toMatch(/mdpone-secret|eyJ[A-Za-z0-9_-]{20,}/);
    expect(submit.simulatedStart).toBe('2026-07-02T09:00:00.000+10:00');
    expect(result.environment).toMatchObject({ target: { kind: 'in-process' }, seed: 's1', profile: 'aemo', simulatedClockStart: '2026-07-02T09:00:00.000+10:00' });
    expect(result.environment.settings.IDX_SIM_ADMIN_KEY).toBe('[redacted]');
    expect(result.summary).toMatchObject({ total: 1, passed: 1, failed: 0, notRun: 0, highPriority: { total: 1, passed: 1 } });
  });

  it('the same seed sends the same payloads; another seed other ones', async () => {
    const mcid = async (seed: string) => (await one(SUBMIT_AND_DRAIN, { seed })).steps[0]!.captured!.mcid;
    const a = await mcid('same');
    expect(await mcid('same')).toBe(a);
    expect(await mcid('other')).not.toBe(a);
  });

  it('a failing step fails the scenario with a readable reason, the rest of its phase is not run, teardown runs', async () => {
    const s = await one(`
id: broken
title: expects the wrong status
steps:
  - as: LNSPNORTH
    submit: { generate: { nmis: ['4102000001'], recipients: [LNSPNORTH] } }
  - as: LNSPNORTH
    list: {}
teardown:
  - name: clean up
    fault: { clear: all }
`);
    expect(s.outcome).toBe('failed');
    expect(s.steps[0]!.message).toMatch(/^step 1 "submit as LNSPNORTH": status is 2xx, got 403 \(IDX_ERR_[A-Z_]+: .+\)$/);
    expect(s.steps[1]).toMatchObject({ outcome: 'not-run', message: 'an earlier step failed' });
    expect(s.steps[2]).toMatchObject({ phase: 'teardown', name: 'clean up', outcome: 'passed' });
  });

  it('a failed setup leaves the steps not run; an undefined variable and a missing file are readable failures', async () => {
    const s = await one(`
id: setup-fails
title: setup fails
setup:
  - as: MDPONE
    get: \${nope}
steps:
  - as: MDPONE
    submit: { file: no-such.json }
`);
    expect(s.outcome).toBe('failed');
    expect(s.steps[0]!.message).toBe('setup step 1 "get as MDPONE": ${nope} is not defined');
    expect(s.steps[1]).toMatchObject({ phase: 'steps', outcome: 'not-run', message: 'setup failed' });
    const f = await one('id: f\ntitle: t\nsteps:\n  - as: MDPONE\n    submit: { file: no-such.json }\n');
    expect(f.steps[0]!.message).toMatch(/submit file no-such\.json: no such file \(.*test\/scenario\/no-such\.json\)/);
  });

  it('--bail leaves later scenarios not run, --tag filters, both with reasons', async () => {
    const two = `- id: first\n  title: fails\n  tags: [a]\n  steps: [{ as: MDPONE, get: none }]\n- id: second\n  title: passes\n  tags: [b]\n  steps: [{ clock: { advance: PT1M } }]\n`;
    const bailed = await run(two, { bail: true });
    expect(bailed.scenarios.map((s) => [s.id, s.outcome, s.notRunReason])).toEqual([['first', 'failed', undefined], ['second', 'not-run', '--bail: not run after first failed']]);
    expect(bailed.scenarios[1]!.steps[0]).toMatchObject({ outcome: 'not-run', message: '--bail: not run after first failed' });
    const filtered = await run(two, { tags: ['b'] });
    expect(filtered.scenarios.map((s) => [s.id, s.outcome, s.notRunReason])).toEqual([['first', 'not-run', 'filtered: no tag of b'], ['second', 'passed', undefined]]);
    expect(filtered.summary).toMatchObject({ total: 2, passed: 1, failed: 0, notRun: 1 });
  });

  it('drives the simulator: clock, fault, outage, churn, snapshot, journal, reset', async () => {
    const s = await one(`
id: simulator
title: simulator steps
steps:
  - clock: { advance: PT2H }
    expect: { json: { $.now: '2026-07-02T11:00:00.000+10:00' } }
  - fault: { inject: { kind: error, status: 503, api: pqd, participantId: LNSPNORTH } }
    capture: { rule: $.data.id }
  - as: LNSPNORTH
    list: {}
    expect: { status: 503 }
  - fault: { clear: '\${rule}' }
  - as: LNSPNORTH
    list: {}
  - outage: { startsIn: PT1H, lasts: PT30M, description: maintenance }
    expect: { status: 201, json: { $.data.outageStart: '2026-07-02T12:00:00.000+10:00', $.data.outageEnd: '2026-07-02T12:30:00.000+10:00' } }
  - churn: { nmi: '4102000002', from: '2026-07-10', MDP: MDPTWO }
  - snapshot: { save: before }
  - clock: { advance: P1D }
  - snapshot: { restore: before }
    expect: { json: { $.clock.now: '2026-07-02T11:00:00.000+10:00' } }
  - journal: { query: { participantId: LNSPNORTH, operationId: listBpqd } }
    expect: { count: 2, json: { '$.data[0].status': 503, '$.data[1].status': 200 } }
  - journal: { query: { participantId: LNSPNORTH } }
    expect: { count: 3, json: { '$.data[0].operationId': requestToken } }
`);
    expect(s.steps.filter((st) => st.outcome !== 'passed').map((st) => st.message)).toEqual([]);
    expect(s.steps[0]).toMatchObject({ simulatedStart: '2026-07-02T09:00:00.000+10:00', simulatedEnd: '2026-07-02T11:00:00.000+10:00' });
    expect(s.participants).toContain('MDPTWO');
    expect(s.steps[11]!.assertions.map((a) => a.description)).toEqual(['status is 2xx', "$.data[0].operationId equals 'requestToken'", 'count of $.data = 3']);
  });

  it('subscribe and expectEvent: the MESSAGE_AVAILABLE of a submission; a missing event fails naming what did arrive', async () => {
    const s = await one(`
id: events
title: events
steps:
  - as: LNSPNORTH
    subscribe: {}
  - as: MDPONE
    submit: { generate: { nmis: ['4102000001'], intervalCount: 12 } }
    capture: { mcid: $.data.messageContextId }
  - as: LNSPNORTH
    expectEvent: { type: MESSAGE_AVAILABLE, match: { $.messageContextId: '\${mcid}', $.priority: l }, within: PT1M }
    expect: { json: { '$.events[0].initiatingParticipantId': MDPONE } }
  - as: LNSPNORTH
    expectEvent: { type: OUTAGE, realTimeCap: PT0.2S }
`);
    expect(s.steps.slice(0, 3).map((st) => [st.action, st.outcome, st.message])).toEqual([['subscribe', 'passed', undefined], ['submit', 'passed', undefined], ['expectEvent', 'passed', undefined]]);
    expect(s.steps[0]!.exchanges.at(-1)).toMatchObject({ method: 'GET', url: expect.stringMatching(/^wss:\/\/127\.0\.0\.1:\d+\/events\/v1$/), status: 101 });
    expect(s.steps[3]!.message).toBe('step 4 "expectEvent as LNSPNORTH": no OUTAGE event reached LNSPNORTH by 2026-07-02T09:00:00.000+10:00 (simulated; waited PT0.2S real); received meanwhile: SUBSCRIBED');
  });

  describe('participant under test: waitFor', () => {
    const LNSP_SUITE = `
id: lnsp-deletes
title: The LNSP under test deletes every message within 10 simulated minutes
mode: participant-under-test
subject: { participantId: LNSPNORTH, role: lnsp }
steps:
  - as: MDPONE
    submit: { generate: { nmis: ['4102000001', '4102000002'], intervalCount: 12 } }
  - as: MDPONE
    submit: { generate: { nmis: ['4102000003'], intervalCount: 12, priority: h } }
  - name: LNSPNORTH drains its queue
    waitFor:
      condition: { deletedAll: '\${subject.participantId}', noLoss: '\${subject.participantId}' }
      within: PT10M
      tickEveryMs: 40
`;
    /** A small LNSP system under test: lists, gets (unless told not to) and deletes, in real time. */
    function lnspSystem(o: { fetch: boolean }) {
      const client = new IdxClient(target.identity('LNSPNORTH'));
      let stop = false;
      const done = (async () => {
        while (!stop) {
          const list = await client.list();
          for (const m of (list.json()?.data ?? []) as Array<{ messageContextId: string }>) {
            if (o.fetch) await client.get(m.messageContextId);
            await client.delete(m.messageContextId);
          }
          await new Promise((r) => setTimeout(r, 30));
        }
      })();
      return { async stop() { stop = true; await done; await client.close(); } };
    }

    it('passes when the subject deletes every message, judged from the journal', async () => {
      const system = lnspSystem({ fetch: true });
      let s: ScenarioResult;
      try {
        s = await one(LNSP_SUITE, { subject: 'LNSPNORTH' });
      } finally {
        await system.stop();
      }
      expect(s.steps.map((st) => [st.outcome, st.message])).toEqual([['passed', undefined], ['passed', undefined], ['passed', undefined]]);
      expect(s).toMatchObject({ mode: 'participant-under-test', subject: { participantId: 'LNSPNORTH', role: 'lnsp' } });
      expect(s.steps[2]!.assertions[0]!.description).toBe("LNSPNORTH's queue is empty and every message accepted for it was deleted: 2 of 2 accepted message(s) deleted");
    });

    it('fails on the simulated deadline when nobody deletes, the clock having moved in ticks', async () => {
      const s = await one(LNSP_SUITE, { subject: 'LNSPNORTH' });
      const wait = s.steps[2]!;
      expect(wait.outcome).toBe('failed');
      expect(wait.message).toMatch(/^step 3 "LNSPNORTH drains its queue": not met by the simulated deadline 2026-07-02T09:10:00\.000\+10:00 \(within PT10M of 2026-07-02T09:00:00\.000\+10:00\): LNSPNORTH's queue is empty and every message accepted for it was deleted \(0 of 2 accepted message\(s\) deleted; not deleted: pqd~bpqd~l~mdpone~u\w+, pqd~bpqd~h~mdpone~u\w+\)$/);
      expect(wait).toMatchObject({ simulatedStart: '2026-07-02T09:00:00.000+10:00', simulatedEnd: '2026-07-02T09:10:00.000+10:00' });
    });

    it('noLoss fails a subject that deletes what it never fetched', async () => {
      const system = lnspSystem({ fetch: false });
      let s: ScenarioResult;
      try {
        s = await one(LNSP_SUITE, { subject: 'LNSPNORTH' });
      } finally {
        await system.stop();
      }
      expect(s.outcome).toBe('failed');
      expect(s.steps[2]!.message).toMatch(/no message of LNSPNORTH was lost \(lost: pqd~bpqd~\w~mdpone~u\w+ \(deleted before it was fetched\)/);
    });

    it('--subject replaces the subject; submitted and journal conditions judge a sender', async () => {
      const s = await one(`
id: sender-submits
title: the sender under test submits day D for an NMI
mode: participant-under-test
subject: { participantId: MDPONE, role: sender }
steps:
  - as: ACMEMC
    submit: { generate: { nmis: ['4102000001'], date: '\${today-1}', intervalCount: 12 } }
  - waitFor:
      condition:
        submitted: { by: '\${subject.participantId}', nmi: '4102000001', date: '\${today-1}' }
        journal: { query: { participantId: '\${subject.participantId}', operationId: submitBpqd, status: 200 }, min: 1 }
      within: PT2M
      tickEveryMs: 20
`, { subject: 'ACMEMC' });
      expect(s.subject).toEqual({ participantId: 'ACMEMC', role: 'sender' });
      expect(s.steps.map((st) => [st.outcome, st.message])).toEqual([['passed', undefined], ['passed', undefined]]);
      expect(s.steps[1]!.assertions.map((a) => a.description)).toEqual([
        expect.stringMatching(/^ACMEMC submitted market day 2026-07-01 for NMI 4102000001: coverage \S+; received from ACMEMC$/),
        'journal entries matching {"participantId":"ACMEMC","operationId":"submitBpqd","status":200}: at least 1: 1 found',
      ]);
    });
  
    it('deletedAll does not pass when the journal cannot show whom a message was for', async () => {
      // The scenario's own hub (its settings) keeps no journal bodies: whom the two submissions were for is unknown.
      const s = await one(LNSP_SUITE.replace('subject: {', 'settings: { journalBodyBytes: 0 }\nsubject: {'), {
        subject: 'LNSPNORTH', targetFor: (overrides) => inProcessTarget({ seed: 'bodies', certsDir: inject('pkiDir'), overrides }),
      });
      expect(s.outcome).toBe('failed');
      expect(s.steps[2]!.message).toContain('0 of 0 accepted message(s) deleted');
      expect(s.steps[2]!.message).toContain('2 accepted submission(s) whose receivers the journal does not show (IDX_SIM_JOURNAL_BODY_BYTES too small?)');
    });

    it('without --subject, or with one of another role, a participant-under-test scenario is not run, saying why', async () => {
      expect((await one(LNSP_SUITE)).notRunReason).toBe('participant under test: start an LNSP receiver pointed at idx-sim and pass --subject <its participant ID>');
      expect((await one(LNSP_SUITE, { subject: 'MDPONE' })).notRunReason).toBe('this scenario judges an LNSP receiver; --subject MDPONE is an MDP, a sender');
      expect((await one(LNSP_SUITE, { subject: 'NOBODY' })).notRunReason).toBe('--subject NOBODY is not a participant of the hub');
    });
  });

  it('per-scenario settings start a hub of their own (in-process), and are not run against a running hub', async () => {
    const yaml = `
id: low-watermarks
title: High watermark reached after 3 messages
settings: { fcPqdLow: 1, fcPqdWarn: 2, fcPqdHigh: 3 }
steps:
  - { as: MDPONE, submit: { generate: { nmis: ['4102000001'], intervalCount: 1 } } }
  - { as: MDPONE, submit: { generate: { nmis: ['4102000002'], intervalCount: 1 } } }
  - { as: MDPONE, submit: { generate: { nmis: ['4102000003'], intervalCount: 1 } } }
  - as: LNSPNORTH
    flowControl: {}
    expect: { json: { $.data.messageCount: 3, $.data.status: { notEquals: Started } } }
`;
    let started = 0;
    const s = await one(yaml, { targetFor: async (overrides) => {
      started++;
      expect(overrides).toEqual({ fcPqdLow: 1, fcPqdWarn: 2, fcPqdHigh: 3 });
      return inProcessTarget({ seed: 'own', certsDir: inject('pkiDir'), overrides });
    } });
    expect(started).toBe(1);
    expect(s.steps.filter((st) => st.outcome !== 'passed').map((st) => st.message)).toEqual([]);
    expect(s.settings).toEqual({ fcPqdLow: '1', fcPqdWarn: '2', fcPqdHigh: '3' });
    expect((await one(yaml)).notRunReason).toBe('needs hub settings (fcPqdLow, fcPqdWarn, fcPqdHigh) that a running hub cannot change: run it in-process (without --url)');
  });

  it('control: any control-API call; ${now}; a step may present the secondary certificate', async () => {
    const s = await one(`
id: control
title: control and built-ins
steps:
  - clock: { advance: PT30M }
  - control: { method: GET, path: /clock }
    expect: { json: { $.now: '\${now}' } }
  - control: { method: GET, path: /coverage, query: { fromDate: '\${today}', nmi: '4102000001' } }
    expect: { count: 1, json: { '$.data[0].nmi': '4102000001' } }
  - control: { method: GET, path: /nmis/0000000000 }
    expect: { status: 404 }
  - as: LNSPNORTH
    certificate: secondary
    list: {}
`);
    expect(s.steps.filter((st) => st.outcome !== 'passed').map((st) => st.message)).toEqual([]);
    expect(s.steps[1]!.assertions[1]!.description).toBe("$.now equals '2026-07-02T09:30:00.000+10:00'");
    expect(target.identity('LNSPNORTH', 'secondary').cert).not.toEqual(target.identity('LNSPNORTH').cert);
  });

  it('a running hub by URL: the same scenario, the same client path, the target recorded', async () => {
    const remote = await urlTarget({ url: target.url, adminKey: 'idx-sim-admin', certsDir: inject('pkiDir') });
    try {
      const result = await run(SUBMIT_AND_DRAIN, { target: remote });
      expect(result.scenarios[0]!.steps.map((st) => st.outcome)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
      expect(result.environment.target).toEqual({ kind: 'url', url: target.url });
    } finally {
      await remote.close();
    }
    await expect(urlTarget({ url: target.url, adminKey: 'wrong-key', certsDir: inject('pkiDir') })).rejects.toThrow(/refused the admin key/);
  });

  it('the other participant actions: token, translog, archive, participantStatus, delete all, request without auth, counterparty tick', async () => {
    const s = await one(`
id: other-actions
title: other participant actions
steps:
  - as: MDPONE
    token: { clientSecret: wrong }
    expect: { status: '4xx', json: { $.code: { matches: '^IDX_ERR_' } } }
  - as: MDPONE
    token: { scope: PQD_BPQD }
    expect: { json: { $.token_type: Bearer } }
  - { as: MDPONE, submit: { generate: { nmis: ['4102000001'], intervalCount: 1 } } }
  - { as: MDPONE, submit: { generate: { nmis: ['4102000002'], intervalCount: 1, priority: h } } }
  - as: LNSPNORTH
    translog: { query: { itemCount: 10 } }
    expect: { count: 2 }
  - as: LNSPNORTH
    participantStatus: {}
  - as: LNSPNORTH
    archive: { query: {} }
  - as: LNSPNORTH
    delete: { all: true }
    expect: { json: { $.deleted: 2, $.messageContextIds: { length: 2 } } }
  - as: LNSPNORTH
    list: {}
    expect: { count: 0 }
  - as: LNSPNORTH
    request: { method: GET, path: /sim/v1/health, auth: false }
    expect: { json: { $.status: ok } }
  - counterparty: { tick: true }
`);
    expect(s.steps.filter((st) => st.outcome !== 'passed').map((st) => st.message)).toEqual([]);
    expect(s.steps[0]!.exchanges[0]!.requestBody).toContain('client_secret=[redacted]');
    expect(s.steps[9]!.exchanges[0]!.requestHeaders).not.toHaveProperty('authorization');
  });
});

