/**
 * Through a real TLS socket: the HTTPS server of `idx-sim start`, client certificates presented in the
 * handshake (undici), the SQLite file on disk, and a restart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { SeededRandom } from '../../src/domain/random.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { CertificateRegistry } from '../../src/security/certificate-registry.js';
import { CertificateStore } from '../../src/store/certificate-store.js';
import { openDatabase } from '../../src/store/database.js';
import { useE2eServer } from '../helpers/e2e.js';

const e2e = useE2eServer('e2e');
const call = e2e.call;
const token = (participantId: string) => e2e.token(participantId);

describe('over TLS with client certificates', () => {
  const contextId = 'pqd~bpqd~l~mdpone~e2e-0001';
  const payload = generateBpqdPayload(new SeededRandom('e2e'), { sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 6 });
  const json = Buffer.from(JSON.stringify(payload));
  const gz = gzipSync(json);
  const signature = () => e2e.signer('MDPONE').sign(json);

  it('generated the dev PKI on first start', () => {
    const p = pkiPaths(join(e2e.dir, 'certs'));
    for (const path of [p.caCert, p.serverCert, p.participantCert('LNSPSOUTH', 'secondary')]) expect(readFileSync(path, 'utf8')).toMatch(/BEGIN CERTIFICATE/);
    expect(e2e.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a connection without a client certificate with a problem, not a TLS alert', async () => {
    const res = await call(undefined, 'GET', '/pqd/v1/bpqd', { 'x-initiatingParticipantId': 'LNSPNORTH', authorization: 'Bearer x' });
    expect(res.status).toBe(401);
    expect(res.json().code).toBe('IDX_ERR_CLIENT_CERT_REQUIRED');
  });

  it('serves the docs without a client certificate', async () => {
    const res = await call(undefined, 'GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.bytes.toString()).toMatch(/swagger-ui/);
    expect((await call(undefined, 'GET', '/openapi/pqd.yaml')).bytes.toString()).toMatch(/operationId: submitBpqd/);
  });

  it('MDP submits, LNSP lists, gets and (later) deletes', async () => {
    const sender = await token('MDPONE');
    const posted = await call('MDPONE', 'POST', '/pqd/v1/bpqd', {
      authorization: `Bearer ${sender}`, 'x-initiatingParticipantId': 'MDPONE', 'x-messageContextId': contextId,
      'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': signature(),
    }, gz);
    expect(posted.status).toBe(200);
    const lnsp = { authorization: `Bearer ${await token('LNSPNORTH')}`, 'x-initiatingParticipantId': 'LNSPNORTH' };
    const listed = await call('LNSPNORTH', 'GET', '/pqd/v1/bpqd?itemCount=10', lnsp);
    expect(listed.json().data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual([contextId]);
    const got = await call('LNSPNORTH', 'GET', `/pqd/v1/bpqd/${contextId}`, lnsp);
    expect(got.status).toBe(200);
    expect(got.headers['content-encoding']).toBe('gzip');
    expect(Buffer.compare(got.bytes, gz)).toBe(0);
    expect(JSON.parse(gunzipSync(got.bytes).toString())).toEqual(payload);
  });

  it('refuses a certificate revoked by another process on its next request, on the same keep-alive TLS connection', async () => {
    let handshakes = 0;
    const countHandshake = () => handshakes++;
    const server = e2e.server;
    server.app.server.on('secureConnection', countHandshake);
    const agent = new Agent({ connections: 1, connect: { ...e2e.tls('LNSPSOUTH'), servername: 'localhost' } });
    try {
      const lnsp = { authorization: `Bearer ${await token('LNSPSOUTH')}`, 'x-initiatingParticipantId': 'LNSPSOUTH' };
      const list = async () => {
        const res = await request(`${server.url}/pqd/v1/bpqd`, { headers: lnsp, dispatcher: agent });
        return { status: res.statusCode, body: await res.body.json() as { code?: string; detail?: string } };
      };
      expect((await list()).status).toBe(200);
      const afterFirst = handshakes;
      expect((await list()).status).toBe(200);
      expect(handshakes, 'the second request reused the connection').toBe(afterFirst);
      // What `idx-sim certs revoke` does from another process: its own connection to the same SQLite file.
      const other = openDatabase({ path: join(e2e.dir, 'data', 'idx-sim.db') });
      new CertificateRegistry(new CertificateStore(other), 'NonProd').revoke('LNSPSOUTH', 'primary', Date.now());
      other.close();
      const refused = await list();
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('IDX_ERR_CLIENT_CERT_REVOKED');
      expect(refused.body.detail).toMatch(/LNSPSOUTH's primary certificate LNSPSOUTH-NonProd \(serial \w+\) was revoked/);
      expect(handshakes, 'the refusal came over the already-open connection').toBe(afterFirst);
    } finally {
      server.app.server.off('secureConnection', countHandshake);
      await agent.close();
    }
  });

  it('keeps every queued message and log row across a restart (SQLite file in data/)', async () => {
    const rowsBefore = e2e.server.ctx.db.prepare('SELECT * FROM transaction_log ORDER BY id').all();
    // Refusals of requests without a valid client certificate are not stored (issue 7, defect 3).
    expect(rowsBefore.length).toBeGreaterThanOrEqual(2);
    await e2e.restart();
    const rowsAfter = e2e.server.ctx.db.prepare('SELECT * FROM transaction_log ORDER BY id').all();
    expect(rowsAfter).toEqual(rowsBefore);
    const lnsp = { authorization: `Bearer ${await token('LNSPNORTH')}`, 'x-initiatingParticipantId': 'LNSPNORTH' };
    const listed = await call('LNSPNORTH', 'GET', '/pqd/v1/bpqd', lnsp);
    expect(listed.json().data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual([contextId]);
    // The certificates were not regenerated: the old CA still verifies the new connection.
    const deleted = await call('LNSPNORTH', 'DELETE', `/pqd/v1/bpqd/${contextId}`, lnsp);
    expect(deleted.status).toBe(204);
  });
});
