import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startWalCheckpointer, type WalCheckpointer } from '../../src/store/wal-checkpointer.js';
import { testBackend } from '../helpers/database.js';

describe.skipIf(testBackend() === 'postgres')('WAL checkpoints in a worker thread (issue #13) (SQLite only: PostgreSQL checkpoints on its own)', () => {
  let dir: string;
  let db: Db;
  let checkpointer: WalCheckpointer | undefined;
  afterEach(async () => {
    await checkpointer?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let written = 0;
  const write = (rows: number) => {
    const insert = db.prepare('INSERT INTO participants (participant_id, name, role) VALUES (?, ?, ?)');
    for (let i = 0; i < rows; i++) insert.run(`P${written++}`, 'x'.repeat(200), 'LNSP');
  };

  it('takes checkpointing out of the writing connection, copies committed frames back, and lets the WAL restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'idx-sim-wal-'));
    const path = join(dir, 'idx-sim.db');
    db = openDatabase({ path });
    checkpointer = startWalCheckpointer(db, path, 60_000);
    // The writer's own threshold is only a safety net now.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT_PAGES);

    write(1_000);
    const grown = statSync(`${path}-wal`).size;
    const first = await checkpointer.checkpointNow();
    expect(first.log).toBeGreaterThan(100);
    expect(first.checkpointed).toBe(first.log);

    // Everything is in the database file: the next writes start the WAL over instead of growing it.
    write(500);
    const again = await checkpointer.checkpointNow();
    expect(again.checkpointed).toBe(again.log);
    expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(grown);
    expect(db.prepare('SELECT count(*) AS n FROM participants').get()).toEqual({ n: 1_500 });
  });

  it('stops its worker on close', async () => {
    dir = mkdtempSync(join(tmpdir(), 'idx-sim-wal-'));
    const path = join(dir, 'idx-sim.db');
    db = openDatabase({ path });
    const c = startWalCheckpointer(db, path, 60_000);
    await c.close();
    await expect(c.checkpointNow()).rejects.toThrow();
  });
});
