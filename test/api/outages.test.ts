/**
 * Outages and planned maintenance (spec §4.7 "outage notifications"; docs/spec-variance.md #48): while a
 * window covers a participant and an API, that API answers 503 problem+json with Retry-After; windows can
 * be scheduled ahead on the simulated clock. And the flow-control "recipient stopped" refusal (spec §9, §13).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { T0, useHarness, type Harness } from '../helpers/harness.js';

const MINUTE = 60_000;

async function createOutage(h: Harness, body: Record<string, unknown>) {
  const res = await h.app.inject({ method: 'POST', url: '/sim/v1/outages', headers: { ...h.admin(), 'content-type': 'application/json' }, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data;
}

const at = (ms: number) => new Date(ms).toISOString();

describe('outages answer 503 with Retry-After (RFC 9110 §15.6.4)', () => {
  const h = useHarness({ profile: 'ci' });
  const listQueue = async (participantId = 'LNSPNORTH') =>
    h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as(participantId) });

  it('inside the window the covered participant gets 503 IDX_ERR_SERVICE_UNAVAILABLE with Retry-After to its end; after it, service resumes', async () => {
    const headers = await h().as('LNSPNORTH');
    await createOutage(h(), { outageStart: at(T0 - MINUTE), outageEnd: at(T0 + 30 * MINUTE), description: 'IDX maintenance', participantIds: ['LNSPNORTH'] });
    const refused = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers });
    expect(refused.statusCode, refused.body).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe(String(30 * 60));
    const body = refused.json();
    expect(body).toMatchObject({ status: 503, code: 'IDX_ERR_SERVICE_UNAVAILABLE', traceId: refused.headers['x-traceid'] });
    expect(body.detail).toMatch(/pqd API is unavailable to LNSPNORTH until 2026-07-02T09:30:00\.000\+10:00: IDX maintenance/);
    // A refusal like any other: in the participant's transaction log.
    expect(h().ctx.db.prepare('SELECT reason_code FROM transaction_log WHERE trace_id = ?').all(body.traceId)).toEqual([{ reason_code: 'IDX_ERR_SERVICE_UNAVAILABLE' }]);
    // A participant the outage does not name is served.
    expect((await listQueue('LNSPSOUTH')).statusCode).toBe(200);
    h().clock.advance(29 * MINUTE + 30_000);
    expect((await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers })).headers['retry-after']).toBe('30');
    h().clock.advance(30_000); // the end is exclusive
    expect((await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers })).statusCode).toBe(200);
  });

  it('an outage of every participant takes down every IDX API, the token API included; the control API stays up', async () => {
    const headers = await h().as('MDPONE', 'PQD_BPQD FCTRL_STATUS');
    await createOutage(h(), { outageStart: at(T0), outageEnd: at(T0 + 5 * MINUTE), description: 'hub down' });
    const body = gzipSync(JSON.stringify(h().payload({ sender: 'MDPONE' })));
    const submit = await h().app.inject({
      method: 'POST', url: '/pqd/v1/bpqd', payload: body,
      headers: { ...headers, 'x-messageContextId': h().contextId('MDPONE'), 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': h().signature('MDPONE', body) },
    });
    expect(submit.statusCode).toBe(503);
    expect(h().ctx.db.prepare('SELECT COUNT(*) AS n FROM messages').get()).toEqual({ n: 0 });
    const fctrl = await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants', headers });
    expect(fctrl.statusCode).toBe(503);
    const token = await h().app.inject({
      method: 'POST', url: '/oauth/v1/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-test'))) },
      payload: 'grant_type=client_credentials&client_id=mdpone-api&client_secret=mdpone-secret',
    });
    expect(token.statusCode, token.body).toBe(503);
    expect(token.headers['retry-after']).toBe('300');
    const clock = await h().app.inject({ method: 'GET', url: '/sim/v1/clock', headers: h().admin() });
    expect(clock.statusCode).toBe(200);
  });

  it('an outage of named APIs leaves the others up', async () => {
    const headers = await h().as('LNSPNORTH', 'PQD_BPQD FCTRL_STATUS');
    await createOutage(h(), { outageStart: at(T0), outageEnd: at(T0 + MINUTE), description: 'PQD only', apis: ['pqd'] });
    expect((await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers })).statusCode).toBe(503);
    expect((await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants', headers })).statusCode).toBe(200);
  });

  it('a planned maintenance window scheduled ahead activates when the simulated clock reaches it, and is listed as scheduled, active, ended', async () => {
    const headers = await h().as('LNSPNORTH');
    const planned = await createOutage(h(), { outageStart: at(T0 + 60 * MINUTE), outageEnd: at(T0 + 90 * MINUTE), description: 'planned maintenance', apis: ['pqd', 'events'] });
    expect(planned).toMatchObject({ state: 'scheduled', apis: ['pqd', 'events'], participantIds: null });
    expect((await listQueue()).statusCode).toBe(200);
    h().clock.advance(60 * MINUTE - 1);
    expect((await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers })).statusCode).toBe(200);
    h().clock.advance(1);
    const refused = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe(String(30 * 60));
    const states = async () => (await h().app.inject({ method: 'GET', url: '/sim/v1/outages', headers: h().admin() })).json().data.map((o: { state: string }) => o.state);
    expect(await states()).toEqual(['active']);
    h().clock.advance(30 * MINUTE);
    expect(await states()).toEqual(['ended']);
    expect((await listQueue()).statusCode).toBe(200);
  });

  it('every IDX operation that documents 503 answers it during an outage of every API (the contract holds for each)', async () => {
    const headers = await h().as('LNSPNORTH', 'PQD_BPQD FCTRL_STATUS FCTRL_FCTRL TRANSLOG_TRANSLOG ARCH_RETRIEVE EVENT_NOTIFY');
    await createOutage(h(), { outageStart: at(T0), outageEnd: at(T0 + MINUTE), description: 'hub down' });
    const values: Record<string, string> = { messageContextId: 'pqd~bpqd~l~mdpone~x1', businessFunctionId: 'pqd', participantId: 'LNSPNORTH', messageId: 'MSG-x' };
    // IDX operations only: the control API's /ready documents its own 503 (database not answering), not an outage's.
    const operations = [...h().ctx.contract.operations.values()].filter((op) => op.file !== 'sim-admin.yaml'
      && h().ctx.contract.documentedStatuses().some((d) => d.operationId === op.operationId && d.status === '503'));
    expect(operations.length).toBeGreaterThan(15);
    for (const op of operations) {
      const url = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? 'x'));
      const res = await h().app.inject({ method: op.method.toUpperCase() as 'GET', url, headers });
      expect(res.statusCode, `${op.operationId}: ${res.body}`).toBe(503);
      expect(res.headers['retry-after'], op.operationId).toBe('60');
    }
  });

  it('refuses an unknown API name in an outage with 400', async () => {
    const res = await h().app.inject({
      method: 'POST', url: '/sim/v1/outages', headers: { ...h().admin(), 'content-type': 'application/json' },
      payload: { outageStart: at(T0), outageEnd: at(T0 + MINUTE), description: 'x', apis: ['sim'] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ in: 'body', pointer: '/apis/0' });
  });
});

describe('a sender\'s POST while the recipient is stopped by flow control', () => {
  const stop = async (h: Harness) => {
    const res = await h.app.inject({
      method: 'PATCH', url: '/fctrl/v1/businessFunctions/pqd',
      headers: { ...(await h.as('LNSPNORTH', 'FCTRL_FCTRL FCTRL_STATUS')), 'content-type': 'application/json' },
      payload: { outboundDelivery: 'Stopped' },
    });
    expect(res.statusCode, res.body).toBe(200);
  };

  describe('default (IDX_SIM_STOPPED_RECIPIENT=hold): accepted and held (spec §9 [D])', () => {
    const h = useHarness();
    it('answers 200 and holds the message', async () => {
      await stop(h());
      const res = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
      expect(res.statusCode, res.body).toBe(200);
      expect(h().ctx.db.prepare("SELECT state FROM queue_items").all()).toEqual([{ state: 'held' }]);
    });
  });

  describe('IDX_SIM_STOPPED_RECIPIENT=refuse: 503, nothing accepted (spec §9: "optionally reject with 503 via config")', () => {
    const h = useHarness({ stoppedRecipient: 'refuse' });
    it('refuses with 503 IDX_ERR_RECIPIENT_STOPPED naming the recipient; accepted again once delivery restarts', async () => {
      await stop(h());
      const res = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
      expect(res.statusCode, res.body).toBe(503);
      const body = res.json();
      expect(body).toMatchObject({ code: 'IDX_ERR_RECIPIENT_STOPPED', errors: [{ in: 'body', pointer: '/data/header/receivingParticipantId', code: 'RECIPIENT_STOPPED' }] });
      expect(body.detail).toMatch(/LNSPNORTH's pqd queue is not taking messages \(outbound delivery manually stopped\)/);
      expect(h().ctx.db.prepare('SELECT COUNT(*) AS n FROM messages').get()).toEqual({ n: 0 });
      h().clock.advance(86_400_000);
      const restart = await h().app.inject({
        method: 'PATCH', url: '/fctrl/v1/businessFunctions/pqd',
        headers: { ...(await h().as('LNSPNORTH', 'FCTRL_FCTRL FCTRL_STATUS')), 'content-type': 'application/json' },
        payload: { outboundDelivery: 'Started' },
      });
      expect(restart.statusCode).toBe(200);
      const again = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
      expect(again.statusCode, again.body).toBe(200);
    });
  });
});
