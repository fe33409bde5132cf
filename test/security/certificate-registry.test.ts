/**
 * The certificate registry (spec §6) against a real SQLite file: registration from the certificates
 * directory, replacement, revocation, rotation, and changes made by another connection — as `idx-sim certs`
 * makes them from another process — seen by the next read.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueClientCertificate, pkiPaths } from '../../src/pki/dev-ca.js';
import { CertificateRegistry, registerCertificatesFromDir } from '../../src/security/certificate-registry.js';
import { CertificateStore } from '../../src/store/certificate-store.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { certificatePem, pkiDir, T0 } from '../helpers/harness.js';
import { devCa } from '../helpers/signing.js';

let dir: string;
const open: Db[] = [];
const registryOn = (path: string) => {
  const db = openDatabase({ path });
  open.push(db);
  return new CertificateRegistry(new CertificateStore(db), 'NonProd');
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-registry-'));
});
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('certificate registry', () => {
  it('sees a revocation and a rotation committed by another connection (another process) on its next read', () => {
    const path = join(dir, 'idx-sim.db');
    const server = registryOn(path);
    registerCertificatesFromDir(server, pkiDir(), ['MDPONE'], T0);
    expect(server.view().current('MDPONE', 'primary')?.revokedAt).toBeNull();
    const cli = registryOn(path);
    cli.revoke('MDPONE', 'primary', T0 + 1000);
    cli.rotate('MDPONE', 'secondary', T0 + 2000);
    expect(server.view().current('MDPONE', 'primary')?.revokedAt).toBe(T0 + 1000);
    expect(server.view().activeSlot('MDPONE')).toEqual({ slot: 'secondary', changedAt: T0 + 2000 });
  });

  it('keeps its view between changes: no reload, and the public keys are parsed once', () => {
    const registry = registryOn(join(dir, 'idx-sim.db'));
    registerCertificatesFromDir(registry, pkiDir(), ['MDPONE'], T0);
    const view = registry.view();
    expect(registry.view()).toBe(view);
    registry.revoke('MDPONE', 'secondary', T0);
    const after = registry.view();
    expect(after).not.toBe(view);
    expect(after.current('MDPONE', 'primary')!.publicKey).toBe(view.current('MDPONE', 'primary')!.publicKey);
  });

  it('re-registering the certificates directory on start changes nothing and keeps a revocation; a new file replaces the slot', () => {
    const registry = registryOn(join(dir, 'idx-sim.db'));
    expect(registerCertificatesFromDir(registry, pkiDir(), ['MDPONE'], T0).map((r) => r.outcome)).toEqual(['registered', 'registered']);
    registry.revoke('MDPONE', 'secondary', T0);
    expect(registerCertificatesFromDir(registry, pkiDir(), ['MDPONE'], T0 + 1).map((r) => r.outcome)).toEqual(['unchanged', 'unchanged']);
    expect(registry.view().current('MDPONE', 'secondary')?.revokedAt).toBe(T0);

    // A certificates directory where the primary was re-issued and the secondary is the same file.
    const certs = join(dir, 'certs');
    const paths = pkiPaths(certs);
    const renewed = issueClientCertificate(devCa(), 'MDPONE-NonProd');
    mkdirSync(dirname(paths.participantCert('MDPONE', 'primary')), { recursive: true });
    writeFileSync(paths.participantCert('MDPONE', 'primary'), renewed.certPem);
    writeFileSync(paths.participantCert('MDPONE', 'secondary'), certificatePem('MDPONE', 'secondary'));
    expect(registerCertificatesFromDir(registry, certs, ['MDPONE'], T0 + 2).map((r) => `${r.slot}:${r.outcome}`)).toEqual(['primary:registered', 'secondary:unchanged']);
    const all = registry.view().certificates.filter((c) => c.slot === 'primary');
    expect(all.map((c) => c.replacedAt)).toEqual([T0 + 2, null]);
  });

  it('refuses a certificate whose CN names another participant or breaks the CN rules, and a second slot for the same certificate', () => {
    const registry = registryOn(join(dir, 'idx-sim.db'));
    expect(() => registry.register('MDPONE', 'primary', certificatePem('LNSPNORTH'), T0)).toThrow(/its CN names LNSPNORTH/);
    expect(() => registry.register('MDPONE', 'primary', issueClientCertificate(devCa(), 'MDPONE-Prod').certPem, T0)).toThrow(/is a Prod certificate/);
    registry.register('MDPONE', 'primary', certificatePem('MDPONE'), T0);
    expect(() => registry.register('MDPONE', 'secondary', certificatePem('MDPONE'), T0)).toThrow(/already registered as MDPONE's primary certificate/);
  });

  it('refuses to revoke twice, and to rotate to a revoked or missing slot', () => {
    const registry = registryOn(join(dir, 'idx-sim.db'));
    registry.register('MDPONE', 'primary', certificatePem('MDPONE'), T0);
    expect(() => registry.rotate('MDPONE', 'secondary', T0)).toThrow(/MDPONE has no registered secondary certificate to rotate to/);
    registry.revoke('MDPONE', 'primary', T0);
    expect(() => registry.revoke('MDPONE', 'primary', T0)).toThrow(/is already revoked/);
    expect(() => registry.rotate('MDPONE', 'primary', T0)).toThrow(/is revoked; issue a new one first \(idx-sim certs issue --participant MDPONE --slot primary\)/);
  });
});

describe('certificate registry upgrade (migration 7: registrations)', () => {
  it('keeps the registrations of a database created when one certificate served one participant, and lets it serve a second', () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    for (const step of MIGRATIONS.slice(0, 6)) old.exec(step);
    old.pragma('user_version = 6');
    const pem = certificatePem('MDPONE');
    const cert = new X509Certificate(pem);
    old.prepare(`INSERT INTO certificates (participant_id, slot, serial_number, fingerprint256, common_name, valid_from, valid_to, cert_pem, registered_at, revoked_at)
      VALUES ('MDPONE', 'primary', ?, ?, 'MDPONE-NonProd', ?, ?, ?, ?, ?)`).run(cert.serialNumber, cert.fingerprint256, Date.parse(cert.validFrom), Date.parse(cert.validTo), pem, T0, T0 + 1);
    old.close();

    const registry = registryOn(path);
    const [kept] = registry.view().registrationsOf(cert.fingerprint256);
    expect(kept).toMatchObject({ participantId: 'MDPONE', slot: 'primary', commonName: 'MDPONE-NonProd', registeredAt: T0, revokedAt: T0 + 1, replacedAt: null });
    expect(registry.register('ACMEMC', 'secondary', pem, T0 + 2)).toBe('registered');
    expect(registry.view().registrationsOf(cert.fingerprint256).map((c) => [c.participantId, c.slot, c.revokedAt])).toEqual([['ACMEMC', 'secondary', null], ['MDPONE', 'primary', T0 + 1]]);
  });
});
