/**
 * Defect capture (issue #11): `GET /sim/v1/settings`, a defect record built from what an in-process hub
 * knows about a trace id (journal, problem body, transaction-log rows, settings, clock), and the
 * `idx-sim defect` command's file handling, CSV export and exit codes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { defectCommand, readDefects } from '../../src/cli/defect.js';
import { CaptureError, captureDefect, type HubEvidenceSource } from '../../src/scenario/defect-capture.js';
import { useHarness, type Harness } from '../helpers/harness.js';
import { fixtureRunResult } from '../helpers/run-result-fixture.js';

const h = useHarness({ adminKey: 'capture-key' });

/** The hub in process: the control API with the admin key, the transaction log as the participant. */
const inProcess = (harness: Harness): HubEvidenceSource => ({
  async control(path) {
    const res = await harness.app.inject({ method: 'GET', url: `/sim/v1${path}`, headers: harness.admin() });
    if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode}`);
    return res.json();
  },
  async translog(participantId, query) {
    const res = await harness.app.inject({ method: 'GET', url: `/translog/v1/messages?${new URLSearchParams(query)}`, headers: await harness.as(participantId, 'TRANSLOG_TRANSLOG') });
    if (res.statusCode !== 200) throw new Error(`translog: ${res.statusCode} ${res.body}`);
    return res.json().data;
  },
});

const options = { detectedBy: 'tester', detectedAt: '2026-11-30T10:00:00.000Z' };

describe('GET /sim/v1/settings', () => {
  it('lists every effective setting by its environment variable, the admin key redacted', async () => {
    const res = await h().app.inject({ method: 'GET', url: '/sim/v1/settings', headers: h().admin() });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { profile: string; settings: Record<string, string> };
    expect(body.profile).toBe('aemo');
    expect(body.settings.IDX_SIM_ADMIN_KEY).toBe('[redacted]');
    expect(body.settings.IDX_SIM_PROFILE).toBe('aemo');
    expect(body.settings.IDX_SIM_SCHEMA_VERSIONS).toBe('1.0.0');
    expect(JSON.stringify(body)).not.toContain('capture-key');
    // It takes no query: an unknown parameter is refused like on every control resource.
    const bad = await h().app.inject({ method: 'GET', url: '/sim/v1/settings?verbose=1', headers: h().admin() });
    expect(bad.json()).toMatchObject({ status: 400, code: 'IDX_ERR_QUERY_INVALID' });
  });

  it('GET /sim/v1/settings needs the admin key (401)', async () => {
    const res = await h().app.inject({ method: 'GET', url: '/sim/v1/settings' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('IDX_ERR_ADMIN_KEY');
  });
});

describe('captureDefect against an in-process hub', () => {
  it('bundles the refused exchange, its problem body, the transaction-log row, the settings and the simulated clock', async () => {
    const contextId = h().contextId('MDPONE');
    const refused = await h().submit('MDPONE', gzipSync('not json'), { 'x-messageContextId': contextId });
    expect(refused.statusCode).toBe(400);
    const traceId = String(refused.headers['x-traceid']);

    const defect = await captureDefect(traceId, inProcess(h()), options);
    expect(defect).toMatchObject({
      id: `DEF-${traceId}`, traceId, status: 'open', detectedBy: 'tester', detectedAt: '2026-11-30T10:00:00.000Z',
      severity: 'medium', priority: 'P3',
      evidence: {
        request: { method: 'POST', url: '/pqd/v1/bpqd', status: 400, traceId, requestHeaders: { 'x-initiatingParticipantId': 'MDPONE' } },
        problem: { code: 'IDX_ERR_JSON_INVALID', traceId },
        simulatedClock: '2026-07-02T09:00:00.000+10:00',
      },
    });
    expect(defect.evidence.request!.requestBody).toMatch(/^<\d+ bytes gzip>$/);
    expect(defect.evidence.settings!.IDX_SIM_ADMIN_KEY).toBe('[redacted]');
    expect(defect.evidence.translogRows).toEqual([expect.objectContaining({ traceId, messageStatus: 'message_rejected', reasonCode: 'IDX_ERR_JSON_INVALID', messageContextId: contextId })]);
    expect(defect.title).toMatch(/^POST \/pqd\/v1\/bpqd by MDPONE -> 400 IDX_ERR_JSON_INVALID: /);
    expect(defect.description).toContain(`messageContextId: ${contextId}`);
    expect(defect.description).toContain('Transaction log: 1 row(s).');
  });

  it('finds the transaction-log row of a refusal that named no messageContextId by trace id and time', async () => {
    const res = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd?itemCount=9999', headers: await h().as('LNSPNORTH') });
    expect(res.statusCode).toBe(400);
    const traceId = String(res.headers['x-traceid']);
    const defect = await captureDefect(traceId, inProcess(h()), { ...options, severity: 'high', priority: 'P2', scenarioId: 'api-list-priority' });
    expect(defect).toMatchObject({ severity: 'high', priority: 'P2', scenarioId: 'api-list-priority', evidence: { request: { method: 'GET', url: '/pqd/v1/bpqd?itemCount=9999' } } });
    expect(defect.evidence.translogRows?.map((r) => r.traceId)).toEqual([traceId]);
  });

  it('says plainly when the journal does not know the trace id', async () => {
    await expect(captureDefect('no-such-trace', inProcess(h()), options)).rejects.toThrow(CaptureError);
    await expect(captureDefect('no-such-trace', inProcess(h()), options)).rejects.toThrow(/no exchange with trace id no-such-trace/);
  });

  it('still records the exchange when the transaction log cannot be read, and says why', async () => {
    const refused = await h().submit('MDPONE', gzipSync('{'), { 'x-messageContextId': h().contextId('MDPONE') });
    const source = { ...inProcess(h()), translog: async () => { throw new Error('no client certificate for MDPONE'); } };
    const defect = await captureDefect(String(refused.headers['x-traceid']), source, options);
    expect(defect.evidence.translogRows).toBeUndefined();
    expect(defect.description).toContain('Transaction log: transaction log of MDPONE not read: no client certificate for MDPONE.');
  });
});

describe('idx-sim defect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-defect-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await defectCommand(args, (t) => { out += t; }, (t) => { err += t; });
    return { code, out, err };
  };

  it('export --csv writes the defects of a run\'s results.json, or of a defects file, as RFC 4180 CSV', async () => {
    const results = join(dir, 'results.json');
    writeFileSync(results, JSON.stringify(fixtureRunResult()));
    const toStdout = await run('export', '--csv', '--in', results);
    expect(toStdout.code).toBe(0);
    expect(toStdout.out.split('\r\n').slice(0, 2)[1]).toMatch(/^DEF-run42-1,"churn-mdp-frmp step 3: expected status 202, got 403 IDX_ERR_NMI_NOT_RESPONSIBLE",/);
    const defects = join(dir, 'defects.json');
    writeFileSync(defects, JSON.stringify(fixtureRunResult().defects.slice(1)));
    const csvFile = join(dir, 'defects.csv');
    expect((await run('export', '--csv', csvFile, '--in', defects)).code).toBe(0);
    expect(readFileSync(csvFile, 'utf8').split('\r\n')).toHaveLength(3);
  });

  it('refuses wrong usage with exit 2 and a reason', async () => {
    expect(await run('export', '--in', join(dir, 'results.json'))).toMatchObject({ code: 2, err: expect.stringMatching(/export needs --csv/) });
    expect(await run('export', '--csv', '--in', join(dir, 'nothing.json'))).toMatchObject({ code: 2, err: expect.stringMatching(/nothing\.json: no such file/) });
    expect(await run('capture')).toMatchObject({ code: 2, err: expect.stringMatching(/capture takes one trace id/) });
    expect(await run('capture', 'tr-1', '--severity', 'huge')).toMatchObject({ code: 2, err: expect.stringMatching(/--severity must be one of critical, high, medium, low/) });
    expect(await run('capture', '<script>')).toMatchObject({ code: 2, err: expect.stringMatching(/is not a trace id/) });
    expect(await run('frobnicate')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown subcommand "frobnicate"/) });
    expect((await run('help')).out).toMatch(/^usage: idx-sim defect capture <traceId>/);
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{');
    expect(await run('export', '--csv', '--in', notJson)).toMatchObject({ code: 2, err: expect.stringMatching(/broken\.json is not JSON/) });
  });

  it('capture refuses a trace id already in the defects file (exit 1) and reports an unreachable hub (exit 3)', async () => {
    const file = join(dir, 'captured.json');
    writeFileSync(file, JSON.stringify([{ ...fixtureRunResult().defects[0], id: 'DEF-tr-9' }]));
    expect(await run('capture', 'tr-9', '--out', file)).toMatchObject({ code: 1, err: expect.stringMatching(/DEF-tr-9 is already in/) });
    const down = await run('capture', 'tr-10', '--out', file, '--url', 'https://127.0.0.1:1', '--insecure');
    expect(down.code).toBe(3);
    expect(down.err).toMatch(/cannot reach the simulator/);
    expect(readDefects(file)).toHaveLength(1);
  });
});
