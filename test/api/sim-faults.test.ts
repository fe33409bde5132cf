/** Control API: fault injection — each kind, its filters and window, switching off, and where it is logged. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { T0, useHarness } from '../helpers/harness.js';

const snapshotDir = mkdtempSync(join(tmpdir(), 'idx-sim-fault-snapshots-'));
afterAll(() => rmSync(snapshotDir, { recursive: true, force: true }));
const h = useHarness({ adminKey: 'k3y', snapshotDir });
const json = { 'content-type': 'application/json' };
const addFault = async (rule: Record<string, unknown>) => {
  const res = await h().app.inject({ method: 'POST', url: '/sim/v1/faults', headers: { ...h().admin(), ...json }, payload: rule });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data as { id: number; hits: number; active: boolean };
};
const admin = (method: 'GET' | 'PATCH' | 'DELETE' | 'PUT', url: string, payload?: object) =>
  h().app.inject({ method, url, headers: { ...h().admin(), ...(payload ? json : {}) }, ...(payload ? { payload } : {}) });
const submit = (sender = 'MDPONE') => h().submit(sender, h().payload({ sender }));
const queueSize = async () => (await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as('LNSPNORTH') })).json().meta.totalRecords as number;

describe('fault injection', () => {
  it.each([[500, 'IDX_ERR_INJECTED_INTERNAL'], [502, 'IDX_ERR_INJECTED_BAD_GATEWAY'], [503, 'IDX_ERR_INJECTED_UNAVAILABLE'], [504, 'IDX_ERR_INJECTED_TIMEOUT']] as const)(
    'error %i: a problem+json answer for the chosen participant and operation only, in the transaction log and the journal', async (status, code) => {
      const rule = await addFault({ kind: 'error', status, api: 'pqd', operationId: 'submitBpqd', participantId: 'MDPONE', description: 'gateway trouble' });
      const res = await submit();
      expect(res.statusCode).toBe(status);
      expect(res.headers['x-idx-sim-fault']).toBe(String(rule.id));
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json()).toMatchObject({ code, status, traceId: res.headers['x-traceid'], detail: expect.stringMatching(/fault rule \d+ \(gateway trouble\)/) });
      if (status === 503) expect(res.headers['retry-after']).toBe('1');
      const contextId = res.json().messageContextId as string;
      expect(h().ctx.transactionLog.forContext(contextId)).toEqual([expect.objectContaining({ status: 'message_rejected', reasonCode: code, fromParticipant: 'MDPONE' })]);
      // Another participant, and another operation of the same participant, are untouched.
      expect((await submit('ACMEMC')).statusCode).toBe(200);
      expect((await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants', headers: await h().as('MDPONE', 'FCTRL_STATUS') })).headers['x-idx-sim-fault']).toBeUndefined();
      const journal = (await admin('GET', '/sim/v1/journal?faulted=true')).json().data;
      expect(journal).toEqual([expect.objectContaining({ faultRuleId: rule.id, status, code, participantId: 'MDPONE' })]);
      expect((await admin('GET', `/sim/v1/faults/${rule.id}`)).json().data.hits).toBe(1);
    });

  it('error for a share of requests: rolled on the seeded random source, so the same requests fail on every run', async () => {
    await addFault({ kind: 'error', status: 503, operationId: 'listBpqd', share: 0.5 });
    const headers = await h().as('LNSPNORTH');
    const outcomes: number[] = [];
    for (let i = 0; i < 20; i++) outcomes.push((await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers })).statusCode);
    const failed = outcomes.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(3);
    expect(failed).toBeLessThan(17);
    expect(outcomes.every((s) => s === 200 || s === 503)).toBe(true);
    expect((await admin('GET', '/sim/v1/faults')).json().data[0].hits).toBe(failed);
  });

  it('latency: fixed, and random within a range from the seeded source; the journal shows the time taken', async () => {
    const fixed = await addFault({ kind: 'latency', latencyMs: 60, operationId: 'listBpqd' });
    const headers = await h().as('LNSPNORTH');
    const slow = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers });
    expect(slow.statusCode).toBe(200);
    expect(slow.headers['x-idx-sim-fault']).toBe(String(fixed.id));
    const entry = (await admin('GET', '/sim/v1/journal?operationId=listBpqd')).json().data[0];
    expect(entry).toMatchObject({ faultRuleId: fixed.id, status: 200 });
    expect(entry.durationMs).toBeGreaterThanOrEqual(55);
    await admin('PATCH', `/sim/v1/faults/${fixed.id}`, { enabled: false });
    await addFault({ kind: 'latency', latencyMs: 5, latencyMaxMs: 40, operationId: 'listBpqd' });
    const started = performance.now();
    expect((await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers })).statusCode).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(4);
  });

  it('a window on the simulated clock: inactive before, active inside, inactive after', async () => {
    const rule = await addFault({ kind: 'error', status: 502, operationId: 'submitBpqd', from: '2026-07-02T10:00:00+10:00', to: '2026-07-02T11:00:00+10:00' });
    expect(rule.active).toBe(false);
    expect((await submit()).statusCode).toBe(200);
    h().clock.set(T0 + 90 * 60_000);
    expect((await submit()).statusCode).toBe(502);
    expect((await admin('GET', `/sim/v1/faults/${rule.id}`)).json().data.active).toBe(true);
    h().clock.set(T0 + 2 * 3_600_000);
    expect((await submit()).statusCode).toBe(200);
  });

  it('switched off, a rule stops; removed, it is gone; clear removes all', async () => {
    const rule = await addFault({ kind: 'error', status: 500, operationId: 'submitBpqd' });
    expect((await submit()).statusCode).toBe(500);
    const off = await admin('PATCH', `/sim/v1/faults/${rule.id}`, { enabled: false });
    expect(off.json().data).toMatchObject({ enabled: false, active: false });
    expect((await submit()).statusCode).toBe(200);
    expect((await admin('PATCH', `/sim/v1/faults/${rule.id}`, { enabled: true })).json().data.enabled).toBe(true);
    expect((await admin('DELETE', `/sim/v1/faults/${rule.id}`)).statusCode).toBe(204);
    expect((await submit()).statusCode).toBe(200);
    await addFault({ kind: 'reset' });
    await addFault({ kind: 'latency', latencyMs: 1 });
    expect((await admin('DELETE', '/sim/v1/faults')).statusCode).toBe(204);
    expect((await admin('GET', '/sim/v1/faults')).json().data).toEqual([]);
    expect((await submit()).statusCode).toBe(200);
  });

  it('fc-stop: the receiver is stopped as flow control would (messages held), from its window on, and released when the rule ends', async () => {
    const rule = await addFault({ kind: 'fc-stop', participantId: 'LNSPNORTH', from: '2026-07-02T10:00:00+10:00' });
    expect((await submit()).statusCode).toBe(200);
    expect(await queueSize()).toBe(1);
    expect((await admin('PUT', '/sim/v1/clock', { advanceSeconds: 3600 })).statusCode).toBe(200);
    expect(h().ctx.flowControlStore.get('LNSPNORTH', 'pqd', h().clock.now()).outboundDelivery).toBe('Stopped');
    expect((await submit()).statusCode).toBe(200);
    expect(await queueSize()).toBe(1);
    await admin('PATCH', `/sim/v1/faults/${rule.id}`, { enabled: false });
    expect(h().ctx.flowControlStore.get('LNSPNORTH', 'pqd', h().clock.now()).outboundDelivery).toBe('Started');
    expect(await queueSize()).toBe(2);
  });

  it('ws-close closes the participant\'s event sockets at once, and new ones while active; ws-silence swallows every frame', async () => {
    const north = await h().events('LNSPNORTH');
    const south = await h().events('LNSPSOUTH');
    expect(h().ctx.events.subscriberCount()).toBe(2);
    const close = await addFault({ kind: 'ws-close', participantId: 'LNSPNORTH' });
    expect(h().ctx.events.subscriberCount('LNSPNORTH')).toBe(0);
    expect(h().ctx.events.subscriberCount('LNSPSOUTH')).toBe(1);
    expect((await admin('GET', `/sim/v1/faults/${close.id}`)).json().data.hits).toBe(1);
    await h().events('LNSPNORTH');
    expect(h().ctx.events.subscriberCount('LNSPNORTH')).toBe(0);
    void north;

    await addFault({ kind: 'ws-silence', participantId: 'LNSPSOUTH' });
    const before = south.frames.length;
    south.send({ action: 'ping' });
    await new Promise((r) => setTimeout(r, 100));
    expect(south.frames.length).toBe(before);
    await admin('DELETE', '/sim/v1/faults');
    south.send({ action: 'ping' });
    await south.waitFor((f) => f.eventType === 'PONG');
  });

  it('bad-signature and truncated-gzip change what a receiver GETs, so it proves it verifies', async () => {
    const accepted = await submit();
    const contextId = accepted.json().data.messageContextId as string;
    const headers = await h().as('LNSPNORTH');
    const clean = await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${contextId}`, headers });
    const signature = await addFault({ kind: 'bad-signature', api: 'pqd', participantId: 'LNSPNORTH' });
    const tampered = await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${contextId}`, headers });
    expect(tampered.headers['x-idx-sim-fault']).toBe(String(signature.id));
    expect(tampered.headers['x-signature']).not.toBe(clean.headers['x-signature']);
    expect(String(tampered.headers['x-signature']).length).toBe(String(clean.headers['x-signature']).length);
    expect(tampered.rawPayload).toEqual(clean.rawPayload);
    await admin('DELETE', `/sim/v1/faults/${signature.id}`);
    await addFault({ kind: 'truncated-gzip', operationId: 'getBpqd' });
    const cut = await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${contextId}`, headers });
    expect(cut.rawPayload.length).toBe(Math.floor(clean.rawPayload.length / 2));
    expect(() => gunzipSync(cut.rawPayload)).toThrow();
    expect(Number(cut.headers['content-length'])).toBe(cut.rawPayload.length);
  });

  it.each([
    [{ kind: 'explode' }, '/kind'],
    [{ kind: 'error' }, '/status'],
    [{ kind: 'error', status: 418 }, '/status'],
    [{ kind: 'latency' }, '/latencyMs'],
    [{ kind: 'latency', latencyMs: 50, latencyMaxMs: 10 }, '/latencyMaxMs'],
    [{ kind: 'reset', latencyMs: 5 }, '/latencyMs'],
    [{ kind: 'fc-stop' }, '/participantId'],
    [{ kind: 'reset', participantId: 'NOBODY' }, '/participantId'],
    [{ kind: 'reset', operationId: 'getClock' }, '/operationId'],
    [{ kind: 'reset', api: 'fctrl', operationId: 'submitBpqd' }, '/operationId'],
    [{ kind: 'ws-close', api: 'pqd' }, '/api'],
    [{ kind: 'reset', from: '2026-07-03T00:00:00+10:00', to: '2026-07-02T00:00:00+10:00' }, '/to'],
    [{ kind: 'reset', share: 2 }, '/share'],
  ])('refuses rule %j with 400 at %s', async (rule, pointer) => {
    const res = await admin('PUT', '/sim/v1/clock', { frozen: true }).then(() => h().app.inject({ method: 'POST', url: '/sim/v1/faults', headers: { ...h().admin(), ...json }, payload: rule }));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', pointer })]));
  });

  it('answers 404 for an unknown rule and 400 for a bad id', async () => {
    for (const [method, payload] of [['GET', undefined], ['PATCH', { enabled: false }], ['DELETE', undefined]] as const) {
      const res = await admin(method as 'GET', '/sim/v1/faults/99', payload);
      expect(res.statusCode, method).toBe(404);
      expect(res.json().code).toBe('IDX_ERR_SIM_NOT_FOUND');
      expect((await admin(method as 'GET', '/sim/v1/faults/zero', payload)).statusCode).toBe(400);
    }
    expect((await admin('PATCH', '/sim/v1/faults/1', { enabled: 'maybe' } as object)).statusCode).toBe(400);
  });

  it.each([['GET', '/sim/v1/faults'], ['POST', '/sim/v1/faults'], ['DELETE', '/sim/v1/faults'], ['GET', '/sim/v1/faults/1'], ['PATCH', '/sim/v1/faults/1'], ['DELETE', '/sim/v1/faults/1']] as const)(
    '%s %s needs the admin key (401)', async (method, url) => {
      expect((await h().app.inject({ method, url, headers: { authorization: 'Bearer x' } })).json().code).toBe('IDX_ERR_ADMIN_KEY');
    });

  it('rules follow snapshots and resets', async () => {
    await admin('PUT', '/sim/v1/snapshots/none');
    await addFault({ kind: 'error', status: 503, operationId: 'submitBpqd' });
    expect((await submit()).statusCode).toBe(503);
    expect((await h().app.inject({ method: 'POST', url: '/sim/v1/snapshots/none/restore', headers: h().admin() })).statusCode).toBe(200);
    expect((await submit()).statusCode).toBe(200);
    await addFault({ kind: 'error', status: 503, operationId: 'submitBpqd' });
    await h().app.inject({ method: 'POST', url: '/sim/v1/reset', headers: h().admin() });
    expect((await admin('GET', '/sim/v1/faults')).json().data).toEqual([]);
    await admin('DELETE', '/sim/v1/snapshots/none');
  });
});
