/**
 * The Transaction Log and Business Function Information APIs through a real TLS socket: the CSV export
 * streamed over the wire, the payload download byte for byte, an unscoped token on BFI, and the log's
 * records surviving a restart of the process (SQLite file on disk).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { SeededRandom } from '../../src/domain/random.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { MessageSigner } from '../../src/security/message-signature.js';
import { startServer, type RunningServer } from '../../src/server.js';

let dir: string;
let server: RunningServer;
const agents: Agent[] = [];
const violations: string[] = [];

const start = () => startServer({
  port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir: join(dir, 'data'), certsDir: join(dir, 'certs'),
  fixturesDir: join(PROJECT_ROOT, 'fixtures'), clockStart: '2026-07-02T09:00:00.000+10:00', clockFrozen: true, seed: 'e2e-translog',
});

function agentFor(participantId: string): Agent {
  const p = pkiPaths(join(dir, 'certs'));
  const agent = new Agent({
    connect: { ca: readFileSync(p.caCert), cert: readFileSync(p.participantCert(participantId, 'primary')), key: readFileSync(p.participantKey(participantId, 'primary')), servername: 'localhost' },
  });
  agents.push(agent);
  return agent;
}

async function call(participantId: string, method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: Buffer | string) {
  const res = await request(`${server.url}${path}`, { method, headers, body, dispatcher: agentFor(participantId) });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  violations.push(...(server.ctx.contract.checkResponse({ method, url: path, statusCode: res.statusCode, headers: res.headers as Record<string, unknown>, body: bytes }) ?? []));
  return { status: res.statusCode, headers: res.headers, bytes, json: () => JSON.parse(bytes.toString()) };
}

async function as(participantId: string, scope: string): Promise<Record<string, string>> {
  const pid = participantId.toLowerCase();
  const res = await call(participantId, 'POST', '/oauth/v1/token', { 'content-type': 'application/x-www-form-urlencoded' },
    new URLSearchParams({ grant_type: 'client_credentials', client_id: `${pid}-api`, client_secret: `${pid}-secret`, scope }).toString());
  expect(res.status).toBe(200);
  return { authorization: `Bearer ${res.json().access_token}`, 'x-initiatingParticipantId': participantId };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-e2e-translog-'));
  server = await start();
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  expect(violations).toEqual([]);
});

function signer(participantId: string): MessageSigner {
  const p = pkiPaths(join(dir, 'certs'));
  return new MessageSigner({ certPem: readFileSync(p.participantCert(participantId, 'primary'), 'utf8'), keyPem: readFileSync(p.participantKey(participantId, 'primary'), 'utf8') });
}

describe('Transaction Log and BFI over TLS', () => {
  const payload = generateBpqdPayload(new SeededRandom('e2e'), { sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 6 });
  const gz = gzipSync(JSON.stringify(payload), { level: 9 });
  let messageId: string;

  it('streams the CSV export and downloads the payload byte for byte', async () => {
    const sent = await call('MDPONE', 'POST', '/pqd/v1/bpqd', {
      ...(await as('MDPONE', 'PQD_BPQD')), 'x-messageContextId': 'pqd~bpqd~l~mdpone~e2e-tl-1', 'content-type': 'application/json', 'content-encoding': 'gzip',
      'x-signature': signer('MDPONE').sign(Buffer.from(JSON.stringify(payload))),
    }, gz);
    expect(sent.status).toBe(200);
    messageId = sent.json().data.messageId;
    const lnsp = await as('LNSPNORTH', 'TRANSLOG_TRANSLOG');
    const csv = await call('LNSPNORTH', 'GET', '/translog/v1/messages/export.csv', lnsp);
    expect(csv.status).toBe(200);
    expect(csv.headers['transfer-encoding']).toBe('chunked');
    const lines = csv.bytes.toString('utf8').split('\r\n');
    expect(lines[0]).toMatch(/^messageContextId,messageId,/);
    expect(lines[1]).toContain(`pqd~bpqd~l~mdpone~e2e-tl-1,${messageId},message,pqd,bpqd,Low,MDPONE,LNSPNORTH,delivery_pending,`);
    expect(lines[2]).toBe('');
    // undici does not inflate: these are the bytes on the wire.
    const download = await call('LNSPNORTH', 'GET', `/translog/v1/messages/${messageId}/payload`, lnsp);
    expect(download.status).toBe(200);
    expect(download.headers['content-encoding']).toBe('gzip');
    expect(Buffer.compare(download.bytes, gz)).toBe(0);
  });

  it('answers BFI with an unscoped token', async () => {
    const res = await call('LNSPNORTH', 'GET', '/bfinfo/v1/businessFunctions/pqd', { ...(await as('LNSPNORTH', '')), 'x-market': 'NEM' });
    expect(res.status).toBe(200);
    expect(res.json().businessFunction).toMatchObject({ businessFunctionId: 'pqd', retention: { queueDays: 10, archiveDays: 90 } });
  });

  it('keeps the records across a restart', async () => {
    await server.close();
    server = await start();
    const res = await call('MDPONE', 'GET', `/translog/v1/messages/${messageId}`, await as('MDPONE', 'TRANSLOG_TRANSLOG'));
    expect(res.status).toBe(200);
    expect(res.json().data.records).toEqual([expect.objectContaining({ toParticipant: 'LNSPNORTH', messageStatus: 'delivery_pending', isArchived: true })]);
  });
});
