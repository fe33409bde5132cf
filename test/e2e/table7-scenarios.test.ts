/**
 * AEMO's coordinated industry test plan, Table 7 "Verify IDX API Functionality" (seed 000 §4.3): each
 * scenario end to end, over TLS with client certificates, as an MC/MDP and an LNSP would run it in
 * pre-production. Small watermarks (Low 2, Warn 4, High 5) make the High-watermark scenario quick.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import type { BpqdPayload } from '../../src/domain/bpqd-payload.js';
import { SeededRandom } from '../../src/domain/random.js';
import { useE2eServer } from '../helpers/e2e.js';

const e2e = useE2eServer('table7', { fcPqdLow: 2, fcPqdWarn: 4, fcPqdHigh: 5 });
const call = e2e.call;
const as = (participantId: string) => e2e.as(participantId, 'PQD_BPQD FCTRL_FCTRL FCTRL_STATUS');
const random = new SeededRandom('table7');
let sequence = 0;

async function submit(payload: BpqdPayload, priority: 'h' | 'm' | 'l' = 'l') {
  const sender = payload.data.header.initiatingParticipantId;
  const id = `pqd~bpqd~${priority}~${sender.toLowerCase()}~t7-${++sequence}`;
  const json = Buffer.from(JSON.stringify(payload));
  // x-signature over the uncompressed JSON with the sender's primary certificate (spec §3).
  const res = await call(sender, 'POST', '/pqd/v1/bpqd', {
    ...(await as(sender)), 'x-messageContextId': id, 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': e2e.signer(sender).sign(json),
  }, gzipSync(json));
  return { id, res };
}

const bpqd = (priority: 'h' | 'm' | 'l' = 'l') =>
  generateBpqdPayload(random, { sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001', '4102000002'], date: '2026-07-01', intervalCount: 6, priority });

async function list(query = '') {
  const res = await call('LNSPNORTH', 'GET', `/pqd/v1/bpqd${query}`, await as('LNSPNORTH'));
  expect(res.status).toBe(200);
  return res.json();
}

async function drainAll() {
  for (const m of (await list('?itemCount=500')).data) {
    expect((await call('LNSPNORTH', 'DELETE', `/pqd/v1/bpqd/${m.messageContextId}`, await as('LNSPNORTH'))).status).toBe(204);
  }
}

describe('Table 7 — Verify IDX API Functionality', () => {
  it('Submit POST request for BPQD Payload and verify message is received in expected format', async () => {
    const payload = bpqd();
    const { id, res } = await submit(payload);
    expect(res.status).toBe(200);
    expect(res.json().data).toMatchObject({ messageContextId: id, status: 'delivery_pending', receivingParticipantIds: ['LNSPNORTH'] });
    const got = await call('LNSPNORTH', 'GET', `/pqd/v1/bpqd/${id}`, await as('LNSPNORTH'));
    expect(got.status).toBe(200);
    expect(got.headers['content-encoding']).toBe('gzip');
    expect(got.headers['x-initiatingparticipantid']).toBe('MDPONE');
    // Received exactly as sent, and valid against the BPQD schema.
    const received = JSON.parse(gunzipSync(got.bytes).toString());
    expect(received).toEqual(payload);
    expect(e2e.server.ctx.contract.validator('pqd.yaml', '#/components/schemas/BpqdPayload')(received)).toBe(true);
    await drainAll();
  });

  it('Get message Metadata', async () => {
    const { id } = await submit(bpqd('m'), 'm');
    const page = await list();
    expect(page.meta).toEqual({ itemCount: 1, nextCursor: null, totalRecords: 1, totalPages: 1 });
    expect(page.data[0]).toMatchObject({
      messageContextId: id, initiatingParticipantId: 'MDPONE', priority: 'Medium', businessFunctionId: 'pqd', businessFunctionResourceId: 'bpqd',
      receivedDateTime: '2026-07-02T09:00:00.000+10:00', retrievedDateTime: null, transactionCount: 1,
    });
    expect(page.data[0].sizeBytes).toBeGreaterThan(1000);
    await drainAll();
  });

  it('Get a list of messages by priority', async () => {
    const high = (await submit(bpqd('h'), 'h')).id;
    const low = (await submit(bpqd('l'), 'l')).id;
    expect((await list('?priority=h')).data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual([high]);
    expect((await list('?priority=Low')).data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual([low]);
    expect((await list()).meta.totalRecords).toBe(2);
    await drainAll();
  });

  it("Delete messages from Participant's outbox for 'High' watermark message count", async () => {
    const flow = async () => (await call('LNSPNORTH', 'GET', '/fctrl/v1/businessFunctions/pqd?expand=true', await as('LNSPNORTH'))).json().data;
    for (let i = 0; i < 5; i++) expect((await submit(bpqd())).res.status).toBe(200);
    expect(await flow()).toMatchObject({ messageStatus: 'Stopped', messageCount: 5, watermarks: { high: 5 } });
    const held = (await submit(bpqd())).id;
    expect((await flow()).heldCount).toBe(1);
    expect((await list()).data.map((m: { messageContextId: string }) => m.messageContextId)).not.toContain(held);
    // Delete down past the Low watermark: delivery resumes and the held message arrives.
    const queued = (await list()).data.map((m: { messageContextId: string }) => m.messageContextId);
    for (const id of queued.slice(0, 4)) expect((await call('LNSPNORTH', 'DELETE', `/pqd/v1/bpqd/${id}`, await as('LNSPNORTH'))).status).toBe(204);
    expect(await flow()).toMatchObject({ messageStatus: 'Normal', messageCount: 2, heldCount: 0 });
    expect((await list()).data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual([queued[4], held]);
    await drainAll();
  });

  it('Turn on and off the manual stop', async () => {
    const patch = async (outboundDelivery: string) => call('LNSPNORTH', 'PATCH', '/fctrl/v1/businessFunctions/pqd',
      { ...(await as('LNSPNORTH')), 'content-type': 'application/json' }, JSON.stringify({ outboundDelivery }));
    const off = await patch('Stopped');
    expect(off.status).toBe(200);
    expect(off.json().data.outboundDelivery).toBe('Stopped');
    const held = (await submit(bpqd())).id;
    expect((await list()).data).toEqual([]);
    const on = await patch('Started');
    expect(on.json().data).toMatchObject({ outboundDelivery: 'Started', heldCount: 0, messageCount: 1 });
    expect((await list()).data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual([held]);
    // On and off once per day (spec §4.2: 2 PATCH per business function per day).
    const third = await patch('Stopped');
    expect(third.status).toBe(429);
    expect(third.json().code).toMatch(/^IDX_ERR_(RATE_LIMITED|QUOTA_EXCEEDED)$/);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    // The next market day it works again.
    e2e.server.clock.set(Date.parse('2026-07-03T00:00:00.000+10:00'));
    expect((await patch('Stopped')).status).toBe(200);
    expect((await patch('Started')).status).toBe(200);
    await drainAll();
  });
});
