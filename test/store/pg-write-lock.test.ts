/**
 * Writes serialise across instances on PostgreSQL as on SQLite's single writer (issue #14,
 * docs/spec-variance.md row 483): every top-level transaction of the database port — `db.transaction`
 * and the group commit's `BEGIN IMMEDIATE` — first waits for the hub's write lock, so it reads what a
 * transaction of another instance committed instead of overwriting it from a stale read.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/store/group-commit.js';
import { SimClockStore } from '../../src/store/sim-clock-store.js';
import { HUB_WRITE_LOCK } from '../../src/store/postgres/pg-db.js';
import { openTestDatabase, testBackend, testDatabaseUrl } from '../helpers/database.js';

describe.skipIf(testBackend() !== 'postgres')('the hub write lock (PostgreSQL only: npm run test:postgres)', () => {
  /**
   * Another instance's transaction, run by the server on its own once sent: it takes the write lock, holds
   * it a moment, writes a clock offset and commits. Resolves when the lock is held (seen in pg_locks).
   */
  async function otherInstanceWrites(url: string, offsetMs: number): Promise<{ done: Promise<unknown>; client: pg.Client }> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const done = client.query(`BEGIN; SELECT pg_advisory_xact_lock(${HUB_WRITE_LOCK}); SELECT pg_sleep(0.3);
      INSERT INTO sim_clock (id, offset_ms, frozen_at, changed_at) VALUES (1, ${offsetMs}, NULL, 0)
      ON CONFLICT (id) DO UPDATE SET offset_ms = excluded.offset_ms; COMMIT`);
    const watcher = new pg.Client({ connectionString: url });
    await watcher.connect();
    for (let i = 0; i < 200; i++) {
      const held = await watcher.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted");
      if (held.rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await watcher.end();
    return { done, client };
  }

  it('db.transaction waits for another instance\'s transaction and reads what it committed', async () => {
    const db = openTestDatabase();
    try {
      const other = await otherInstanceWrites(testDatabaseUrl(db)!, 1234);
      const clock = new SimClockStore(db);
      const seen = db.transaction(() => clock.get())();
      await other.done;
      await other.client.end();
      expect(seen).toEqual({ offsetMs: 1234, frozenAt: null });
    } finally {
      db.close();
    }
  });

  it('the group commit waits for it too', async () => {
    const db = openTestDatabase();
    try {
      const other = await otherInstanceWrites(testDatabaseUrl(db)!, 5678);
      const clock = new SimClockStore(db);
      const seen = await new GroupCommit(db).run(() => clock.get());
      await other.done;
      await other.client.end();
      expect(seen).toEqual({ offsetMs: 5678, frozenAt: null });
    } finally {
      db.close();
    }
  });
});
