/**
 * The event WebSocket over a real TLS socket with client certificates (ws), as an LNSP would use it:
 * MESSAGE_AVAILABLE is on its way before the POST's 200 (no timer or batch delays it), refusals happen at
 * the upgrade, participants never see each other's events, and an expired token closes the socket at
 * the next heartbeat. No assertion reads the wall clock: heartbeats run on fake interval timers.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { SeededRandom } from '../../src/domain/random.js';
import { useE2eServer } from '../helpers/e2e.js';
import type { Json } from '../helpers/harness.js';

const e2e = useE2eServer('e2e-events', { eventHeartbeatSeconds: 1 });
const closers: Array<() => unknown> = [];
const random = new SeededRandom('e2e-events');

interface Socket { ws: WebSocket; frames: Json[] }

async function connect(participantId: string, scope = 'EVENT_NOTIFY'): Promise<Socket> {
  const ws = new WebSocket(`${e2e.server.url.replace('https', 'wss')}/events/v1`, {
    ...e2e.tls(participantId),
    headers: { authorization: `Bearer ${await e2e.token(participantId, scope)}`, 'x-initiatingParticipantId': participantId },
  });
  const socket: Socket = { ws, frames: [] };
  const validate = e2e.server.ctx.contract.validator('events.asyncapi.yaml', '#/components/schemas/ServerFrame');
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    expect(validate(frame), JSON.stringify(validate.errors)).toBe(true);
    socket.frames.push(frame);
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

async function waitFor(socket: Socket, predicate: (f: Json) => boolean): Promise<Json> {
  return vi.waitFor(() => {
    const frame = socket.frames.find(predicate);
    if (!frame) throw new Error(`no frame; got ${JSON.stringify(socket.frames.map((f) => f.eventType))}`);
    return frame;
  }, { timeout: 5000, interval: 2 });
}

afterAll(() => {
  for (const close of closers) close();
});

describe('event WebSocket over TLS', () => {
  it('sends MESSAGE_AVAILABLE before the POST answers 200, to the LNSP only', async () => {
    const north = await connect('LNSPNORTH');
    const south = await connect('LNSPSOUTH');
    // What the hub handed to LNSPNORTH's sockets, seen in process: the frame must already be on its way
    // (written to the socket, not waiting on a timer) by the time the 200 reaches the client.
    const handedOver: Json[] = [];
    const unsubscribe = e2e.server.ctx.events.subscribe({ participantId: 'LNSPNORTH', businessFunctionIds: new Set(), send: (f) => handedOver.push(f) });
    closers.push(unsubscribe);
    const id = 'pqd~bpqd~l~mdpone~ws-0001';
    const json = Buffer.from(JSON.stringify(generateBpqdPayload(random, { sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 2 })));
    const res = await e2e.call('MDPONE', 'POST', '/pqd/v1/bpqd', {
      ...(await e2e.as('MDPONE')), 'x-messageContextId': id, 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': e2e.signer('MDPONE').sign(json),
    }, gzipSync(json));
    expect(res.status).toBe(200);
    // e2e.call has read the whole response: the 200 is in hand from here.
    expect(handedOver).toEqual([expect.objectContaining({ eventType: 'MESSAGE_AVAILABLE', messageContextId: id })]);
    const frame = await waitFor(north, (f) => f.eventType === 'MESSAGE_AVAILABLE');
    expect(frame).toMatchObject({ messageContextId: id, receivingParticipantId: 'LNSPNORTH' });
    expect(south.frames.filter((f) => f.eventType === 'MESSAGE_AVAILABLE')).toEqual([]);
  });

  it('refuses a subscriber without EVENT_NOTIFY at the upgrade with 403 problem+json', async () => {
    const err = await connect('LNSPNORTH', 'PQD_BPQD').catch((e) => e);
    expect(err.status).toBe(403);
    expect(err.body).toMatchObject({ code: 'IDX_ERR_ENTITY_NOT_GRANTED', status: 403 });
  });

  it('closes the socket with 4001 at the next heartbeat once the token expired on the simulated clock', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const north = await connect('LNSPNORTH');
      vi.advanceTimersByTime(1000);
      await waitFor(north, (f) => f.eventType === 'HEARTBEAT');
      const closed = new Promise<number>((resolve) => north.ws.once('close', (code) => resolve(code)));
      e2e.server.clock.advance(3600_000 + 61_000);
      vi.advanceTimersByTime(1000);
      expect(await closed).toBe(4001);
    } finally {
      vi.useRealTimers();
    }
  });
});
