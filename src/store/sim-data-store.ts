/**
 * Run-time changes of the control API (issue #10): participants, URM users and NMI standing data added,
 * changed and removed while the hub runs. Rows written here carry source 'runtime', so the fixtures loaded
 * on the next start replace only their own rows. Reads of the hub (ParticipantStore) go to the same
 * tables, so a change is in force on the very next request.
 */
import { createHash } from 'node:crypto';
import type { MarketRole, Participant, Entitlements } from '../domain/participants.js';
import type { RoleSpan } from '../domain/standing-data.js';
import type { Db } from './database.js';

export const RUNTIME = 'runtime';

export interface ParticipantRow extends Participant { source: string }
export interface UrmUserRow { clientId: string; entitlements: Entitlements; source: string }
export interface NmiRoleRecord extends RoleSpan { id: number; nmi: string; source: string }

export interface NmiRoleFilter {
  nmi?: string;
  participantId?: string;
  role?: MarketRole;
  /** Only spans in force on this market date. */
  date?: string;
}

export class SimDataStore {
  /** `written` runs after each change of participants or NMI role spans (ParticipantStore keeps them in memory). */
  constructor(private readonly db: Db, private readonly written: () => void) {}

  participants(): ParticipantRow[] {
    return this.db.prepare('SELECT participant_id AS participantId, name, role, source FROM participants ORDER BY participant_id').all() as ParticipantRow[];
  }

  participant(participantId: string): ParticipantRow | undefined {
    return this.db.prepare('SELECT participant_id AS participantId, name, role, source FROM participants WHERE participant_id = ?').get(participantId) as ParticipantRow | undefined;
  }

  upsertParticipant(p: Participant): void {
    this.db.prepare(`INSERT INTO participants (participant_id, name, role, source) VALUES (?, ?, ?, '${RUNTIME}')
      ON CONFLICT (participant_id) DO UPDATE SET name = excluded.name, role = excluded.role, source = excluded.source`).run(p.participantId, p.name, p.role);
    this.written();
  }

  /** Removes a participant with its certificates and its entitlements (a URM user left with none goes too). */
  deleteParticipant(participantId: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM participants WHERE participant_id = ?').run(participantId);
      this.db.prepare('DELETE FROM certificates WHERE participant_id = ?').run(participantId);
      this.db.prepare('DELETE FROM active_certificate_slots WHERE participant_id = ?').run(participantId);
      for (const user of this.users()) {
        if (!(participantId in user.entitlements)) continue;
        const { [participantId]: _gone, ...rest } = user.entitlements;
        if (Object.keys(rest).length === 0) this.deleteUser(user.clientId);
        else this.db.prepare('UPDATE urm_users SET entitlements_json = ? WHERE client_id = ?').run(JSON.stringify(rest), user.clientId);
      }
    })();
    this.written();
  }

  users(): UrmUserRow[] {
    return (this.db.prepare('SELECT client_id AS clientId, entitlements_json AS e, source FROM urm_users ORDER BY client_id').all() as Array<{ clientId: string; e: string; source: string }>)
      .map((r) => ({ clientId: r.clientId, entitlements: JSON.parse(r.e) as Entitlements, source: r.source }));
  }

  user(clientId: string): UrmUserRow | undefined {
    return this.users().find((u) => u.clientId === clientId);
  }

  /** Creates or replaces a URM user; without a secret, an existing user keeps its own. */
  upsertUser(clientId: string, secret: string | undefined, entitlements: Entitlements): void {
    const hash = secret === undefined ? undefined : createHash('sha256').update(secret).digest('hex');
    if (hash === undefined) {
      this.db.prepare(`UPDATE urm_users SET entitlements_json = ?, source = '${RUNTIME}' WHERE client_id = ?`).run(JSON.stringify(entitlements), clientId);
      return;
    }
    this.db.prepare(`INSERT INTO urm_users (client_id, secret_sha256, entitlements_json, source) VALUES (?, ?, ?, '${RUNTIME}')
      ON CONFLICT (client_id) DO UPDATE SET secret_sha256 = excluded.secret_sha256, entitlements_json = excluded.entitlements_json, source = excluded.source`)
      .run(clientId, hash, JSON.stringify(entitlements));
  }

  deleteUser(clientId: string): boolean {
    return this.db.prepare('DELETE FROM urm_users WHERE client_id = ?').run(clientId).changes > 0;
  }

  roles(filter: NmiRoleFilter = {}, limit = 10_000): NmiRoleRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.nmi) { where.push('nmi = ?'); args.push(filter.nmi); }
    if (filter.participantId) { where.push('participant_id = ?'); args.push(filter.participantId); }
    if (filter.role) { where.push('role = ?'); args.push(filter.role); }
    if (filter.date) { where.push('from_date <= ? AND (to_date IS NULL OR to_date >= ?)'); args.push(filter.date, filter.date); }
    return this.db.prepare(`SELECT id, nmi, role, participant_id AS participantId, from_date AS fromDate, to_date AS toDate, source
      FROM nmi_roles ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY nmi, role, from_date, id LIMIT ?`).all(...args, limit) as NmiRoleRecord[];
  }

  /** NMIs with any standing data, optionally only those some span of which touches [from, to]. */
  nmis(range?: { from: string; to: string }): string[] {
    return (range
      ? this.db.prepare('SELECT DISTINCT nmi FROM nmi_roles WHERE from_date <= ? AND (to_date IS NULL OR to_date >= ?) ORDER BY nmi').pluck().all(range.to, range.from)
      : this.db.prepare('SELECT DISTINCT nmi FROM nmi_roles ORDER BY nmi').pluck().all()) as string[];
  }

  /** Replaces every span of an NMI, in one transaction. */
  replaceRoles(nmi: string, spans: readonly RoleSpan[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM nmi_roles WHERE nmi = ?').run(nmi);
      const insert = this.db.prepare(`INSERT INTO nmi_roles (nmi, role, participant_id, from_date, to_date, source) VALUES (?, ?, ?, ?, ?, '${RUNTIME}')`);
      for (const s of spans) insert.run(nmi, s.role, s.participantId, s.fromDate, s.toDate);
    })();
    this.written();
  }

  /** How many spans name a participant. */
  rolesOf(participantId: string): number {
    return this.db.prepare('SELECT count(*) FROM nmi_roles WHERE participant_id = ?').pluck().get(participantId) as number;
  }
}
