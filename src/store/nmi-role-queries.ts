/** Read-only questions about NMI standing data that the virtual counterparties ask (which NMIs a participant serves on a day). */
import type { Db } from './database.js';

export type StandingRoleName = 'MC' | 'MDP' | 'LNSP';

export class NmiRoleQueries {
  private readonly byParticipant;

  constructor(db: Db) {
    this.byParticipant = db.prepare<[string, string, string, string, string], { nmi: string }>(
      `SELECT DISTINCT nmi FROM nmi_roles
        WHERE participant_id = ? AND role IN (?, ?) AND from_date <= ? AND (to_date IS NULL OR to_date >= ?)
        ORDER BY nmi`);
  }

  /** NMIs for which the participant holds one of `roles` on the market date (same rule as ParticipantStore.rolesOn). */
  nmisOf(participantId: string, roles: readonly StandingRoleName[], marketDate: string): string[] {
    const [a, b = a] = roles as [StandingRoleName, StandingRoleName?];
    return this.byParticipant.all(participantId, a, b, marketDate, marketDate).map((r) => r.nmi);
  }
}
