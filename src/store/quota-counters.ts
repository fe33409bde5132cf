/**
 * The two CounterStores of the quotas (contract in src/domain/quotas.ts): per-minute windows in memory
 * (a restart costs a participant at most one minute of its count), daily windows in SQLite (a restart
 * must not hand a participant a fresh market day). Both keep one row per key and forget keys whose
 * window has ended once a later window starts, so they stay as small as the set of active keys.
 */
import type { CounterStore, Window } from '../domain/quotas.js';
import type { Db } from './database.js';

export class MemoryCounterStore implements CounterStore {
  private readonly counters = new Map<string, { start: number; end: number; count: number }>();
  private latestStart = -Infinity;

  incr(key: string, window: Window): number {
    this.forgetEndedBefore(window.start);
    const current = this.counters.get(key);
    const count = current?.start === window.start ? current.count + 1 : 1;
    this.counters.set(key, { start: window.start, end: window.end, count });
    return count;
  }

  count(key: string, window: Window): number {
    const current = this.counters.get(key);
    return current?.start === window.start ? current.count : 0;
  }

  /** Forgets every count (a reset or snapshot restore of the simulator). */
  clear(): void {
    this.counters.clear();
    this.latestStart = -Infinity;
  }

  private forgetEndedBefore(start: number): void {
    if (start <= this.latestStart) return;
    this.latestStart = start;
    for (const [key, c] of this.counters) if (c.end <= start) this.counters.delete(key);
  }
}

export class SqliteCounterStore implements CounterStore {
  private readonly stmts;
  private latestStart = -Infinity;

  constructor(db: Db) {
    this.stmts = {
      // In an UPDATE every right-hand side sees the old row, so the CASE compares the stored window. The old
      // row's columns are qualified: PostgreSQL finds a bare name ambiguous beside `excluded`.
      incr: db.prepare<[string, number, number], { count: number }>(
        `INSERT INTO quota_counters (counter_key, window_start, window_end, count) VALUES (?, ?, ?, 1)
         ON CONFLICT (counter_key) DO UPDATE SET
           count = CASE WHEN quota_counters.window_start = excluded.window_start THEN quota_counters.count + 1 ELSE 1 END,
           window_start = excluded.window_start, window_end = excluded.window_end
         RETURNING count`),
      // The usual count: the key has a row in the same window. Only `count` is set, so the window_end index
      // is left alone (setting window_end, even to its own value, rewrote the index entry: issue #13).
      bump: db.prepare<[string, number], { count: number }>(
        'UPDATE quota_counters SET count = count + 1 WHERE counter_key = ? AND window_start = ? RETURNING count'),
      // A new window for a known key, or a new key: the UPSERT above.
      count: db.prepare<[string, number], { count: number }>('SELECT count FROM quota_counters WHERE counter_key = ? AND window_start = ?'),
      forget: db.prepare<[number]>('DELETE FROM quota_counters WHERE window_end <= ?'),
    };
  }

  incr(key: string, window: Window): number {
    if (window.start > this.latestStart) {
      this.latestStart = window.start;
      this.stmts.forget.run(window.start);
    }
    return (this.stmts.bump.get(key, window.start) ?? this.stmts.incr.get(key, window.start, window.end)!).count;
  }

  count(key: string, window: Window): number {
    return this.stmts.count.get(key, window.start)?.count ?? 0;
  }
}
