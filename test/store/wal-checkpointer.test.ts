import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
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

  /** A WAL database in a fresh folder, open on `db`; its path. */
  const openWal = (): string => {
    dir = mkdtempSync(join(tmpdir(), 'idx-sim-wal-'));
    const path = join(dir, 'idx-sim.db');
    db = openDatabase({ path });
    return path;
  };

  let written = 0;
  const write = (rows: number) => {
    const insert = db.prepare('INSERT INTO participants (participant_id, name, role) VALUES (?, ?, ?)');
    for (let i = 0; i < rows; i++) insert.run(`P${written++}`, 'x'.repeat(200), 'LNSP');
  };

  it('takes checkpointing out of the writing connection, copies committed frames back, and lets the WAL restart', async () => {
    const path = openWal();
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

  /** The WAL header's salts (bytes 16–23): SQLite changes them each time the writer starts the WAL over. */
  const walSalts = (path: string) => {
    const fd = openSync(`${path}-wal`, 'r');
    try {
      const header = Buffer.alloc(8);
      readSync(fd, header, 0, 8, 16);
      return header.toString('hex');
    } finally {
      closeSync(fd);
    }
  };
  const nextTurns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('lets the WAL start over although commits kept coming after the worker caught up: the main connection copies the rest between its transactions', async () => {
    const path = openWal();
    checkpointer = startWalCheckpointer(db, path, 60_000, 100);
    write(1_000);
    const before = walSalts(path);
    // Under load a group-commit batch is open while the worker copies: it commits after the worker's pass,
    // and the writer started its transaction before the WAL was all copied, so it cannot start it over.
    db.exec('BEGIN IMMEDIATE');
    write(1);
    const caughtUp = await checkpointer.checkpointNow();
    expect(caughtUp.checkpointed).toBe(caughtUp.log);
    write(50);
    // The main connection waits for its open transaction to end, then copies what it committed.
    await nextTurns(3);
    expect(checkpointer.finished).toBe(0);
    db.exec('COMMIT');
    await nextTurns(3);
    expect(checkpointer.finished).toBe(1);
    // So the next write starts the WAL from its beginning, with new salts.
    write(1);
    expect(walSalts(path)).not.toBe(before);
    expect(db.prepare('SELECT count(*) AS n FROM participants').get()).toEqual({ n: 1_052 });
  });

  it('leaves a short WAL to the worker alone', async () => {
    const path = openWal();
    checkpointer = startWalCheckpointer(db, path, 60_000, 100_000);
    write(1_000);
    await checkpointer.checkpointNow();
    write(50);
    await nextTurns(3);
    expect(checkpointer.finished).toBe(0);
  });

  it('stops its worker on close', async () => {
    const path = openWal();
    const c = startWalCheckpointer(db, path, 60_000);
    await c.close();
    await expect(c.checkpointNow()).rejects.toThrow();
  });
});
