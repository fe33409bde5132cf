/**
 * The event WebSocket over a real TLS socket with client certificates (ws), as an LNSP would use it:
 * MESSAGE_AVAILABLE arrives within 100 ms of the POST's 200, refusals happen at the upgrade, participants
 * never see each other's events, and an expired token closes the socket.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { SeededRandom } from '../../src/domain/random.js';
import { useE2eServer } from '../helpers/e2e.js';
import type { Json } from '../helpers/harness.js';

const e2e = useE2eServer('e2e-events', { eventHeartbeatSeconds: 1 });
const closers: Array<() => unknown> = [];
const random = new SeededRandom('e2e-events');

interface Socket { ws: WebSocket; frames: Json[]; arrivals: number[] }

async function connect(participantId: string, scope = 'EVENT_NOTIFY'): Promise<Socket> {
  const ws = new WebSocket(`${e2e.server.url.replace('https', 'wss')}/events/v1`, {
    ...e2e.tls(participantId),
    headers: { authorization: `Bearer ${await e2e.token(participantId, scope)}`, 'x-initiatingParticipantId': participantId },
  });
  const socket: Socket = { ws, frames: [], arrivals: [] };
  const validate = e2e.server.ctx.contract.validator('events.asyncapi.yaml', '#/components/schemas/ServerFrame');
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    expect(validate(frame), JSON.stringify(validate.errors)).toBe(true);
    socket.frames.push(frame);
    socket.arrivals.push(performance.now());
  });
  closers.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => reject(Object.assign(new Error(`upgrade refused ${res.statusCode}`), { status: res.statusCode, body: JSON.parse(body) })));
    });
    ws.once('error', reject);
  });
  return socket;
}

async function waitFor(socket: Socket, predicate: (f: Json) => boolean, ms = 2000): Promise<{ frame: Json; at: number }> {
  const deadline = performance.now() + ms;
  for (;;) {
    const i = socket.frames.findIndex(predicate);
    if (i >= 0) return { frame: socket.frames[i], at: socket.arrivals[i]! };
    if (performance.now() > deadline) throw new Error(`no frame; got ${JSON.stringify(socket.frames.map((f) => f.eventType))}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

afterAll(() => {
  for (const close of closers) close();
});

describe('event WebSocket over TLS', () => {
  it('delivers MESSAGE_AVAILABLE within 100 ms of the POST answering 200, to the LNSP only', async () => {
    const north = await connect('LNSPNORTH');
    const south = await connect('LNSPSOUTH');
    const id = 'pqd~bpqd~l~mdpone~ws-0001';
    const json = Buffer.from(JSON.stringify(generateBpqdPayload(random, { sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 2 })));
    const res = await e2e.call('MDPONE', 'POST', '/pqd/v1/bpqd', {
      ...(await e2e.as('MDPONE')), 'x-messageContextId': id, 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': e2e.signer('MDPONE').sign(json),
    }, gzipSync(json));
    expect(res.status).toBe(200);
    // e2e.call has read the whole response: the 200 is in hand from here.
    const answeredAt = performance.now();
    const { frame, at } = await waitFor(north, (f) => f.eventType === 'MESSAGE_AVAILABLE');
    expect(frame).toMatchObject({ messageContextId: id, receivingParticipantId: 'LNSPNORTH' });
    expect(at - answeredAt).toBeLessThan(100);
    expect(south.frames.filter((f) => f.eventType === 'MESSAGE_AVAILABLE')).toEqual([]);
  });

  it('refuses a subscriber without EVENT_NOTIFY at the upgrade with 403 problem+json', async () => {
    const err = await connect('LNSPNORTH', 'PQD_BPQD').catch((e) => e);
    expect(err.status).toBe(403);
    expect(err.body).toMatchObject({ code: 'IDX_ERR_ENTITY_NOT_GRANTED', status: 403 });
  });

  it('closes the socket with 4001 when the token expires on the simulated clock', async () => {
    const north = await connect('LNSPNORTH');
    await waitFor(north, (f) => f.eventType === 'HEARTBEAT', 3000);
    const closed = new Promise<number>((resolve) => north.ws.once('close', (code) => resolve(code)));
    e2e.server.clock.advance(3600_000 + 61_000);
    expect(await closed).toBe(4001);
  });
});
