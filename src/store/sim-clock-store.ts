/**
 * The simulated clock's state in the database (issue #14): instances sharing one database read it at
 * start and after a `clock` notice on the hub bus, and write it on every change of their own clock.
 * Only used when the bus is shared; a single SQLite process keeps its clock in memory as before.
 */
import type { ClockPosition } from '../domain/clock.js';
import type { Db } from './database.js';

export class SimClockStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      get: db.prepare<[], { offsetMs: number; frozenAt: number | null }>('SELECT offset_ms AS "offsetMs", frozen_at AS "frozenAt" FROM sim_clock WHERE id = 1'),
      save: db.prepare<[number, number | null, number]>(
        `INSERT INTO sim_clock (id, offset_ms, frozen_at, changed_at) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET offset_ms = excluded.offset_ms, frozen_at = excluded.frozen_at, changed_at = excluded.changed_at`),
    };
  }

  /** The stored state, or undefined when no instance has stored one yet (a fresh or reset database). */
  get(): ClockPosition | undefined {
    const row = this.stmts.get.get();
    // BIGINT columns may come back as strings or bigints from a PostgreSQL driver: numbers here.
    return row ? { offsetMs: Number(row.offsetMs), frozenAt: row.frozenAt === null ? null : Number(row.frozenAt) } : undefined;
  }

  save(position: ClockPosition, at: number): void {
    this.stmts.save.run(Math.round(position.offsetMs), position.frozenAt === null ? null : Math.round(position.frozenAt), Math.round(at));
  }
}
