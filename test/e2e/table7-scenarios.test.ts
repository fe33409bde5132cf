/**
 * AEMO's coordinated industry test plan, Table 7 "Verify IDX API Functionality" (seed 000 §4.3): each
 * scenario end to end, over TLS with client certificates, as an MC/MDP and an LNSP would run it in
 * pre-production. Small watermarks (Low 2, Warn 4, High 5) make the High-watermark scenario quick.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import type { BpqdPayload } from '../../src/domain/bpqd-payload.js';
import { SeededRandom } from '../../src/domain/random.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { MessageSigner } from '../../src/security/message-signature.js';
import { startServer, type RunningServer } from '../../src/server.js';

let dir: string;
let server: RunningServer;
const agents = new Map<string, Agent>();
const violations: string[] = [];
const random = new SeededRandom('table7');
let sequence = 0;

function agent(participantId: string): Agent {
  let a = agents.get(participantId);
  if (!a) {
    const p = pkiPaths(join(dir, 'certs'));
    a = new Agent({ connect: { ca: readFileSync(p.caCert), cert: readFileSync(p.participantCert(participantId, 'primary')), key: readFileSync(p.participantKey(participantId, 'primary')) } });
    agents.set(participantId, a);
  }
  return a;
}

async function call(participantId: string, method: 'GET' | 'POST' | 'DELETE' | 'PATCH', path: string, headers: Record<string, string>, body?: Buffer | string) {
  const res = await request(`${server.url}${path}`, { method, headers, body, dispatcher: agent(participantId) });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  violations.push(...(server.ctx.contract.checkResponse({ method, url: path, statusCode: res.statusCode, headers: res.headers as Record<string, unknown>, body: bytes }) ?? []));
  return { status: res.statusCode, headers: res.headers, bytes, json: () => JSON.parse(bytes.toString()) };
}

const tokens = new Map<string, string>();
async function as(participantId: string, scope = 'PQD_BPQD FCTRL_FCTRL FCTRL_STATUS'): Promise<Record<string, string>> {
  const key = `${participantId} ${scope}`;
  if (!tokens.has(key)) {
    const pid = participantId.toLowerCase();
    const res = await call(participantId, 'POST', '/oauth/v1/token', { 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ grant_type: 'client_credentials', client_id: `${pid}-api`, client_secret: `${pid}-secret`, scope }).toString());
    expect(res.status).toBe(200);
    tokens.set(key, res.json().access_token);
  }
  return { authorization: `Bearer ${tokens.get(key)}`, 'x-initiatingParticipantId': participantId, 'x-market': 'NEM' };
}

/** Signs as the sender's primary certificate (x-signature over the uncompressed JSON, spec §3). */
function signature(participantId: string, json: Buffer): string {
  const p = pkiPaths(join(dir, 'certs'));
  return new MessageSigner({ certPem: readFileSync(p.participantCert(participantId, 'primary'), 'utf8'), keyPem: readFileSync(p.participantKey(participantId, 'primary'), 'utf8') }).sign(json);
}

async function submit(payload: BpqdPayload, priority: 'h' | 'm' | 'l' = 'l') {
  const sender = payload.data.header.initiatingParticipantId;
  const id = `pqd~bpqd~${priority}~${sender.toLowerCase()}~t7-${++sequence}`;
  const json = Buffer.from(JSON.stringify(payload));
  const res = await call(sender, 'POST', '/pqd/v1/bpqd', {
    ...(await as(sender)), 'x-messageContextId': id, 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': signature(sender, json),
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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-table7-'));
  server = await startServer({
    port: 0, logLevel: 'silent', dataDir: join(dir, 'data'), certsDir: join(dir, 'certs'), fixturesDir: join(PROJECT_ROOT, 'fixtures'),
    clockStart: '2026-07-02T09:00:00.000+10:00', clockFrozen: true, seed: 'table7', fcPqdLow: 2, fcPqdWarn: 4, fcPqdHigh: 5,
  });
});

afterAll(async () => {
  for (const a of agents.values()) await a.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  expect(violations).toEqual([]);
});

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
    expect(server.ctx.contract.validator('pqd.yaml', '#/components/schemas/BpqdPayload')(received)).toBe(true);
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
    server.clock.set(Date.parse('2026-07-03T00:00:00.000+10:00'));
    tokens.clear(); // an hour-long token does not survive the night
    expect((await patch('Stopped')).status).toBe(200);
    expect((await patch('Started')).status).toBe(200);
    await drainAll();
  });
});
