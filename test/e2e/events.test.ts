/**
 * The event WebSocket over a real TLS socket with client certificates (ws), as an LNSP would use it:
 * MESSAGE_AVAILABLE arrives within 100 ms of the POST's 200, refusals happen at the upgrade, participants
 * never see each other's events, and an expired token closes the socket.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PROJECT_ROOT } from '../../src/context.js';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { SeededRandom } from '../../src/domain/random.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { MessageSigner } from '../../src/security/message-signature.js';
import { startServer, type RunningServer } from '../../src/server.js';

let dir: string;
let server: RunningServer;
const closers: Array<() => unknown> = [];
const random = new SeededRandom('e2e-events');

const tls = (participantId: string) => {
  const p = pkiPaths(join(dir, 'certs'));
  return { ca: readFileSync(p.caCert), cert: readFileSync(p.participantCert(participantId, 'primary')), key: readFileSync(p.participantKey(participantId, 'primary')) };
};

async function token(participantId: string, scope: string): Promise<string> {
  const agent = new Agent({ connect: tls(participantId) });
  closers.push(() => agent.close());
  const pid = participantId.toLowerCase();
  const res = await request(`${server.url}/oauth/v1/token`, {
    method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${pid}-api&client_secret=${pid}-secret&scope=${encodeURIComponent(scope)}`,
  });
  return ((await res.body.json()) as { access_token: string }).access_token;
}

interface Socket { ws: WebSocket; frames: any[]; arrivals: number[] }

async function connect(participantId: string, scope = 'EVENT_NOTIFY'): Promise<Socket> {
  const ws = new WebSocket(`${server.url.replace('https', 'wss')}/events/v1`, {
    ...tls(participantId),
    headers: { authorization: `Bearer ${await token(participantId, scope)}`, 'x-initiatingParticipantId': participantId },
  });
  const socket: Socket = { ws, frames: [], arrivals: [] };
  const validate = server.ctx.contract.validator('events.asyncapi.yaml', '#/components/schemas/ServerFrame');
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

async function waitFor(socket: Socket, predicate: (f: any) => boolean, ms = 2000): Promise<{ frame: any; at: number }> {
  const deadline = performance.now() + ms;
  for (;;) {
    const i = socket.frames.findIndex(predicate);
    if (i >= 0) return { frame: socket.frames[i], at: socket.arrivals[i]! };
    if (performance.now() > deadline) throw new Error(`no frame; got ${JSON.stringify(socket.frames.map((f) => f.eventType))}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-e2e-events-'));
  server = await startServer({
    port: 0, logLevel: 'silent', dataDir: join(dir, 'data'), certsDir: join(dir, 'certs'), fixturesDir: join(PROJECT_ROOT, 'fixtures'),
    clockStart: '2026-07-02T09:00:00.000+10:00', clockFrozen: true, seed: 'e2e-events', eventHeartbeatSeconds: 1,
  });
});

afterAll(async () => {
  for (const close of closers) await close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('event WebSocket over TLS', () => {
  it('delivers MESSAGE_AVAILABLE within 100 ms of the POST answering 200, to the LNSP only', async () => {
    const north = await connect('LNSPNORTH');
    const south = await connect('LNSPSOUTH');
    const agent = new Agent({ connect: tls('MDPONE') });
    closers.push(() => agent.close());
    const auth = `Bearer ${await token('MDPONE', 'PQD_BPQD')}`;
    const id = 'pqd~bpqd~l~mdpone~ws-0001';
    const json = Buffer.from(JSON.stringify(generateBpqdPayload(random, { sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 2 })));
    const body = gzipSync(json);
    const p = pkiPaths(join(dir, 'certs'));
    const signature = new MessageSigner({ certPem: readFileSync(p.participantCert('MDPONE', 'primary'), 'utf8'), keyPem: readFileSync(p.participantKey('MDPONE', 'primary'), 'utf8') }).sign(json);
    const res = await request(`${server.url}/pqd/v1/bpqd`, {
      method: 'POST', dispatcher: agent, body,
      headers: { authorization: auth, 'x-initiatingParticipantId': 'MDPONE', 'x-messageContextId': id, 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': signature },
    });
    expect(res.statusCode).toBe(200);
    const answeredAt = performance.now();
    await res.body.dump();
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
    server.clock.advance(3600_000 + 61_000);
    expect(await closed).toBe(4001);
  });
});
