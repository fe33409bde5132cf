/**
 * The certificate registry (spec §6): which certificates each participant holds in its primary and
 * secondary slot, which slot is active, which were revoked. "One cert may serve several Participant IDs"
 * (spec §6): a certificate is registered per participant id, and each registration has its own slot,
 * revocation and replacement. Only registered certificates are accepted,
 * for mTLS and for message signatures.
 *
 * Requests consult an in-memory view, so a check costs a map lookup plus one `PRAGMA data_version`
 * (microseconds). The view is rebuilt when this process writes, or when another process (`idx-sim certs`
 * against the same data directory) commits — a revocation takes effect on the very next request, even on
 * an already-open keep-alive connection. Public keys are parsed once per certificate and kept.
 */
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { checkCommonName, CERTIFICATE_SLOTS, type CertificateEnvironment, type CertificateRecord, type CertificateSlot } from '../domain/certificate-rules.js';
import { pkiPaths } from '../pki/dev-ca.js';
import type { ActiveSlot, CertificateStore, StoredCertificate } from '../store/certificate-store.js';
import type { SignerIdentifier } from './cms.js';
import { commonNameOf } from './client-identity.js';
import { certificateIdentity, type CertificateIdentity } from './der.js';
import { publicKeyOf, x509Of } from './parsed-pem.js';

export interface RegisteredCertificate extends CertificateRecord {
  certificateDer: Buffer;
  publicKey: KeyObject;
  identity: CertificateIdentity;
}

interface ParsedKey {
  certificateDer: Buffer;
  publicKey: KeyObject;
  identity: CertificateIdentity;
}

/** One consistent reading of the registry. */
export class RegistryView {
  private readonly byFp = new Map<string, RegisteredCertificate[]>();
  private readonly currentBySlot = new Map<string, RegisteredCertificate>();
  /** By serial number and by subject key identifier: a signer identifier names one of these (every signed submission looks one up). */
  private readonly bySerial = new Map<string, RegisteredCertificate[]>();
  private readonly byKeyId = new Map<string, RegisteredCertificate[]>();

  /** `certificates` holds registrations: a certificate serving several participant ids appears once per id (spec §6). */
  constructor(readonly certificates: readonly RegisteredCertificate[], private readonly active: Map<string, ActiveSlot>) {
    for (const c of certificates) {
      const list = this.byFp.get(c.fingerprint256);
      if (list) list.push(c);
      else this.byFp.set(c.fingerprint256, [c]);
      if (c.replacedAt === null) this.currentBySlot.set(`${c.participantId}/${c.slot}`, c);
      push(this.bySerial, c.identity.serialHex, c);
      if (c.identity.subjectKeyId !== undefined) push(this.byKeyId, c.identity.subjectKeyId, c);
    }
  }

  /** Every registration of a certificate, one per participant id, current or not. */
  registrationsOf(fingerprint256: string): readonly RegisteredCertificate[] {
    return this.byFp.get(fingerprint256) ?? [];
  }

  /** A participant's registration of a certificate, current or not. */
  registration(participantId: string, fingerprint256: string): RegisteredCertificate | undefined {
    return this.registrationsOf(fingerprint256).find((c) => c.participantId === participantId);
  }

  current(participantId: string, slot: CertificateSlot): RegisteredCertificate | undefined {
    return this.currentBySlot.get(`${participantId}/${slot}`);
  }

  /** `primary serial …, secondary serial …` — for messages that tell a participant what is registered. */
  describeRegistered(participantId: string): string {
    return CERTIFICATE_SLOTS.map((slot) => this.current(participantId, slot)).filter((c) => c !== undefined)
      .map((c) => `${c.slot} serial ${c.serialNumber}`).join(', ') || 'none';
  }

  activeSlot(participantId: string): ActiveSlot {
    return this.active.get(participantId) ?? { slot: 'primary', changedAt: null };
  }

  /** Every registered certificate (current or replaced, any participant) a CMS signer identifier names. */
  matching(sid: SignerIdentifier): RegisteredCertificate[] {
    if (sid.kind === 'subjectKeyIdentifier') return [...(this.byKeyId.get(sid.keyId) ?? [])];
    return (this.bySerial.get(sid.serialHex) ?? []).filter((c) => c.identity.issuer.equals(sid.issuer));
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export type RegisterOutcome = 'registered' | 'unchanged' | 'reinstated';

export class CertificateRegistry {
  private snapshot: RegistryView | undefined;
  private snapshotVersion = -1;
  private readonly parsed = new Map<string, ParsedKey>();
  private readonly writeListeners: Array<() => void> = [];

  constructor(private readonly store: CertificateStore, private readonly environment: CertificateEnvironment) {}

  /** The registry as of now. */
  view(): RegistryView {
    const version = this.store.dataVersion();
    if (!this.snapshot || version !== this.snapshotVersion) {
      this.snapshot = this.load();
      this.snapshotVersion = version;
    }
    return this.snapshot;
  }

  /**
   * Puts a certificate in a participant's slot (replacing the one there). The CN must follow spec §6. One
   * certificate may serve several participant ids (spec §6), each registration with its own slot: a
   * `<ParticipantID>-<env>` CN must then name one of them — this participant, or one the certificate is
   * already registered for (register that one first); an FQDN CN names none. Registering the certificate
   * already in the slot changes nothing.
   */
  register(participantId: string, slot: CertificateSlot, certPem: string, at: number): RegisterOutcome {
    const cert = x509Of(certPem);
    const commonName = commonNameOf(cert);
    const cn = checkCommonName(commonName, this.environment);
    if (!cn.ok) throw new Error(`cannot register the ${slot} certificate of ${participantId}: ${cn.message}`);
    const others = this.store.byFingerprint(cert.fingerprint256);
    if (cn.participantId !== null && cn.participantId !== participantId && !others.some((o) => o.participantId === cn.participantId)) {
      throw new Error(`cannot register certificate CN "${commonName}" as ${participantId}'s: its CN names ${cn.participantId}, and it is not registered for ${cn.participantId}. ` +
        `A certificate shared by several participant ids is registered first for the id its CN names (or has an FQDN CN)`);
    }
    const existing = others.find((o) => o.participantId === participantId);
    if (existing && existing.slot !== slot) {
      throw new Error(`certificate ${cert.fingerprint256} is already registered as ${participantId}'s ${existing.slot} certificate`);
    }
    if (existing && existing.replacedAt === null) return 'unchanged';
    this.store.place({
      participantId, slot, commonName: commonName!, serialNumber: cert.serialNumber, fingerprint256: cert.fingerprint256,
      validFrom: Date.parse(cert.validFrom), validTo: Date.parse(cert.validTo), certPem: cert.toString(), registeredAt: at,
    }, at);
    this.written();
    return existing ? 'reinstated' : 'registered';
  }

  /** Revokes the current certificate of a slot: refused from the next request on. */
  revoke(participantId: string, slot: CertificateSlot, at: number): void {
    const current = this.store.current(participantId, slot);
    if (!current) throw new Error(`${participantId} has no registered ${slot} certificate`);
    if (current.revokedAt !== null) throw new Error(`${participantId}'s ${slot} certificate (serial ${current.serialNumber}) is already revoked`);
    this.store.revoke(participantId, slot, at);
    this.written();
  }

  /** Makes `slot` the participant's active certificate (rotation, spec §6: primary active, secondary contingency). */
  rotate(participantId: string, slot: CertificateSlot, at: number): void {
    const current = this.store.current(participantId, slot);
    if (!current) throw new Error(`${participantId} has no registered ${slot} certificate to rotate to`);
    if (current.revokedAt !== null) {
      throw new Error(`${participantId}'s ${slot} certificate (serial ${current.serialNumber}) is revoked; issue a new one first (idx-sim certs issue --participant ${participantId} --slot ${slot})`);
    }
    this.store.setActiveSlot(participantId, slot, at);
    this.written();
  }

  /** Forgets the in-memory view: the next request reads the registry again (after a reset or a snapshot restore). */
  invalidate(): void {
    this.snapshot = undefined;
  }

  /**
   * Registry rows changed by a write that did not go through the registry (a participant removed with its
   * certificates): as after its own writes, the view is read again and the other instances are told.
   */
  changedOutside(): void {
    this.written();
  }

  /** Runs `listener` after this process changed the registry (other instances on the database are told, issue #14). */
  onWrite(listener: () => void): void {
    this.writeListeners.push(listener);
  }

  private written(): void {
    this.snapshot = undefined;
    for (const listener of this.writeListeners) listener();
  }

  private load(): RegistryView {
    const rows = this.store.all();
    const certificates = rows.map((row) => ({ ...recordOf(row), ...this.parse(row) }));
    return new RegistryView(certificates, this.store.activeSlots());
  }

  private parse(row: StoredCertificate): ParsedKey {
    let key = this.parsed.get(row.fingerprint256);
    if (!key) {
      const certificateDer = x509Of(row.certPem).raw;
      key = { certificateDer, publicKey: publicKeyOf(row.certPem), identity: certificateIdentity(certificateDer) };
      this.parsed.set(row.fingerprint256, key);
    }
    return key;
  }
}

function recordOf(row: StoredCertificate): CertificateRecord {
  const { certPem: _pem, ...record } = row;
  return record;
}

/**
 * Registers the certificates found in the certificates directory (`participants/<ID>/{primary,secondary}.crt`,
 * as `ensureDevPki` and `idx-sim certs issue` write them). Run on every start: unchanged files change nothing,
 * and a revocation stays in force while the revoked file is still there.
 */
export function registerCertificatesFromDir(registry: CertificateRegistry, certsDir: string, participantIds: readonly string[], at: number): Array<{ participantId: string; slot: CertificateSlot; outcome: RegisterOutcome }> {
  const paths = pkiPaths(certsDir);
  const found: Array<{ participantId: string; slot: CertificateSlot; pem: string; namesOther: boolean }> = [];
  for (const participantId of participantIds) {
    for (const slot of CERTIFICATE_SLOTS) {
      const path = paths.participantCert(participantId, slot);
      if (!existsSync(path)) continue;
      const pem = readFileSync(path, 'utf8');
      const named = /^([A-Za-z0-9]{1,10})-(?:NonProd|Prod)$/.exec(commonNameOf(x509Of(pem)) ?? '')?.[1];
      found.push({ participantId, slot, pem, namesOther: named !== undefined && named !== participantId });
    }
  }
  // A certificate shared by several ids (the same file under each id's directory) is registered first for the id its CN names.
  const ordered = [...found.filter((f) => !f.namesOther), ...found.filter((f) => f.namesOther)];
  const outcomes = new Map(ordered.map((f) => [f, registry.register(f.participantId, f.slot, f.pem, at)]));
  return found.map((f) => ({ participantId: f.participantId, slot: f.slot, outcome: outcomes.get(f)! }));
}
