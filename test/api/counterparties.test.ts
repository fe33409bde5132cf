/**
 * Virtual counterparties (issue #10): each sender schedule and LNSP policy, driven by the simulated clock,
 * their traffic through the real API (inject with the participant's certificate and token: same checks,
 * same transaction log), and the control API that starts, changes and stops them.
 */
import { describe, expect, it } from 'vitest';
import { IdxClient, toReply, type Transport } from '../../src/client/idx-client.js';
import type { CounterpartyView } from '../../src/services/counterparty-service.js';
import { certHeader, certificatePem, signerFor, useHarness, type Harness } from '../helpers/harness.js';

const harness = useHarness({ fcCountMode: 'queued', fcPqdLow: 2, fcPqdWarn: 3, fcPqdHigh: 4 });
const MINUTE = 60_000;

/** The in-process way to the hub: app.inject, with the participant's certificate passed as the TLS layer would. */
function injectTransport(h: Harness, participantId: string): Transport {
  return {
    async send(method, path, headers, body) {
      const started = performance.now();
      const res = await h.app.inject({ method: method as 'GET', url: path, headers: { ...headers, ...certHeader(certificatePem(participantId)) }, ...(body === undefined ? {} : { payload: body }) });
      return toReply(res.statusCode, res.headers as Record<string, string>, res.rawPayload, performance.now() - started);
    },
    async close() {},
  };
}

function connect(h: Harness): void {
  h.ctx.counterparties.useConnector((spec) => ({
    client: new IdxClient({ url: 'inject:', participantId: spec.participantId, cert: '', key: '', clientId: `${spec.participantId.toLowerCase()}-api`, clientSecret: `${spec.participantId.toLowerCase()}-secret` },
      injectTransport(h, spec.participantId), () => h.clock.now()),
    signer: signerFor(spec.participantId),
  }));
}

async function queue(h: Harness, lnsp: string): Promise<Array<{ messageContextId: string; initiatingParticipantId: string; retrievedDateTime: string | null; priority: string }>> {
  const res = await h.app.inject({ method: 'GET', url: '/pqd/v1/bpqd?itemCount=500', headers: await h.as(lnsp) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data;
}

const admin = async (h: Harness, method: string, url: string, payload?: object) =>
  h.app.inject({ method: method as 'GET', url: `/sim/v1${url}`, headers: h.admin(), ...(payload ? { payload } : {}) });

const view = (h: Harness, id: string): CounterpartyView => h.ctx.counterparties.get(id);

describe('a virtual sender', () => {
  it('sends each market day the data of the NMIs it serves, one message per LNSP, when the simulated clock passes the day', async () => {
    const h = harness();
    connect(h);
    h.ctx.counterparties.add({ id: 'mdp', kind: 'sender', participantId: 'MDPONE', schedule: { every: 'day' }, from: '2026-07-01' });
    await h.ctx.counterparties.tick();
    // 2026-07-01 is over (the clock reads 2026-07-02 09:00): its data went to both LNSPs.
    expect(view(h, 'mdp').stats).toMatchObject({ sent: 2, accepted: 2, refused: 0 });
    expect(await queue(h, 'LNSPNORTH')).toEqual([expect.objectContaining({ initiatingParticipantId: 'MDPONE', priority: 'Low' })]);
    expect(await queue(h, 'LNSPSOUTH')).toHaveLength(1);
    expect(view(h, 'mdp').nextMarketDate).toBe('2026-07-02');

    await h.ctx.counterparties.tick();
    expect(view(h, 'mdp').stats.sent).toBe(2); // nothing new is due

    h.clock.advance(24 * 60 * MINUTE);
    await h.ctx.counterparties.tick();
    expect(view(h, 'mdp').stats).toMatchObject({ sent: 4, accepted: 4 });
    const north = await queue(h, 'LNSPNORTH');
    expect(north).toHaveLength(2);
    // Through the real API: the transaction log has the submissions, with the hub's trace ids.
    const log = await h.app.inject({ method: 'GET', url: '/translog/v1/messages?itemCount=10', headers: { ...(await h.as('MDPONE', 'TRANSLOG_TRANSLOG')) } });
    expect(log.statusCode, log.body).toBe(200);
    expect(log.json().data.filter((m: { fromParticipant: string }) => m.fromParticipant === 'MDPONE')).toHaveLength(4);
  });

  it('sends only the NMIs it is responsible for that day: a churned NMI leaves its messages on the churn date', async () => {
    const h = harness();
    connect(h);
    h.clock.set(Date.parse('2026-07-16T09:00:00.000+10:00'));
    h.ctx.counterparties.add({ id: 'mdp2', kind: 'sender', participantId: 'MDPTWO', nmis: ['4102000099', '4102000001'], schedule: { every: 'day' }, from: '2026-07-14' });
    await h.ctx.counterparties.tick();
    // MDPTWO is the MDP of 4102000099 from 2026-07-15 only, and never of 4102000001.
    expect(view(h, 'mdp2').stats).toMatchObject({ sent: 1, accepted: 1, refused: 0 });
    const [message] = await queue(h, 'LNSPNORTH');
    const got = await h.app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${message!.messageContextId}`, headers: await h.as('LNSPNORTH') });
    const payload = JSON.parse((await import('node:zlib')).gunzipSync(got.rawPayload).toString());
    expect(payload.data.transactions[0].nmiDetails.map((d: { nmi: string }) => d.nmi)).toEqual(['4102000099']);
    expect(payload.data.transactions[0].nmiDetails[0].meters[0].intervals[0].intervalStartDateTime).toBe('2026-07-15T00:00:00.000+10:00');
  });

  it('sends every N minutes the intervals since the last run', async () => {
    const h = harness();
    connect(h);
    h.ctx.counterparties.add({ id: 'mc', kind: 'sender', participantId: 'ACMEMC', nmis: ['6102000001'], schedule: { everyMinutes: 30 }, intervalLength: 15 });
    await h.ctx.counterparties.tick();
    expect(view(h, 'mc').stats.sent).toBe(0);
    h.clock.advance(60 * MINUTE);
    await h.ctx.counterparties.tick();
    expect(view(h, 'mc').stats).toMatchObject({ sent: 2, accepted: 2 });
    const messages = await queue(h, 'LNSPSOUTH');
    const got = await h.app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${messages[1]!.messageContextId}`, headers: await h.as('LNSPSOUTH') });
    const intervals = JSON.parse((await import('node:zlib')).gunzipSync(got.rawPayload).toString()).data.transactions[0].nmiDetails[0].meters[0].intervals;
    expect(intervals.map((i: { intervalStartDateTime: string }) => i.intervalStartDateTime)).toEqual(['2026-07-02T09:30:00.000+10:00', '2026-07-02T09:45:00.000+10:00']);
  });

  it('sends the chosen share of named invalid variants and the chosen priorities, and counts the refusals by code', async () => {
    const h = harness();
    connect(h);
    h.ctx.counterparties.add({ id: 'bad', kind: 'sender', participantId: 'MDPONE', schedule: { every: 'day' }, from: '2026-07-01',
      invalidShare: 1, invalidVariants: ['bad-checksum', 'wrong-lnsp'], priorityMix: { h: 1 } });
    await h.ctx.counterparties.tick();
    const v = view(h, 'bad');
    expect(v.stats.refused).toBe(v.stats.sent);
    expect(v.stats.invalidSent).toBe(v.stats.sent);
    expect(Object.keys(v.stats.refusedByCode).every((c) => ['IDX_ERR_NMI_CHECKSUM', 'IDX_ERR_RECIPIENT_NOT_LNSP'].includes(c))).toBe(true);
    expect(v.recent.every((a) => a.action === 'submit' && /~h~mdpone~/.test(a.messageContextId!))).toBe(true);

    h.ctx.counterparties.update('bad', { invalidShare: 0 });
    h.clock.advance(24 * 60 * MINUTE);
    await h.ctx.counterparties.tick();
    expect(view(h, 'bad').stats.accepted).toBeGreaterThan(0);
    expect((await queue(h, 'LNSPNORTH')).every((m) => m.priority === 'High')).toBe(true);
  });
});

describe('a virtual LNSP', () => {
  async function fill(h: Harness, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const res = await h.submit('MDPONE', h.payload({ sender: 'MDPONE' }));
      expect(res.statusCode, res.body).toBe(200);
    }
  }

  it('normal: lists, gets and deletes everything queued', async () => {
    const h = harness();
    connect(h);
    await fill(h, 3);
    h.ctx.counterparties.add({ id: 'north', kind: 'lnsp', participantId: 'LNSPNORTH', policy: 'normal' });
    await h.ctx.counterparties.tick();
    expect(view(h, 'north').stats).toMatchObject({ retrieved: 3, deleted: 3, failed: 0 });
    expect(await queue(h, 'LNSPNORTH')).toEqual([]);
  });

  it('get-only: retrieves each message once and never deletes, so the queue climbs to High and the sender hears QUEUE_FULL', async () => {
    const h = harness();
    connect(h);
    const sender = await h.events('MDPONE');
    h.ctx.counterparties.add({ id: 'north', kind: 'lnsp', participantId: 'LNSPNORTH', policy: 'get-only' });
    await fill(h, 2);
    await h.ctx.counterparties.tick();
    await fill(h, 2);
    await h.ctx.counterparties.tick();
    expect(view(h, 'north').stats).toMatchObject({ retrieved: 4, deleted: 0 });
    const queued = await queue(h, 'LNSPNORTH');
    expect(queued).toHaveLength(4);
    expect(queued.every((m) => m.retrievedDateTime !== null)).toBe(true);
    const status = await h.app.inject({ method: 'GET', url: '/fctrl/v1/businessFunctions', headers: await h.as('LNSPNORTH', 'FCTRL_STATUS') });
    expect(status.json().data.businessFunctions).toEqual([expect.objectContaining({ businessFunctionId: 'pqd', messageStatus: 'Stopped' })]);
    await fill(h, 1); // held: the queue is at High
    await sender.waitFor((f) => f.eventType === 'FLOW_CONTROL' && f.subType === 'QUEUE_FULL' && f.participantId === 'LNSPNORTH');
  });

  it('slow: takes perMinute messages per simulated minute', async () => {
    const h = harness();
    connect(h);
    await fill(h, 3);
    h.ctx.counterparties.add({ id: 'north', kind: 'lnsp', participantId: 'LNSPNORTH', policy: 'slow', perMinute: 1 });
    await h.ctx.counterparties.tick();
    expect(view(h, 'north').stats.deleted).toBe(0);
    h.clock.advance(MINUTE);
    await h.ctx.counterparties.tick();
    expect(view(h, 'north').stats.deleted).toBe(1);
    h.clock.advance(MINUTE);
    await h.ctx.counterparties.tick();
    await h.ctx.counterparties.tick();
    expect(view(h, 'north').stats.deleted).toBe(2);
    expect(await queue(h, 'LNSPNORTH')).toHaveLength(1);
  });

  it('stopped: takes nothing, until changed to normal', async () => {
    const h = harness();
    connect(h);
    await fill(h, 2);
    h.ctx.counterparties.add({ id: 'north', kind: 'lnsp', participantId: 'LNSPNORTH', policy: 'stopped' });
    h.clock.advance(60 * MINUTE);
    await h.ctx.counterparties.tick();
    expect(view(h, 'north').stats.retrieved).toBe(0);
    expect(await queue(h, 'LNSPNORTH')).toHaveLength(2);
    h.ctx.counterparties.update('north', { policy: 'normal' });
    await h.ctx.counterparties.tick();
    expect(await queue(h, 'LNSPNORTH')).toEqual([]);
  });
});

describe('/sim/v1/counterparties', () => {
  it('starts, lists, changes, runs and stops counterparties', async () => {
    const h = harness();
    connect(h);
    const created = await admin(h, 'POST', '/counterparties', { kind: 'sender', participantId: 'MDPONE', from: '2026-07-01' });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().data.id as string;
    expect(created.json().data).toMatchObject({ state: 'running', nextMarketDate: '2026-07-01', spec: { schedule: { every: 'day' } } });
    const lnsp = await admin(h, 'POST', '/counterparties', { id: 'north', kind: 'lnsp', participantId: 'LNSPNORTH' });
    expect(lnsp.json().data.spec.policy).toBe('normal');

    const ran = await admin(h, 'POST', '/counterparties/tick');
    expect(ran.statusCode, ran.body).toBe(200);
    expect(ran.json().data.find((c: CounterpartyView) => c.id === id).stats.accepted).toBe(2);
    expect(ran.json().data.find((c: CounterpartyView) => c.id === 'north').stats.deleted).toBe(1);

    const patched = await admin(h, 'PATCH', '/counterparties/north', { policy: 'slow', perMinute: 5 });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().data.spec).toMatchObject({ policy: 'slow', perMinute: 5 });
    expect((await admin(h, 'GET', '/counterparties')).json().data).toHaveLength(2);
    expect((await admin(h, 'DELETE', `/counterparties/${id}`)).statusCode).toBe(204);
    expect((await admin(h, 'GET', `/counterparties/${id}`)).statusCode).toBe(404);
    expect((await admin(h, 'GET', `/counterparties/${id}`)).json().code).toBe('IDX_ERR_COUNTERPARTY_NOT_FOUND');
  });

  it('refuses what cannot work, naming the field', async () => {
    const h = harness();
    const cases: Array<[object, string]> = [
      [{ kind: 'sender', participantId: 'NOBODY' }, '/participantId'],
      [{ kind: 'lnsp', participantId: 'MDPONE' }, '/participantId'],
      [{ kind: 'sender', participantId: 'LNSPNORTH' }, '/participantId'],
      [{ kind: 'lnsp', participantId: 'LNSPNORTH', policy: 'slow' }, '/perMinute'],
      [{ kind: 'sender', participantId: 'MDPONE', invalidShare: 0.5, invalidVariants: ['wrong-party-after-churn'] }, '/invalidVariants'],
      [{ kind: 'sender', participantId: 'MDPONE', priorityMix: { h: 0 } }, '/priorityMix'],
      [{ kind: 'sender', participantId: 'MDPONE', surprise: true }, '/surprise'],
    ];
    for (const [body, pointer] of cases) {
      const res = await admin(h, 'POST', '/counterparties', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().errors.some((e: { pointer?: string }) => e.pointer?.startsWith(pointer)), `${JSON.stringify(body)}: ${res.body}`).toBe(true);
    }
    expect((await h.app.inject({ method: 'GET', url: '/sim/v1/counterparties' })).statusCode).toBe(401);
  });

  it('refuses a malformed id (400 naming it) and an unknown one (404) on each operation of /counterparties/{id}', async () => {
    const h = harness();
    for (const [method, body] of [['GET', undefined], ['PATCH', { policy: 'normal' }], ['DELETE', undefined]] as const) {
      const bad = await admin(h, method, '/counterparties/Not_An_Id', body);
      expect(bad.statusCode, `${method} malformed id: ${bad.body}`).toBe(400);
      expect(bad.json().errors.some((e: { name?: string; pointer?: string }) => e.name === 'id' || e.pointer?.includes('id')), bad.body).toBe(true);
      const unknown = await admin(h, method, '/counterparties/nobody-here', body);
      expect(unknown.statusCode, `${method} unknown id: ${unknown.body}`).toBe(404);
      expect(unknown.json().code).toBe('IDX_ERR_COUNTERPARTY_NOT_FOUND');
    }
    // A change the counterparty cannot take is refused, naming the field, and leaves it as it was.
    const lnsp = await admin(h, 'POST', '/counterparties', { id: 'north', kind: 'lnsp', participantId: 'LNSPNORTH' });
    expect(lnsp.statusCode).toBe(201);
    const refused = await admin(h, 'PATCH', '/counterparties/north', { policy: 'sideways' });
    expect(refused.statusCode, refused.body).toBe(400);
    expect((await admin(h, 'GET', '/counterparties/north')).json().data.policy).toBe(lnsp.json().data.policy);
  });
});
