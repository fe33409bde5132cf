import { createHash, timingSafeEqual } from 'node:crypto';
import type { NmiRolesOnDate, StandingDataLookup } from '../domain/bpqd-rules.js';
import type { Entitlements, MarketRole, Participant, UrmUser } from '../domain/participants.js';
import type { Db } from './database.js';

export interface NmiRoleRow {
  nmi: string;
  role: MarketRole;
  participantId: string;
  fromDate: string;
  toDate: string | null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Participants, URM users and NMI standing data. */
export class ParticipantStore implements StandingDataLookup {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      participant: db.prepare<[string], { participant_id: string; name: string; role: MarketRole }>(
        'SELECT participant_id, name, role FROM participants WHERE participant_id = ?'),
      participants: db.prepare<[], { participant_id: string; name: string; role: MarketRole }>(
        'SELECT participant_id, name, role FROM participants ORDER BY participant_id'),
      user: db.prepare<[string], { client_id: string; secret_sha256: string; entitlements_json: string }>(
        'SELECT client_id, secret_sha256, entitlements_json FROM urm_users WHERE client_id = ?'),
      rolesOn: db.prepare<[string, string, string], { role: MarketRole; participant_id: string }>(
        `SELECT role, participant_id FROM nmi_roles
          WHERE nmi = ? AND from_date <= ? AND (to_date IS NULL OR to_date >= ?)
          ORDER BY role, participant_id`),
      upsertParticipant: db.prepare(
        `INSERT INTO participants (participant_id, name, role, source) VALUES (@participantId, @name, @role, @source)
         ON CONFLICT (participant_id) DO UPDATE SET name = excluded.name, role = excluded.role, source = excluded.source`),
      upsertUser: db.prepare(
        `INSERT INTO urm_users (client_id, secret_sha256, entitlements_json, source) VALUES (@clientId, @secret, @entitlements, @source)
         ON CONFLICT (client_id) DO UPDATE SET secret_sha256 = excluded.secret_sha256,
           entitlements_json = excluded.entitlements_json, source = excluded.source`),
      insertRole: db.prepare(
        `INSERT INTO nmi_roles (nmi, role, participant_id, from_date, to_date, source)
         VALUES (@nmi, @role, @participantId, @fromDate, @toDate, @source)`),
    };
  }

  participant(participantId: string): Participant | undefined {
    const row = this.stmts.participant.get(participantId);
    return row && { participantId: row.participant_id, name: row.name, role: row.role };
  }

  participants(): Participant[] {
    return this.stmts.participants.all().map((r) => ({ participantId: r.participant_id, name: r.name, role: r.role }));
  }

  /** The URM user when the secret matches, else undefined (same answer for unknown user and wrong secret). */
  authenticate(clientId: string, secret: string): UrmUser | undefined {
    const row = this.stmts.user.get(clientId);
    const expected = row ? Buffer.from(row.secret_sha256, 'hex') : sha256('no such user');
    const matches = timingSafeEqual(expected, sha256(secret));
    return row && matches ? { clientId: row.client_id, entitlements: JSON.parse(row.entitlements_json) as Entitlements } : undefined;
  }

  /** A URM user by client id (its entitlements as stored now), without its secret; undefined when unknown. */
  urmUser(clientId: string): UrmUser | undefined {
    const row = this.stmts.user.get(clientId);
    return row ? { clientId: row.client_id, entitlements: JSON.parse(row.entitlements_json) as Entitlements } : undefined;
  }

  /** The participant ids a URM user acts for (its entitlements), whatever its tokens' scopes; [] for an unknown user. */
  urmUserParticipants(clientId: string): string[] {
    const row = this.stmts.user.get(clientId);
    return row ? Object.keys(JSON.parse(row.entitlements_json) as Entitlements) : [];
  }

  rolesOn(nmi: string, marketDate: string): NmiRolesOnDate {
    const roles: NmiRolesOnDate = { LNSP: [], MC: [], MDP: [] };
    for (const row of this.stmts.rolesOn.all(nmi, marketDate, marketDate)) roles[row.role].push(row.participant_id);
    return roles;
  }

  /**
   * Replaces every row that came from a given source (fixtures on start-up) and keeps the rest,
   * so data a tester added at run time survives a restart.
   */
  replaceFromSource(source: string, data: { participants: Participant[]; users: Array<UrmUser & { secret: string }>; roles: NmiRoleRow[] }): void {
    this.db.transaction(() => {
      for (const table of ['participants', 'urm_users', 'nmi_roles']) this.db.prepare(`DELETE FROM ${table} WHERE source = ?`).run(source);
      for (const p of data.participants) this.stmts.upsertParticipant.run({ ...p, source });
      for (const u of data.users) {
        this.stmts.upsertUser.run({ clientId: u.clientId, secret: sha256(u.secret).toString('hex'), entitlements: JSON.stringify(u.entitlements), source });
      }
      for (const r of data.roles) this.stmts.insertRole.run({ ...r, source });
    })();
  }
}
