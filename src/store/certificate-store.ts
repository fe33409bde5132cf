import type { CertificateRecord, CertificateSlot } from '../domain/certificate-rules.js';
import type { Db } from './database.js';

export interface StoredCertificate extends CertificateRecord {
  certPem: string;
}

export interface ActiveSlot {
  slot: CertificateSlot;
  changedAt: number | null;
}

const COLUMNS = `participant_id AS participantId, slot, serial_number AS serialNumber, fingerprint256, common_name AS commonName,
  valid_from AS validFrom, valid_to AS validTo, registered_at AS registeredAt, revoked_at AS revokedAt, replaced_at AS replacedAt, cert_pem AS certPem`;

/**
 * The certificate registry's rows (spec §6): every certificate a participant has had in its primary and
 * secondary slot, which slot is active, and what was revoked. A row is a registration: a certificate that
 * serves several participant ids has one row per id, each with its own slot, revocation and replacement. Other processes (`idx-sim certs`) write
 * here too; `dataVersion()` tells a reader when they did.
 */
export class CertificateStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      all: db.prepare<[], StoredCertificate>(`SELECT ${COLUMNS} FROM certificates ORDER BY participant_id, slot, id`),
      registration: db.prepare<[string, string], StoredCertificate>(`SELECT ${COLUMNS} FROM certificates WHERE participant_id = ? AND fingerprint256 = ?`),
      byFingerprint: db.prepare<[string], StoredCertificate>(`SELECT ${COLUMNS} FROM certificates WHERE fingerprint256 = ? ORDER BY id`),
      current: db.prepare<[string, string], StoredCertificate>(`SELECT ${COLUMNS} FROM certificates WHERE participant_id = ? AND slot = ? AND replaced_at IS NULL`),
      activeSlots: db.prepare<[], { participantId: string; slot: CertificateSlot; changedAt: number }>(
        'SELECT participant_id AS participantId, slot, changed_at AS changedAt FROM active_certificate_slots'),
      replaceCurrent: db.prepare<[number, string, string]>('UPDATE certificates SET replaced_at = ? WHERE participant_id = ? AND slot = ? AND replaced_at IS NULL'),
      reinstate: db.prepare<[string, string]>('UPDATE certificates SET replaced_at = NULL WHERE participant_id = ? AND fingerprint256 = ?'),
      insert: db.prepare(
        `INSERT INTO certificates (participant_id, slot, serial_number, fingerprint256, common_name, valid_from, valid_to, cert_pem, registered_at)
         VALUES (@participantId, @slot, @serialNumber, @fingerprint256, @commonName, @validFrom, @validTo, @certPem, @registeredAt)`),
      revoke: db.prepare<[number, string, string]>(
        'UPDATE certificates SET revoked_at = ? WHERE participant_id = ? AND slot = ? AND replaced_at IS NULL AND revoked_at IS NULL'),
      setActive: db.prepare<[string, string, number]>(
        `INSERT INTO active_certificate_slots (participant_id, slot, changed_at) VALUES (?, ?, ?)
         ON CONFLICT (participant_id) DO UPDATE SET slot = excluded.slot, changed_at = excluded.changed_at`),
      dataVersion: db.dialect === 'sqlite' ? db.prepare('PRAGMA data_version').pluck() : undefined,
    };
  }

  all(): StoredCertificate[] {
    return this.stmts.all.all();
  }

  /** Every registration of a certificate: one per participant id it serves (spec §6), current or not. */
  byFingerprint(fingerprint256: string): StoredCertificate[] {
    return this.stmts.byFingerprint.all(fingerprint256);
  }

  /** A participant's registration of a certificate, current or not. */
  registration(participantId: string, fingerprint256: string): StoredCertificate | undefined {
    return this.stmts.registration.get(participantId, fingerprint256);
  }

  current(participantId: string, slot: CertificateSlot): StoredCertificate | undefined {
    return this.stmts.current.get(participantId, slot);
  }

  /** Participants that rotated; the others use their primary. */
  activeSlots(): Map<string, ActiveSlot> {
    return new Map(this.stmts.activeSlots.all().map((r) => [r.participantId, { slot: r.slot, changedAt: r.changedAt }]));
  }

  /** Puts a certificate in its slot, replacing the one there; a certificate seen before is reinstated rather than duplicated. */
  place(certificate: Omit<StoredCertificate, 'revokedAt' | 'replacedAt'>, at: number): void {
    this.db.transaction(() => {
      this.stmts.replaceCurrent.run(at, certificate.participantId, certificate.slot);
      if (this.registration(certificate.participantId, certificate.fingerprint256)) this.stmts.reinstate.run(certificate.participantId, certificate.fingerprint256);
      else this.stmts.insert.run(certificate);
    })();
  }

  /** Revokes the current certificate of a slot; false when there is none, or it is already revoked. */
  revoke(participantId: string, slot: CertificateSlot, at: number): boolean {
    return this.stmts.revoke.run(at, participantId, slot).changes === 1;
  }

  setActiveSlot(participantId: string, slot: CertificateSlot, at: number): void {
    this.stmts.setActive.run(participantId, slot, at);
  }

  /**
   * SQLite's `PRAGMA data_version`: changes whenever another connection (another process) commits. Writes
   * through this connection do not change it; the caller knows about those.
   */
  dataVersion(): number {
    // PostgreSQL has no such counter: another writer (an `idx-sim certs` command, another instance) is not
    // noticed here yet; the registry reloads on its own writes, as on SQLite.
    return (this.stmts.dataVersion?.get() as number | undefined) ?? 0;
  }
}
