/**
 * The development PKI on disk (issue 7, defect 9): files are written whole or not at all, and every pair
 * is checked at start — a broken generated certificate is issued again, a broken CA stops the start
 * naming the file.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { ensureDevPki, pairProblem, pkiPaths } from '../../src/pki/dev-ca.js';
import { startServer } from '../../src/server.js';
import { readFixtures } from '../../src/store/fixtures.js';
import { writeFileAtomically } from '../../src/store/files.js';

let dir: string;
let certs: string;
const participants = () => readFixtures(join(PROJECT_ROOT, 'fixtures')).participants.map((p) => p.participantId);
const p = () => pkiPaths(certs);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-dev-pki-'));
  certs = join(dir, 'certs');
  cpSync(inject('pkiDir'), certs, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every file under a directory, recursively. */
const files = (root: string): string[] => readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

describe('ensureDevPki checks every pair', () => {
  it('starts with a 0-byte participant certificate: issues it again, and the participant gets a token over mTLS', async () => {
    truncateSync(p().participantCert('MDPONE', 'primary'), 0);
    const server = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir: join(dir, 'data'), certsDir: certs, fixturesDir: join(PROJECT_ROOT, 'fixtures') });
    const agent = new Agent({ connect: { ca: readFileSync(p().caCert), cert: readFileSync(p().participantCert('MDPONE', 'primary')), key: readFileSync(p().participantKey('MDPONE', 'primary')), servername: 'localhost' } });
    try {
      const res = await request(`${server.url}/oauth/v1/token`, {
        method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: 'mdpone-secret', scope: 'PQD_BPQD' }).toString(),
      });
      expect(res.statusCode, await res.body.text()).toBe(200);
    } finally {
      await agent.close();
      await server.close();
    }
  });

  it.each([
    ['a 0-byte server certificate', () => truncateSync(p().serverCert, 0), () => p().serverCert, /empty/],
    ['a 0-byte hub signing key', () => truncateSync(p().hubKey, 0), () => p().hubCert, /hub\.key: empty/],
    ['a missing server key', () => rmSync(p().serverKey), () => p().serverCert, /server\.key: missing/],
    ['a mismatched participant pair', () => copyFileSync(p().participantKey('MDPONE', 'secondary'), p().participantKey('MDPONE', 'primary')), () => p().participantCert('MDPONE', 'primary'), /primary\.key does not belong to/],
    ['a garbled OAuth signing key', () => writeFileSync(p().tokenSigningKey, '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n'), () => p().tokenSigningKey, /not a PEM private key/],
  ])('%s is issued again, and reported naming the file', (_label, breakIt, file, problem) => {
    breakIt();
    const pki = ensureDevPki(certs, participants());
    expect(pki.repaired).toEqual([{ file: file(), problem: expect.stringMatching(problem) }]);
    expect(pki.repaired[0]!.problem).toContain(file().endsWith('.crt') ? file().replace(/\.crt$/, '') : file());
    for (const [cert, key] of [[p().serverCert, p().serverKey], [p().hubCert, p().hubKey], [p().participantCert('MDPONE', 'primary'), p().participantKey('MDPONE', 'primary')]] as const) {
      expect(pairProblem(cert, key, { issuer: pki.ca.certPem })).toBeUndefined();
    }
    // Nothing else was touched: a second start finds nothing to do.
    expect(ensureDevPki(certs, participants()).created).toEqual([]);
  });

  it('leaves a participant certificate without a key alone (issued from a CSR: the participant keeps the key)', () => {
    const before = readFileSync(p().participantCert('MDPONE', 'primary'), 'utf8');
    rmSync(p().participantKey('MDPONE', 'primary'));
    const pki = ensureDevPki(certs, participants());
    expect(pki.created).toEqual([]);
    expect(readFileSync(p().participantCert('MDPONE', 'primary'), 'utf8')).toBe(before);
  });

  it.each([
    ['a 0-byte CA certificate', () => truncateSync(p().caCert, 0), /ca\.crt: empty\. The dev CA issued every other certificate/],
    ['a missing CA key', () => rmSync(p().caKey), /ca\.key: missing\. The dev CA issued every other certificate/],
  ])('stops on %s once it has issued certificates, naming the file', (_label, breakIt, message) => {
    breakIt();
    expect(() => ensureDevPki(certs, participants())).toThrow(message);
  });

  it('writes files whole: a new file replaces the old by rename, no temporary file is left, secrets are 0600', () => {
    const target = join(dir, 'x', 'file.key');
    writeFileAtomically(target, 'old\n', 0o600);
    const inode = statSync(target).ino;
    writeFileAtomically(target, 'new\n', 0o600);
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(statSync(target).ino).not.toBe(inode);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    rmSync(p().serverCert);
    ensureDevPki(certs, participants());
    expect([...files(join(dir, 'x')), ...files(certs)].filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
