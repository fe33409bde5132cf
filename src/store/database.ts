import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** File path, or ':memory:' for tests. */
  path: string;
  /**
   * SQLite `synchronous`. WAL + NORMAL survives the process being killed (every commit is in the WAL
   * before the 200 goes out); FULL also survives power loss, at the price of an fsync per commit.
   */
  synchronous?: 'NORMAL' | 'FULL';
}

/** Opens (creating if needed) and migrates the database. */
export function openDatabase({ path, synchronous = 'NORMAL' }: OpenOptions): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // 64 MiB of page cache (default 2 MiB): queue, log and index pages stay hot under load.
  db.pragma('cache_size = -65536');
  // Statement and savepoint journals (each group-commit operation runs in a SAVEPOINT) and RETURNING's
  // scratch tables in memory, not in temporary files: ≈40% of a submission's SQLite time (issue #13).
  db.pragma('temp_store = MEMORY');
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
