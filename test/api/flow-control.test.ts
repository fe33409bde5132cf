/**
 * Flow control (spec §4.2, §9; seed 000 Table 7): watermarks, automatic stop with held messages,
 * recovery below Low in submission order, manual stop, and the events that go with them.
 */
import { describe, expect, it, vi } from 'vitest';
import { useHarness, type Harness } from '../helpers/harness.js';

// Small watermarks so a test can cross them: Warn at 4, High (stop) at 5, resume below 2.
const h = useHarness({ fcPqdLow: 2, fcPqdWarn: 4, fcPqdHigh: 5 });

async function submitN(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    expect(res.statusCode, res.body).toBe(200);
    ids.push(res.json().data.messageContextId);
  }
  return ids;
}

async function queue(harness: Harness): Promise<string[]> {
  const res = await harness.app.inject({ method: 'GET', url: '/pqd/v1/bpqd?itemCount=500', headers: await harness.as('LNSPNORTH') });
  return res.json().data.map((m: { messageContextId: string }) => m.messageContextId);
}

async function flowInfo(participantId = 'LNSPNORTH', expand = true) {
  const res = await h().app.inject({
    method: 'GET', url: `/fctrl/v1/businessFunctions/pqd?expand=${expand}`, headers: await h().as(participantId, 'FCTRL_STATUS FCTRL_FCTRL'),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data;
}

async function deleteMessage(id: string) {
  const res = await h().app.inject({ method: 'DELETE', url: `/pqd/v1/bpqd/${id}`, headers: await h().as('LNSPNORTH') });
  expect(res.statusCode, res.body).toBe(204);
}

async function patch(participantId: string, outboundDelivery: string, scope = 'FCTRL_FCTRL FCTRL_STATUS') {
  return h().app.inject({
    method: 'PATCH', url: '/fctrl/v1/businessFunctions/pqd',
    headers: { ...(await h().as(participantId, scope)), 'content-type': 'application/json' },
    payload: { outboundDelivery },
  });
}

describe('watermarks: Normal → Warned → Stopped → Normal', () => {
  it('holds messages past High, then delivers them in submission order once the count falls below Low — none lost or duplicated', async () => {
    const lnsp = await h().events('LNSPNORTH');
    const sender = await h().events('MDPONE');

    const first = await submitN(3);
    expect((await flowInfo()).messageStatus).toBe('Normal');
    const [fourth] = await submitN(1);
    expect(await flowInfo()).toMatchObject({ messageStatus: 'Warned', messageCount: 4, messageBreachedTimestamp: '2026-07-02T09:00:00.000+10:00' });
    await lnsp.waitFor((f) => f.eventType === 'FLOW_CONTROL' && f.subType === 'QUEUE_WARN');

    h().clock.advance(60_000);
    const [fifth] = await submitN(1);
    expect(await flowInfo()).toMatchObject({ messageStatus: 'Stopped', messageCount: 5, heldCount: 0, outboundDelivery: 'Started', watermarks: { low: 2, warn: 4, high: 5 } });
    const full = await lnsp.waitFor((f) => f.subType === 'QUEUE_FULL');
    expect(full).toMatchObject({ participantId: 'LNSPNORTH', messageCount: 5, messageStatus: 'Stopped', watermark: 'High' });

    // Stopped: still accepted (200), but held — not visible in the queue, no MESSAGE_AVAILABLE.
    const held = await submitN(2);
    expect(await flowInfo()).toMatchObject({ messageStatus: 'Stopped', messageCount: 5, heldCount: 2 });
    expect(await queue(h())).toEqual([...first, fourth, fifth]);
    expect(lnsp.frames.filter((f) => f.eventType === 'MESSAGE_AVAILABLE').map((f) => f.messageContextId)).toEqual([...first, fourth, fifth]);
    // The sender learns once that its recipient's queue is full.
    await sender.waitFor((f) => f.subType === 'QUEUE_FULL' && f.participantId === 'LNSPNORTH');
    expect(sender.frames.filter((f) => f.subType === 'QUEUE_FULL')).toHaveLength(1);
    // The breach list shows it with the published fields.
    const breaches = await h().app.inject({ method: 'GET', url: '/fctrl/v1/businessFunctions', headers: await h().as('LNSPNORTH', 'FCTRL_STATUS') });
    expect(breaches.json().data.businessFunctions).toEqual([{
      businessFunctionId: 'pqd', ackStatus: null, ackCount: null, ackBreachedTimestamp: null,
      messageStatus: 'Stopped', messageCount: 5, messageBreachedTimestamp: '2026-07-02T09:01:00.000+10:00',
    }]);

    // Drain: 5 → 2 is still Stopped (not below Low) ...
    for (const id of [first[0]!, first[1]!, first[2]!]) await deleteMessage(id);
    expect(await flowInfo()).toMatchObject({ messageStatus: 'Stopped', messageCount: 2, heldCount: 2 });
    // ... 1 is below Low: Normal, and the held messages are delivered, in order.
    await deleteMessage(fourth!);
    expect(await flowInfo()).toMatchObject({ messageStatus: 'Normal', messageCount: 3, heldCount: 0, messageBreachedTimestamp: null });
    await lnsp.waitFor((f) => f.subType === 'QUEUE_RESUMED');
    expect(await queue(h())).toEqual([fifth, ...held]);
    expect(lnsp.frames.filter((f) => f.eventType === 'MESSAGE_AVAILABLE').map((f) => f.messageContextId)).toEqual([...first, fourth, fifth, ...held]);

    // Nothing lost or duplicated: every accepted message reached the queue exactly once.
    const delivered = h().ctx.db.prepare("SELECT count(*) AS n, count(DISTINCT message_pk) AS d FROM queue_items WHERE state = 'delivered'").get();
    expect(delivered).toEqual({ n: 3, d: 3 });
    const log = h().ctx.db.prepare("SELECT count(DISTINCT message_context_id) AS n FROM transaction_log WHERE status = 'removed'").get() as { n: number };
    expect(log.n).toBe(4);
    // The counters agree with the queue itself.
    expect(h().ctx.messages.recount('LNSPNORTH', 'pqd')).toEqual({ delivered: 3, unretrieved: 3, held: 0 });
    // Warned with nothing retrieved or deleted yet: the LNSP was also told its delete rate is insufficient.
    expect(lnsp.frames.filter((f) => f.eventType === 'FLOW_CONTROL').map((f) => f.subType)).toEqual(['QUEUE_WARN', 'INSUFFICIENT_DELETE_RATE', 'QUEUE_FULL', 'QUEUE_RESUMED']);
    // Participant Status history shows each change.
    const history = await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants/LNSPNORTH/history?businessFunctionId=pqd', headers: await h().as('LNSPNORTH', 'FCTRL_STATUS') });
    expect(history.json().data.map((r: { event: string }) => r.event)).toEqual(['QUEUE_WARN', 'INSUFFICIENT_DELETE_RATE', 'QUEUE_FULL', 'QUEUE_RESUMED']);
  });

  it('counts unretrieved messages: a GET lowers the count, so retrieving alone can resume delivery', async () => {
    const ids = await submitN(5);
    await submitN(1);
    expect(await flowInfo()).toMatchObject({ messageStatus: 'Stopped', heldCount: 1 });
    for (const id of ids.slice(0, 4)) {
      expect((await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${id}`, headers: await h().as('LNSPNORTH') })).statusCode).toBe(200);
    }
    expect(await flowInfo()).toMatchObject({ messageStatus: 'Normal', messageCount: 2, heldCount: 0 });
  });
});

describe('manual stop (Table 7: "Turn on and off the manual stop")', () => {
  it('holds new messages while delivery is switched off and delivers them when switched on', async () => {
    const stop = await patch('LNSPNORTH', 'Stopped');
    expect(stop.statusCode, stop.body).toBe(200);
    expect(stop.json().data).toMatchObject({ outboundDelivery: 'Stopped', messageStatus: 'Normal' });
    const held = await submitN(2);
    expect(await queue(h())).toEqual([]);
    expect(await flowInfo()).toMatchObject({ heldCount: 2, outboundDelivery: 'Stopped' });
    const start = await patch('LNSPNORTH', 'Started');
    expect(start.json().data).toMatchObject({ outboundDelivery: 'Started', heldCount: 0, messageCount: 2 });
    expect(await queue(h())).toEqual(held);
    const history = await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants/LNSPNORTH/history', headers: await h().as('LNSPNORTH', 'FCTRL_STATUS') });
    expect(history.json().data.map((r: { event: string }) => r.event)).toEqual(['MANUAL_STOP', 'MANUAL_START']);
  });

  it('tells a sender its recipient is stopped once per stop episode: again after delivery was switched on and off, remembering nothing in between', async () => {
    const sender = await h().events('MDPONE');
    const queueFull = () => sender.frames.filter((f) => f.subType === 'QUEUE_FULL' && f.participantId === 'LNSPNORTH');
    expect((await patch('LNSPNORTH', 'Stopped')).statusCode).toBe(200);
    await submitN(2);
    await sender.waitFor((f) => f.subType === 'QUEUE_FULL');
    expect(queueFull()).toHaveLength(1);
    expect(h().ctx.delivery.toldSendersSize).toBe(1);
    expect((await patch('LNSPNORTH', 'Started')).statusCode).toBe(200);
    expect(h().ctx.delivery.toldSendersSize).toBe(0);
    h().clock.set(Date.parse('2026-07-03T00:00:00.000+10:00')); // two PATCHes per market day
    expect((await patch('LNSPNORTH', 'Stopped')).statusCode).toBe(200);
    await submitN(2);
    await vi.waitFor(() => expect(queueFull()).toHaveLength(2));
    expect(h().ctx.delivery.toldSendersSize).toBe(1);
  });

  it('switches on and off once per market day: the 3rd PATCH is refused with 429 until AEST midnight (spec §4.2)', async () => {
    expect((await patch('LNSPNORTH', 'Stopped')).statusCode).toBe(200);
    expect((await patch('LNSPNORTH', 'Started')).statusCode).toBe(200);
    const third = await patch('LNSPNORTH', 'Stopped');
    expect(third.statusCode).toBe(429);
    expect(third.headers['retry-after']).toBe(String(15 * 3600)); // 09:00 → midnight AEST
    expect(third.json()).toMatchObject({ code: 'IDX_ERR_RATE_LIMITED', errors: [{ in: 'path', name: 'businessFunctionId', code: 'RATE_LIMITED' }] });
    expect(third.json().detail).toMatch(/limit of 2 requests per participant per business function per market day/);
    // The refused PATCH changed nothing, and reads have their own quota.
    expect(await flowInfo()).toMatchObject({ outboundDelivery: 'Started' });
    h().clock.set(Date.parse('2026-07-03T00:00:00.000+10:00'));
    expect((await patch('LNSPNORTH', 'Stopped')).statusCode).toBe(200);
  });

  it('needs FCTRL_FCTRL: an MC (FCTRL_STATUS only) is refused with 403', async () => {
    const res = await patch('ACMEMC', 'Stopped', 'FCTRL_STATUS FCTRL_FCTRL');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_ENTITY_NOT_GRANTED' });
    expect(res.json().detail).toMatch(/FCTRL_FCTRL with update \(PATCH\) for ACMEMC/);
  });

  it.each([
    [{ outboundDelivery: 'Paused' }, '/outboundDelivery'],
    [{ outboundDelivery: 'Stopped', when: 'now' }, '/when'],
    [{}, '/outboundDelivery'],
  ])('refuses body %j with 400 pointing at %s', async (body, pointer) => {
    const res = await h().app.inject({
      method: 'PATCH', url: '/fctrl/v1/businessFunctions/pqd',
      headers: { ...(await h().as('LNSPNORTH', 'FCTRL_FCTRL')), 'content-type': 'application/json' }, payload: body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_SCHEMA_INVALID', errors: [expect.objectContaining({ in: 'body', pointer })] });
  });

  it('needs x-market (spec §3), and finds pqd only in NEM', async () => {
    const headers = await h().as('LNSPNORTH', 'FCTRL_STATUS');
    const { 'x-market': _market, ...withoutMarket } = headers;
    const missing = await h().app.inject({ method: 'GET', url: '/fctrl/v1/businessFunctions/pqd', headers: withoutMarket });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'IDX_ERR_HEADER_MISSING', errors: [{ in: 'header', name: 'x-market' }] });
    const gas = await h().app.inject({ method: 'GET', url: '/fctrl/v1/businessFunctions/pqd', headers: { ...headers, 'x-market': 'VICGAS' } });
    expect(gas.statusCode).toBe(404);
    expect(gas.json().detail).toMatch(/does not exist in market VICGAS/);
    const breaches = await h().app.inject({ method: 'GET', url: '/fctrl/v1/businessFunctions', headers: { ...headers, 'x-market': 'VICGAS' } });
    expect(breaches.json()).toEqual({ data: { businessFunctions: [] } });
  });

  it('refuses an unknown business function with 404', async () => {
    const res = await h().app.inject({ method: 'GET', url: '/fctrl/v1/businessFunctions/sord', headers: await h().as('LNSPNORTH', 'FCTRL_STATUS') });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_BUSINESS_FUNCTION_NOT_FOUND', errors: [{ in: 'path', name: 'businessFunctionId' }] });
  });

  it.each([
    ['PATCH', '/fctrl/v1/businessFunctions/sord', 'path'],
    ['GET', '/fctrl/v1/participants?businessFunctionId=sord', 'query'],
    ['GET', '/fctrl/v1/participants/LNSPNORTH/history?businessFunctionId=sord', 'query'],
  ])('%s %s: an unknown business function → 404 naming it', async (method, url) => {
    const res = await h().app.inject({
      method: method as 'GET', url, headers: { ...(await h().as('LNSPNORTH', 'FCTRL_FCTRL FCTRL_STATUS')), 'content-type': 'application/json' },
      ...(method === 'PATCH' ? { payload: { outboundDelivery: 'Stopped' } } : {}),
    });
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_BUSINESS_FUNCTION_NOT_FOUND', errors: [expect.objectContaining({ name: 'businessFunctionId' })] });
  });

  it('refuses a PATCH body that is not JSON with 415', async () => {
    const res = await h().app.inject({
      method: 'PATCH', url: '/fctrl/v1/businessFunctions/pqd',
      headers: { ...(await h().as('LNSPNORTH', 'FCTRL_FCTRL')), 'content-type': 'text/plain' }, payload: 'outboundDelivery=Stopped',
    });
    expect(res.statusCode, res.body).toBe(415);
    expect(res.json().status).toBe(415);
  });
});

describe('participant status (spec §4.3)', () => {
  it('shows the current delivery state, counts and any active outage, by default the caller\'s own', async () => {
    await submitN(2);
    const outage = await h().app.inject({
      method: 'POST', url: '/sim/v1/outages', headers: { ...h().admin(), 'content-type': 'application/json' },
      payload: { outageStart: '2026-07-02T08:00:00+10:00', outageEnd: '2026-07-02T12:00:00+10:00', description: 'IDX maintenance', participantIds: ['LNSPNORTH'], apis: ['pqd'] },
    });
    expect(outage.statusCode, outage.body).toBe(201);
    const res = await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants', headers: await h().as('LNSPNORTH', 'FCTRL_STATUS') });
    expect(res.json().data).toEqual([expect.objectContaining({
      participantId: 'LNSPNORTH', businessFunctionId: 'pqd', messageStatus: 'Normal', messageCount: 2, heldCount: 0, outboundDelivery: 'Started',
      outage: { active: true, outageStart: '2026-07-02T08:00:00.000+10:00', outageEnd: '2026-07-02T12:00:00.000+10:00', description: 'IDX maintenance' },
      resources: [{ businessFunctionResourceId: 'bpqd', messageCount: 2 }],
    })]);
    const south = await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants', headers: await h().as('LNSPSOUTH', 'FCTRL_STATUS') });
    expect(south.json().data[0]).toMatchObject({ participantId: 'LNSPSOUTH', messageCount: 0, outage: null });
  });

  it('a holder of FCTRL_STATUS reads another participant\'s current status and history (FC-OAS: "as well as for other participants")', async () => {
    await submitN(2);
    expect((await patch('LNSPNORTH', 'Stopped')).statusCode).toBe(200);
    const mc = await h().as('MDPONE', 'FCTRL_STATUS');
    const current = await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants?participantId=LNSPNORTH', headers: mc });
    expect(current.statusCode, current.body).toBe(200);
    expect(current.json().data).toEqual([expect.objectContaining({ participantId: 'LNSPNORTH', businessFunctionId: 'pqd', messageCount: 2, outboundDelivery: 'Stopped' })]);
    const history = await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants/LNSPNORTH/history', headers: mc });
    expect(history.statusCode, history.body).toBe(200);
    expect(history.json().data.map((r: { event: string }) => r.event)).toEqual(['MANUAL_STOP']);
  });

  it('reading another participant\'s status still needs FCTRL_STATUS → 403, and shows nothing of its queue', async () => {
    await submitN(1);
    const noStatus = await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants?participantId=LNSPNORTH', headers: await h().as('LNSPSOUTH', 'PQD_BPQD') });
    expect(noStatus.statusCode).toBe(403);
    expect(noStatus.json().code).toBe('IDX_ERR_ENTITY_NOT_GRANTED');
    const history = await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants/LNSPNORTH/history', headers: await h().as('LNSPSOUTH', 'PQD_BPQD') });
    expect(history.statusCode).toBe(403);
    // The status is counts and states; LNSPNORTH's queue stays invisible to LNSPSOUTH.
    const south = await h().as('LNSPSOUTH', 'PQD_BPQD FCTRL_STATUS');
    const [id] = await queue(h());
    const list = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: south });
    expect(list.json().data).toEqual([]);
    const get = await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${id}`, headers: south });
    expect(get.statusCode).toBe(404);
    expect(get.json().code).toBe('IDX_ERR_MESSAGE_NOT_FOUND');
  });

  it.each([
    ['/fctrl/v1/participants?participantId=NOBODY', 'query'],
    ['/fctrl/v1/participants/NOBODY/history', 'path'],
  ])('refuses %s (no such participant) with 404', async (url, where) => {
    const res = await h().app.inject({ method: 'GET', url, headers: await h().as('LNSPNORTH', 'FCTRL_STATUS') });
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_PARTICIPANT_NOT_FOUND', errors: [{ in: where, name: 'participantId' }] });
  });

  it('needs FCTRL_STATUS', async () => {
    const res = await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants', headers: await h().as('LNSPNORTH', 'PQD_BPQD') });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('IDX_ERR_ENTITY_NOT_GRANTED');
  });

  it('pages the history with a cursor', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await patch('LNSPNORTH', 'Stopped')).statusCode).toBe(200);
      expect((await patch('LNSPNORTH', 'Started')).statusCode).toBe(200);
      h().clock.advance(86_400_000); // on and off once per market day (spec §4.2)
    }
    const headers = await h().as('LNSPNORTH', 'FCTRL_STATUS');
    const first = (await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants/LNSPNORTH/history?itemCount=4', headers })).json();
    expect(first.meta.itemCount).toBe(4);
    const second = (await h().app.inject({ method: 'GET', url: `/fctrl/v1/participants/LNSPNORTH/history?itemCount=4&cursor=${first.meta.nextCursor}`, headers })).json();
    expect(second.meta).toEqual({ itemCount: 2, nextCursor: null });
    expect([...first.data, ...second.data].map((r: { event: string }) => r.event)).toEqual(['MANUAL_STOP', 'MANUAL_START', 'MANUAL_STOP', 'MANUAL_START', 'MANUAL_STOP', 'MANUAL_START']);
  });
});

describe('queue expiry (spec §4.1: up to 10 calendar days)', () => {
  it('removes a message 10 days after it arrived, driven by the simulated clock', async () => {
    const [id] = await submitN(1);
    h().clock.advance(10 * 86_400_000 - 1);
    expect(await queue(h())).toEqual([id]);
    h().clock.advance(1);
    expect(await queue(h())).toEqual([]);
    expect(h().ctx.transactionLog.forContext(id!).map((r) => [r.status, r.reasonCode])).toEqual([['delivery_pending', null], ['removed', 'EXPIRED']]);
    expect(await flowInfo()).toMatchObject({ messageCount: 0 });
  });

  it('never shows an expired message, and reads write nothing: expiry runs on clock moves and the housekeeping timer', async () => {
    const [id] = await submitN(1);
    const log = () => h().ctx.transactionLog.forContext(id!).map((r) => [r.status, r.reasonCode, r.traceId]);
    const before = log();
    // Simulated time running on its own 10 days on (no set/advance): nothing has run expiry yet.
    h().clock.unfreeze();
    const realNow = Date.now();
    const now = vi.spyOn(Date, 'now').mockReturnValue(realNow + 10 * 86_400_000);
    try {
      expect(await queue(h())).toEqual([]);
      const get = await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${id}`, headers: await h().as('LNSPNORTH') });
      expect(get.statusCode).toBe(404);
      const del = await h().app.inject({ method: 'DELETE', url: `/pqd/v1/bpqd/${id}`, headers: await h().as('LNSPNORTH') });
      expect(del.statusCode).toBe(404);
      // The refused GET and DELETE are logged as refusals (spec §7); nothing removed it, nothing recounted.
      expect(log().filter(([status]) => status !== 'message_rejected')).toEqual(before);
      expect(await flowInfo()).toMatchObject({ messageCount: 1 });
      const sweep = 'ab'.repeat(16);
      expect(h().ctx.delivery.expire(sweep)).toBe(1);
      expect(log().at(-1)).toEqual(['removed', 'EXPIRED', sweep]);
      expect(await flowInfo()).toMatchObject({ messageCount: 0 });
      // Nothing else is due: the next sweep is one index lookup and removes nothing.
      expect(h().ctx.delivery.expire(() => { throw new Error('no trace id is needed when nothing is due'); })).toBe(0);
    } finally {
      now.mockRestore();
      h().clock.freeze();
    }
  });

  it('expires through the control API clock move too', async () => {
    const [id] = await submitN(1);
    const res = await h().app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: { ...h().admin(), 'content-type': 'application/json' }, payload: { advanceSeconds: 10 * 86_400 } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ now: '2026-07-12T09:00:00.000+10:00', frozen: true, expiredMessages: 1 });
    expect(h().ctx.transactionLog.forContext(id!).at(-1)).toMatchObject({ status: 'removed', reasonCode: 'EXPIRED', traceId: res.headers['x-traceid'] });
  });
});
