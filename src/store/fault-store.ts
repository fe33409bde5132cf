import type { FaultKind, FaultRule } from '../domain/faults.js';
import type { Db } from './database.js';

const COLUMNS = `id, kind, api, operation_id AS operationId, participant_id AS participantId, from_at AS fromAt, to_at AS toAt, share, status,
  latency_ms AS latencyMs, latency_max_ms AS latencyMaxMs, description, enabled, hits, created_at AS createdAt`;

export type NewFaultRule = Omit<FaultRule, 'id' | 'hits' | 'enabled'>;

/** Fault-injection rules (issue #10); kept in SQLite so that snapshots and resets take them along. */
export class FaultStore {
  constructor(private readonly db: Db) {}

  all(): FaultRule[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM sim_fault_rules ORDER BY id`).all() as Array<Omit<FaultRule, 'enabled'> & { enabled: number; kind: FaultKind }>)
      .map((r) => ({ ...r, enabled: r.enabled === 1 }));
  }

  insert(rule: NewFaultRule): number {
    return Number(this.db.prepare(`INSERT INTO sim_fault_rules (kind, api, operation_id, participant_id, from_at, to_at, share, status, latency_ms,
        latency_max_ms, description, created_at)
      VALUES (@kind, @api, @operationId, @participantId, @fromAt, @toAt, @share, @status, @latencyMs, @latencyMaxMs, @description, @createdAt)
      RETURNING id`).pluck().get(rule));
  }

  setEnabled(id: number, enabled: boolean): boolean {
    return this.db.prepare('UPDATE sim_fault_rules SET enabled = ? WHERE id = ?').run(enabled ? 1 : 0, id).changes > 0;
  }

  hit(id: number): void {
    this.db.prepare('UPDATE sim_fault_rules SET hits = hits + 1 WHERE id = ?').run(id);
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM sim_fault_rules WHERE id = ?').run(id).changes > 0;
  }

  clear(): void {
    this.db.prepare('DELETE FROM sim_fault_rules').run();
  }
}
