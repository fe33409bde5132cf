/**
 * `idx-sim certs` and `idx-sim sign`, run in-process against a temporary data and certificates directory
 * (the README test runs the built command in another process against a running server).
 */
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import forge from 'node-forge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certsCommand } from '../../src/cli/certs.js';
import { signCommand } from '../../src/cli/sign.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { CertificateRegistry } from '../../src/security/certificate-registry.js';
import { CertificateStore } from '../../src/store/certificate-store.js';
import { openDatabase } from '../../src/store/database.js';
import { pkiDir, useHarness } from '../helpers/harness.js';
import { pooledKeyPair } from '../helpers/key-pool.js';

let dir: string;
const certsDir = () => join(dir, 'certs');
const common = () => ['--data-dir', join(dir, 'data'), '--certs-dir', certsDir(), '--fixtures-dir', join(PROJECT_ROOT, 'fixtures')];

/** Runs `idx-sim certs …` and returns what it printed. */
function certs(...args: string[]): string {
  let out = '';
  const [sub, ...rest] = args;
  expect(certsCommand([sub!, ...rest, ...common()], (text) => { out += text; })).toBe(0);
  return out;
}

function sign(...args: string[]): string {
  let out = '';
  expect(signCommand(args, (text) => { out += text; })).toBe(0);
  return out.trim();
}

/** What the registry in the data directory says now (as the server would read it). */
function registry() {
  const db = openDatabase({ path: join(dir, 'data', 'idx-sim.db') });
  try {
    return new CertificateRegistry(new CertificateStore(db), 'NonProd').view();
  } finally {
    db.close();
  }
}

/** A PKCS #10 CSR with this CN for a fresh key (forge, as a participant's tool would make one). */
function csr(commonName: string, modulusLength = 2048): { csrPem: string; keyPem: string } {
  const { privateKey, publicKey } = modulusLength === 2048 ? pooledKeyPair() : generateKeyPairSync('rsa', { modulusLength });
  const request = forge.pki.createCertificationRequest();
  request.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  request.setSubject([{ name: 'commonName', value: commonName }]);
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  request.sign(forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { csrPem: forge.pki.certificationRequestToPem(request), keyPem };
}

const file = (name: string, content: string | Buffer) => {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-cli-'));
  cpSync(pkiDir(), certsDir(), { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('idx-sim certs', () => {
  it('list prints each participant\'s registered primary and secondary, the active slot and the status', () => {
    const lines = certs('list').trim().split('\n');
    expect(lines[0]).toMatch(/^PARTICIPANT\s+SLOT\s+ACTIVE\s+STATUS\s+CN\s+SERIAL\s+VALID FROM\s+VALID TO\s+SERVES$/);
    expect(lines).toHaveLength(1 + 8 * 2);
    expect(lines.find((l) => l.startsWith('MDPONE ') && l.includes('primary'))).toMatch(/^MDPONE\s+primary\s+active\s+registered\s+MDPONE-NonProd\s+[0-9A-F]+\s/);
    expect(lines.find((l) => l.startsWith('MDPONE ') && l.includes('secondary'))).toMatch(/^MDPONE\s+secondary\s+registered\s+MDPONE-NonProd/);
  });

  it('list shows the fixture organisation\'s shared certificate under each of its ids, with the ids it serves', () => {
    const lines = certs('list').trim().split('\n');
    const gridco = lines.filter((l) => l.startsWith('GRIDCO'));
    expect(gridco).toHaveLength(4);
    for (const line of gridco) expect(line).toMatch(/^(GRIDCOMC|GRIDCOMDP)\s+(primary|secondary)\s+.*idx\.gridco\.example\s+[0-9A-F]+\s.*\sGRIDCOMC,GRIDCOMDP$/);
    const serial = (pid: string) => /idx\.gridco\.example\s+([0-9A-F]+)/.exec(gridco.find((l) => l.startsWith(`${pid} `) && l.includes('primary'))!)![1];
    expect(serial('GRIDCOMC')).toBe(serial('GRIDCOMDP'));
    expect(lines.find((l) => l.startsWith('MDPONE ') && l.includes('primary'))).toMatch(/\sMDPONE$/);
  });

  it('issue for several ids writes one certificate under each id and registers it for all; revoke and re-issue act on one id', () => {
    const out = certs('issue', '--participant', 'ACMEMC,MDPONE', '--slot', 'secondary', '--cn', 'idx.acme.example');
    expect(out).toMatch(/^issued the secondary certificate of ACMEMC, MDPONE \(one certificate serving all 2\): CN idx\.acme\.example, serial [0-9A-F]+/);
    const p = pkiPaths(certsDir());
    expect(readFileSync(p.participantCert('ACMEMC', 'secondary'), 'utf8')).toBe(readFileSync(p.participantCert('MDPONE', 'secondary'), 'utf8'));
    expect(readFileSync(p.participantKey('ACMEMC', 'secondary'), 'utf8')).toBe(readFileSync(p.participantKey('MDPONE', 'secondary'), 'utf8'));
    const fingerprint = new X509Certificate(readFileSync(p.participantCert('MDPONE', 'secondary'))).fingerprint256;
    expect(registry().registrationsOf(fingerprint).map((c) => [c.participantId, c.slot])).toEqual([['ACMEMC', 'secondary'], ['MDPONE', 'secondary']]);
    expect(certs('list')).toMatch(/^ACMEMC\s+secondary\s+registered\s+idx\.acme\.example\s.*\sACMEMC,MDPONE$/m);

    // Revoking is per registration: MDPONE's use of the certificate stops, ACMEMC's does not.
    expect(certs('revoke', '--participant', 'MDPONE', '--slot', 'secondary')).toMatch(/refused .* when acting for MDPONE; it still serves ACMEMC \(revoke those too if the key is compromised\)/);
    const view = registry();
    expect(view.registration('MDPONE', fingerprint)!.revokedAt).not.toBeNull();
    expect(view.registration('ACMEMC', fingerprint)!.revokedAt).toBeNull();
    expect(() => certs('revoke', '--participant', 'ACMEMC,MDPONE', '--slot', 'secondary')).toThrow(/revoke acts on one participant id's registration: --participant ACMEMC/);

    // A <ParticipantID>-NonProd CN must name one of the ids; the named id is registered first.
    expect(() => certs('issue', '--participant', 'ACMEMC,MDPONE', '--slot', 'primary', '--cn', 'MDPTWO-NonProd')).toThrow(/--cn CN "MDPTWO-NonProd" names MDPTWO, not one of ACMEMC, MDPONE/);
    expect(certs('issue', '--participant', 'ACMEMC,MDPONE', '--slot', 'primary', '--cn', 'MDPONE-NonProd')).toMatch(/CN MDPONE-NonProd/);
    expect(registry().current('ACMEMC', 'primary')!.commonName).toBe('MDPONE-NonProd');
  });

  it('issue --csr accepts an FQDN CN for several ids', () => {
    const request = csr('idx.gridco.example');
    expect(certs('issue', '--participant', 'GRIDCOMC,GRIDCOMDP', '--slot', 'primary', '--csr', file('gridco.csr', request.csrPem)))
      .toMatch(/issued the primary certificate of GRIDCOMC, GRIDCOMDP .*CN idx\.gridco\.example.*the key stays with you/s);
    const view = registry();
    expect(view.current('GRIDCOMC', 'primary')!.fingerprint256).toBe(view.current('GRIDCOMDP', 'primary')!.fingerprint256);
  });

  it('rotate and revoke change the registry in the data directory; list shows them', () => {
    expect(certs('rotate', '--participant', 'MDPONE', '--to', 'secondary')).toMatch(/^MDPONE's active certificate is now its secondary \(serial [0-9A-F]+\)/);
    expect(certs('revoke', '--participant', 'MDPONE', '--slot', 'primary')).toMatch(/^revoked MDPONE's primary certificate \(serial [0-9A-F]+\): refused for mTLS and signatures from the next request on/);
    const view = registry();
    expect(view.activeSlot('MDPONE').slot).toBe('secondary');
    expect(view.current('MDPONE', 'primary')!.revokedAt).not.toBeNull();
    const listed = certs('list');
    expect(listed).toMatch(/MDPONE\s+primary\s+revoked/);
    expect(listed).toMatch(/MDPONE\s+secondary\s+active\s+registered/);
  });

  it('issue (dev CA) writes a new certificate and key into the slot and registers it; the old certificate is replaced', () => {
    certs('list');
    const before = registry().current('MDPTWO', 'secondary')!;
    expect(certs('issue', '--participant', 'MDPTWO', '--slot', 'secondary', '--days', '10'))
      .toMatch(/^issued MDPTWO's secondary certificate: CN MDPTWO-NonProd, serial [0-9A-F]+, valid .* to .*\n {2}wrote .*secondary\.crt and .*secondary\.key/);
    const after = registry().current('MDPTWO', 'secondary')!;
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(after.validTo - Date.now()).toBeLessThanOrEqual(10 * 86_400_000);
    expect(registry().registration('MDPTWO', before.fingerprint256)!.replacedAt).not.toBeNull();
    const p = pkiPaths(certsDir());
    expect(new X509Certificate(readFileSync(p.participantCert('MDPTWO', 'secondary'))).fingerprint256).toBe(after.fingerprint256);
    expect(new X509Certificate(readFileSync(p.participantCert('MDPTWO', 'secondary'))).checkPrivateKey(createPrivateKey(readFileSync(p.participantKey('MDPTWO', 'secondary'))))).toBe(true);
    expect(sign('--participant', 'MDPTWO', '--slot', 'secondary', '--certs-dir', certsDir(), join(PROJECT_ROOT, 'fixtures/payloads/valid-churn-mdptwo-4102000099.json'))).toMatch(/^RSA-SHA256;MII/);
  });

  it('issue --csr issues a certificate for the key in the CSR, writes only the certificate, and removes the slot\'s stale key', () => {
    const request = csr('MDPTWO-NonProd');
    const out = certs('issue', '--participant', 'MDPTWO', '--slot', 'primary', '--csr', file('mdptwo.csr', request.csrPem));
    expect(out).toMatch(/the key stays with you: sign with idx-sim sign --key <your key>/);
    const p = pkiPaths(certsDir());
    expect(existsSync(p.participantKey('MDPTWO', 'primary'))).toBe(false);
    const certPem = readFileSync(p.participantCert('MDPTWO', 'primary'), 'utf8');
    expect(forge.pki.publicKeyToPem(forge.pki.certificateFromPem(certPem).publicKey)).toBe(forge.pki.publicKeyToPem(forge.pki.certificationRequestFromPem(request.csrPem).publicKey!));
    expect(() => sign('--participant', 'MDPTWO', '--certs-dir', certsDir(), join(PROJECT_ROOT, 'fixtures/payloads/valid-churn-mdptwo-4102000099.json')))
      .toThrow(/no private key at .*primary\.key: a certificate issued from your CSR leaves the key with you — pass it with --key/);
    expect(sign('--participant', 'MDPTWO', '--certs-dir', certsDir(), '--key', file('mdptwo.key', request.keyPem), join(PROJECT_ROOT, 'fixtures/payloads/valid-churn-mdptwo-4102000099.json')))
      .toMatch(/^RSA-SHA256;MII/);
  });

  it('issue --csr refuses a CSR whose signature does not verify (altered after signing)', () => {
    const request = forge.pki.certificationRequestFromPem(csr('MDPTWO-NonProd').csrPem);
    request.subject.getField('CN').value = 'MDPONE-NonProd';
    (request as { certificationRequestInfo: unknown }).certificationRequestInfo = null;
    const altered = file('altered.csr', forge.pki.certificationRequestToPem(request));
    expect(() => certs('issue', '--participant', 'MDPONE', '--slot', 'primary', '--csr', altered))
      .toThrow(/the CSR signature does not verify: it was altered, or not signed with the key it contains/);
  });

  it.each([
    ['names another participant', 'MDPONE-NonProd', /the CSR's CN "MDPONE-NonProd" names MDPONE, not MDPTWO/],
    ['is longer than 64 characters', `MDPTWO-NonProd.${'x'.repeat(60)}`, /is 75 characters long; AEMO allows at most 64/],
    ['has characters outside [A-Za-z0-9.-]', 'MDPTWO_NonProd', /contains "_"; only letters, digits, "\." and "-" are allowed/],
    ['is not <ParticipantID>-NonProd', 'mdptwo', /is not of the form <ParticipantID>-NonProd/],
    ['is a production CN', 'MDPTWO-Prod', /is a Prod certificate; this environment accepts <ParticipantID>-NonProd/],
  ])('issue --csr refuses a CSR whose CN %s', (_label, commonName, message) => {
    const path = file('bad.csr', csr(commonName).csrPem);
    expect(() => certs('issue', '--participant', 'MDPTWO', '--slot', 'primary', '--csr', path)).toThrow(message);
    expect(registry().current('MDPTWO', 'primary')!.replacedAt).toBeNull();
  });

  it('issue --csr refuses an RSA key smaller than 2048 bits (spec §6)', () => {
    const path = file('small.csr', csr('MDPTWO-NonProd', 1024).csrPem);
    expect(() => certs('issue', '--participant', 'MDPTWO', '--slot', 'primary', '--csr', path)).toThrow(/the CSR's RSA key has 1024 bits; AEMO certificates are RSA 2048/);
  });

  it('refuses an unknown participant, a missing or wrong slot, a bad --days and a revoked rotation target, saying what is allowed', () => {
    expect(() => certs('revoke', '--participant', 'NOBODY', '--slot', 'primary')).toThrow(/unknown participant NOBODY; known: ACMEMC, .*MDPONE/);
    expect(() => certs('revoke', '--participant', 'MDPONE', '--slot', 'tertiary')).toThrow(/--slot must be primary or secondary, got "tertiary"/);
    expect(() => certs('rotate', '--participant', 'MDPONE')).toThrow(/--to must be primary or secondary/);
    expect(() => certs('issue', '--participant', 'MDPONE', '--slot', 'primary', '--days', '0')).toThrow(/--days must be a whole number of days from 1 to 3650, got "0"/);
    certs('revoke', '--participant', 'MDPONE', '--slot', 'secondary');
    expect(() => certs('rotate', '--participant', 'MDPONE', '--to', 'secondary')).toThrow(/is revoked; issue a new one first/);
  });
});

describe('idx-sim sign', () => {
  const h = useHarness();
  const payloadPath = join(PROJECT_ROOT, 'fixtures/payloads/valid-mdpone-lnspnorth.json');

  it('prints an x-signature over the JSON file that the hub accepts for that file gzipped', async () => {
    const header = sign('--participant', 'MDPONE', '--certs-dir', pkiDir(), payloadPath);
    const res = await h().submit('MDPONE', gzipSync(readFileSync(payloadPath)), { 'x-signature': header, 'x-messageContextId': 'pqd~bpqd~l~mdpone~cli-sign-1' });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('--over gzip signs the gzip file, and refuses a JSON file; --over json refuses a gzip file', () => {
    const gz = file('body.json.gz', gzipSync(readFileSync(payloadPath)));
    expect(sign('--participant', 'MDPONE', '--certs-dir', pkiDir(), '--over', 'gzip', gz)).toMatch(/^RSA-SHA256;MII/);
    expect(() => sign('--participant', 'MDPONE', '--certs-dir', pkiDir(), '--over', 'gzip', payloadPath)).toThrow(/is not gzip; with --over gzip sign the gzip file you send as the body/);
    expect(() => sign('--participant', 'MDPONE', '--certs-dir', pkiDir(), gz)).toThrow(/is gzip; with --over json sign the uncompressed JSON file/);
  });

  it('refuses a key that does not belong to the certificate', () => {
    const otherKey = readFileSync(pkiPaths(pkiDir()).participantKey('LNSPNORTH', 'primary'), 'utf8');
    expect(() => sign('--participant', 'MDPONE', '--certs-dir', pkiDir(), '--key', file('other.key', otherKey), payloadPath))
      .toThrow(/the private key does not belong to certificate .*CN=MDPONE-NonProd/);
  });
});
