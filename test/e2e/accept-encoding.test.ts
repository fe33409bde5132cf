/**
 * `GET /pqd/v1/bpqd/{messageContextId}` honours Accept-Encoding over a real TLS socket (RFC 9110 §12.5.3):
 * a client that accepts gzip gets the sender's gzip bytes unchanged; one that does not (identity, gzip;q=0,
 * or a list without gzip) gets the inflated JSON. Clients: undici request (no automatic Accept-Encoding),
 * undici fetch (sends `gzip, deflate, br` and decodes), and curl when it is installed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { SeededRandom } from '../../src/domain/random.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { useE2eServer } from '../helpers/e2e.js';

const e2e = useE2eServer('accept-encoding');
const execFileAsync = promisify(execFile);
const CURL = ['/usr/bin/curl', '/usr/local/bin/curl', '/bin/curl'].find((p) => existsSync(p));

describe('GET /pqd/v1/bpqd/{id} and Accept-Encoding, over TLS', () => {
  const contextId = 'pqd~bpqd~l~mdpone~ae-0001';
  const payload = generateBpqdPayload(new SeededRandom('ae'), { sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 6 });
  const json = Buffer.from(JSON.stringify(payload));
  const gz = gzipSync(json);
  let lnsp: Record<string, string>;
  const agent = () => new Agent({ connect: { ...e2e.tls('LNSPNORTH'), servername: 'localhost' } });
  const agents: Agent[] = [];

  beforeAll(async () => {
    const posted = await e2e.call('MDPONE', 'POST', '/pqd/v1/bpqd', {
      ...(await e2e.as('MDPONE')), 'x-messageContextId': contextId,
      'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': e2e.signer('MDPONE').sign(json),
    }, gz);
    expect(posted.status, posted.bytes.toString()).toBe(200);
    lnsp = await e2e.as('LNSPNORTH');
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
  });

  it('no Accept-Encoding (any coding acceptable, RFC 9110): the stored gzip bytes, unchanged', async () => {
    const got = await e2e.call('LNSPNORTH', 'GET', `/pqd/v1/bpqd/${contextId}`, lnsp);
    expect(got.status).toBe(200);
    expect(got.headers['content-encoding']).toBe('gzip');
    expect(got.headers.vary).toMatch(/accept-encoding/i);
    expect(Buffer.compare(got.bytes, gz)).toBe(0);
  });

  it.each(['gzip', 'gzip, deflate, br', '*'])('Accept-Encoding: %s → the stored gzip bytes', async (acceptEncoding) => {
    const got = await e2e.call('LNSPNORTH', 'GET', `/pqd/v1/bpqd/${contextId}`, { ...lnsp, 'accept-encoding': acceptEncoding });
    expect(got.headers['content-encoding']).toBe('gzip');
    expect(Buffer.compare(got.bytes, gz)).toBe(0);
  });

  it.each(['identity', 'gzip;q=0', 'deflate, br', ''])('Accept-Encoding: %j → plain JSON, the exact bytes the sender gzipped (and signed)', async (acceptEncoding) => {
    const got = await e2e.call('LNSPNORTH', 'GET', `/pqd/v1/bpqd/${contextId}`, { ...lnsp, 'accept-encoding': acceptEncoding });
    expect(got.status).toBe(200);
    expect(got.headers['content-encoding']).toBeUndefined();
    expect(got.headers['content-type']).toMatch(/^application\/json/);
    expect(Number(got.headers['content-length'])).toBe(json.length);
    expect(Buffer.compare(got.bytes, json)).toBe(0);
    expect(got.headers['x-signature']).toBeDefined();
  });

  it('undici fetch (sends gzip, decodes it itself) reads the payload as JSON', async () => {
    const a = agent();
    agents.push(a);
    const res = await undiciFetch(`${e2e.server.url}/pqd/v1/bpqd/${contextId}`, { headers: lnsp, dispatcher: a });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(payload);
  });

  it.skipIf(!CURL)('curl: plain with "Accept-Encoding: identity", gzip bytes without the header, decoded with --compressed', async () => {
    const p = pkiPaths(join(e2e.dir, 'certs'));
    // Asynchronously: the server under test runs in this process and must keep answering.
    const curl = async (...extra: string[]) => (await execFileAsync(CURL!, [
      '--silent', '--show-error', '--fail-with-body', '--cacert', p.caCert,
      '--cert', p.participantCert('LNSPNORTH', 'primary'), '--key', p.participantKey('LNSPNORTH', 'primary'),
      '-H', `authorization: ${lnsp.authorization}`, '-H', 'x-initiatingParticipantId: LNSPNORTH',
      ...extra, `${e2e.server.url}/pqd/v1/bpqd/${contextId}`,
    ], { timeout: 20_000, encoding: 'buffer' })).stdout;
    expect(JSON.parse((await curl('-H', 'Accept-Encoding: identity')).toString())).toEqual(payload);
    expect(JSON.parse(gunzipSync(await curl()).toString())).toEqual(payload);
    expect(JSON.parse((await curl('--compressed')).toString())).toEqual(payload);
  });
});
