/**
 * Shared and containerised use (issue 8): IDX_SIM_SERVER_HOSTS lists the names and addresses the server
 * certificate carries, so a client that verifies the host name it called (a CI job calling
 * https://idx-sim:8443 from another container) is served; the certificate is issued again when the list
 * changes, and only then. Over a real TLS socket: the client connects to 127.0.0.1 and asks for the name.
 */
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { startServer } from '../../src/server.js';

const dir = mkdtempSync(join(tmpdir(), 'idx-sim-server-hosts-'));
const certs = join(dir, 'certs');
const p = pkiPaths(certs);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = (serverHosts?: string[]) => startServer({
  port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir: join(dir, 'data'), certsDir: certs, fixturesDir: join(PROJECT_ROOT, 'fixtures'),
  ...(serverHosts ? { serverHosts } : {}),
});
const serial = () => new X509Certificate(readFileSync(p.serverCert)).serialNumber;

/** A TLS handshake to 127.0.0.1 asking for `servername`, verifying the certificate against it. */
function handshake(port: number, servername: string): Promise<'verified' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca: readFileSync(p.caCert), cert: readFileSync(p.participantCert('MDPONE', 'primary')), key: readFileSync(p.participantKey('MDPONE', 'primary')) });
    socket.once('secureConnect', () => { socket.end(); resolve('verified'); });
    socket.once('error', (err: NodeJS.ErrnoException) => { socket.destroy(); resolve(err.code ?? err.message); });
  });
}

describe('IDX_SIM_SERVER_HOSTS', () => {
  it('names an added host in the server certificate, reissued only when the list changes', async () => {
    cpSync(inject('pkiDir'), certs, { recursive: true });
    const original = serial();

    const server = await start(['localhost', '127.0.0.1', '::1', 'idx-sim']);
    const port = Number(new URL(server.url).port);
    const reissued = serial();
    try {
      expect(reissued).not.toBe(original);
      expect(new X509Certificate(readFileSync(p.serverCert)).subjectAltName).toContain('DNS:idx-sim');
      expect(await handshake(port, 'idx-sim')).toBe('verified');
      expect(await handshake(port, 'localhost')).toBe('verified');
      expect(await handshake(port, 'not-listed.example')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      // The API answers a client that verifies the name it called.
      const agent = new Agent({ connect: { ca: readFileSync(p.caCert), cert: readFileSync(p.participantCert('MDPONE', 'primary')), key: readFileSync(p.participantKey('MDPONE', 'primary')), servername: 'idx-sim' } });
      const res = await request(`${server.url}/oauth/v1/token`, {
        method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: 'mdpone-secret', scope: 'PQD_BPQD' }).toString(),
      });
      expect(res.statusCode, await res.body.text()).toBe(200);
      await agent.close();
    } finally {
      await server.close();
    }

    // Same list (in another order and case): the certificate stays.
    const same = await start(['IDX-SIM', '::1', '127.0.0.1', 'localhost']);
    await same.close();
    expect(serial()).toBe(reissued);

    // Back to the default list: issued again, and the name is gone.
    const back = await start();
    try {
      expect(serial()).not.toBe(reissued);
      expect(await handshake(Number(new URL(back.url).port), 'idx-sim')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(await handshake(Number(new URL(back.url).port), '127.0.0.1')).toBe('verified');
    } finally {
      await back.close();
    }
  });
});
