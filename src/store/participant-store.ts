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

/** An NMI's role spans as stored, in the order `rolesOn` lists them (role, participant). */
interface RoleSpanRow {
  role: MarketRole;
  participant_id: string;
  from_date: string;
  to_date: string | null;
}

/** At most this many NMIs (and participant ids) are kept in memory; past it the cache starts again (fixture sets are far smaller). */
const MAX_CACHED = 50_000;

/**
 * Participants, URM users and NMI standing data.
 *
 * Participants and NMI role spans are read on every request (the client certificate's participant, the
 * receivers and sender of every submission) and change only through the control API, fixtures and
 * reset/restore: they are kept in memory (issue #13). The cache is dropped whenever they may have
 * changed — `written()` after any write in this process (this store's own, and SimDataStore's through the
 * callback it is given), `invalidate()` after a reset or snapshot restore and on another instance's
 * `standing-data` notice (src/services/instance-sync.ts). URM users are not cached.
 */
export class ParticipantStore implements StandingDataLookup {
  private readonly stmts;
  private readonly participantCache = new Map<string, Participant | null>();
  private readonly spansCache = new Map<string, RoleSpanRow[]>();
  private readonly writeListeners: Array<() => void> = [];

  constructor(private readonly db: Db) {
    this.stmts = {
      participant: db.prepare<[string], { participant_id: string; name: string; role: MarketRole }>(
        'SELECT participant_id, name, role FROM participants WHERE participant_id = ?'),
      participants: db.prepare<[], { participant_id: string; name: string; role: MarketRole }>(
        'SELECT participant_id, name, role FROM participants ORDER BY participant_id'),
      user: db.prepare<[string], { client_id: string; secret_sha256: string; entitlements_json: string }>(
        'SELECT client_id, secret_sha256, entitlements_json FROM urm_users WHERE client_id = ?'),
      spans: db.prepare<[string], RoleSpanRow>(
        'SELECT role, participant_id, from_date, to_date FROM nmi_roles WHERE nmi = ? ORDER BY role, participant_id'),
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
    let cached = this.participantCache.get(participantId);
    if (cached === undefined) {
      const row = this.stmts.participant.get(participantId);
      cached = row ? { participantId: row.participant_id, name: row.name, role: row.role } : null;
      if (this.participantCache.size >= MAX_CACHED) this.participantCache.clear();
      this.participantCache.set(participantId, cached);
    }
    // A copy: callers own what they are given, as they did when each call read the database.
    return cached === null ? undefined : { ...cached };
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

  /** Who holds each role for the NMI on the market date (dates are ISO text: compared as the SQL compared them). */
  rolesOn(nmi: string, marketDate: string): NmiRolesOnDate {
    let spans = this.spansCache.get(nmi);
    if (spans === undefined) {
      spans = this.stmts.spans.all(nmi);
      if (this.spansCache.size >= MAX_CACHED) this.spansCache.clear();
      this.spansCache.set(nmi, spans);
    }
    const roles: NmiRolesOnDate = { LNSP: [], MC: [], MDP: [] };
    for (const s of spans) {
      if (s.from_date <= marketDate && (s.to_date === null || s.to_date >= marketDate)) roles[s.role].push(s.participant_id);
    }
    return roles;
  }

  /** After any write to participants or NMI role spans in this process: drop the cache and tell the listeners (other instances). */
  written(): void {
    this.invalidate();
    for (const listener of this.writeListeners) listener();
  }

  /** Drops the cache: the next read goes to the database (after a reset, a restore, or another instance's write). */
  invalidate(): void {
    this.participantCache.clear();
    this.spansCache.clear();
  }

  /** Runs `listener` after this process changed participants or standing data (issue #14: other instances are told). */
  onWrite(listener: () => void): void {
    this.writeListeners.push(listener);
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
    this.written();
  }
}
