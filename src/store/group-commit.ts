import type { Db } from './database.js';

/**
 * Group commit: the submissions that arrive in one turn of the event loop share one SQLite transaction,
 * committed before any of them is answered — so "nothing acknowledged is ever lost" still holds, and the
 * per-commit cost (WAL frames, page writes) is paid once per batch instead of once per message (about
 * 2.5x fewer microseconds per accepted message on this machine; docs/benchmarks.md).
 * Each operation runs inside its own SAVEPOINT, so one that throws (a duplicate id, say) is rolled back
 * alone and the rest of the batch commits.
 *
 * While a batch is open, every other write on this connection in the same turn (a DELETE, the GET that
 * completes a delivery, a PATCH, a refusal row, a quota count) runs inside it too, and is only as durable
 * as the batch. So nothing may be answered while a batch is open: every response waits for `settled()`
 * (src/app.ts), and events about such writes go out through `afterCommit` (docs/reliability.md).
 */
export class GroupCommit {
  private batch: Array<{ resolve: () => void; reject: (err: unknown) => void }> | undefined;
  /** Prepared once: `db.exec` would compile each of these again on every submission. */
  private readonly sql;

  /** `schedule` decides when the open batch commits: the next turn of the event loop (a test seam holds it back). */
  constructor(private readonly db: Db, private readonly schedule: (commit: () => void) => void = setImmediate) {
    this.sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      savepoint: db.prepare('SAVEPOINT group_commit_op'),
      release: db.prepare('RELEASE group_commit_op'),
      rollbackTo: db.prepare('ROLLBACK TO group_commit_op'),
    };
  }

  /** Runs `write` now, inside the current batch; resolves with its result once the batch is committed. */
  run<T>(write: () => T): Promise<T> {
    if (!this.batch) {
      if (this.db.inTransaction) return Promise.resolve(this.db.transaction(write)()); // already inside a caller's transaction
      this.sql.begin.run();
      this.batch = [];
      this.schedule(() => this.commit());
    }
    const batch = this.batch;
    this.sql.savepoint.run();
    let result: T;
    try {
      result = write();
      this.sql.release.run();
    } catch (err) {
      this.sql.rollbackTo.run();
      this.sql.release.run();
      return Promise.reject(err);
    }
    return new Promise<T>((resolve, reject) => batch.push({ resolve: () => resolve(result), reject }));
  }

  /**
   * Resolves once everything written on this connection so far is committed: at once when no batch is
   * open, otherwise when the open batch commits (and rejects if that COMMIT failed, since the writes
   * that joined it are then undone).
   */
  settled(): Promise<void> {
    const batch = this.batch;
    if (!batch) return Promise.resolve();
    return new Promise<void>((resolve, reject) => batch.push({ resolve, reject }));
  }

  /**
   * Runs `then` once what was written so far is committed: now when no batch is open. If the batch fails,
   * `then` never runs and `failed` does (the writes that joined it were undone with it).
   */
  afterCommit(then: () => void, failed: () => void = () => {}): void {
    if (!this.batch) then();
    else this.batch.push({ resolve: then, reject: failed });
  }

  private commit(): void {
    const batch = this.batch!;
    this.batch = undefined;
    try {
      this.sql.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const op of batch) op.reject(err);
      return;
    }
    for (const op of batch) op.resolve();
  }
}
