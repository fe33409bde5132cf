/**
 * The database port (issue #14): `Db` is the subset of better-sqlite3's API the stores use — synchronous
 * statements, `transaction(fn)` with its semantics (nesting by savepoints), `exec` — with two
 * implementations: SQLite (better-sqlite3 itself, the default, unchanged behaviour and speed) and
 * PostgreSQL (`IDX_SIM_DATABASE_URL=postgres://…`, src/store/postgres/: one session in a worker thread,
 * reached synchronously; docs/adr/0001-database-port.md says why). Store SQL is written once for both:
 * `?`/`@name` parameters, `ON CONFLICT`, `RETURNING id`, double-quoted camelCase aliases where needed.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './migrations.js';
export { DatabaseConflictError, DatabaseUnavailableError } from './database-errors.js';
import { openPostgres, type PostgresOptions } from './postgres/pg-db.js';
import { translateMigration } from './postgres/sql.js';

export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
  /** SQLite only (undefined on PostgreSQL): use `INSERT … RETURNING id`, or `prepareInsert` on a hot path. */
  lastInsertRowid?: number | bigint;
}

/** A prepared statement: better-sqlite3's shape (positional arguments, or one object for named parameters). */
export interface Statement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  iterate(...params: P): IterableIterator<R>;
  /** Rows become their first column's value. */
  pluck(toggle?: boolean): this;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/** `db.transaction(fn)`: calling it runs `fn` in a transaction (a savepoint when one is already open). */
export interface Transaction<F extends AnyFn> {
  (...params: Parameters<F>): ReturnType<F>;
  deferred: Transaction<F>;
  immediate: Transaction<F>;
  exclusive: Transaction<F>;
}

export interface Db {
  readonly dialect: Dialect;
  prepare<P extends unknown[] | {} = unknown[], R = unknown>(source: string): P extends unknown[] ? Statement<P, R> : Statement<[P], R>; // eslint-disable-line @typescript-eslint/no-empty-object-type
  transaction<F extends AnyFn>(fn: F): Transaction<F>;
  /** Runs one or more statements without parameters (DDL, transaction control). */
  exec(source: string): this;
  /** SQLite only: call it under `if (db.dialect === 'sqlite')`. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
  readonly inTransaction: boolean;
  readonly open: boolean;
}

/**
 * The columns of the UNIQUE constraint a failed statement violated, as `table.column, table.column`
 * (SQLite's own wording), on either backend; undefined for any other error.
 */
export function uniqueViolation(err: unknown): string | undefined {
  const e = err as { code?: string; message?: string; table?: string; detail?: string };
  if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof e.message === 'string') return /^UNIQUE constraint failed: (.+)$/.exec(e.message)?.[1];
  if (e?.code === '23505' && e.table && e.detail) {
    const columns = /^Key \(([^)]*)\)=/.exec(e.detail)?.[1];
    return columns?.split(',').map((c) => `${e.table}.${c.trim().replace(/^"|"$/g, '')}`).join(', ');
  }
  return undefined;
}

export interface OpenOptions {
  /** File path, or ':memory:' for tests. Ignored when `url` names a PostgreSQL database. */
  path: string;
  /**
   * SQLite `synchronous`. WAL + NORMAL survives the process being killed (every commit is in the WAL
   * before the 200 goes out); FULL also survives power loss, at the price of an fsync per commit.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** `postgres://…` (IDX_SIM_DATABASE_URL): PostgreSQL instead of the SQLite file. */
  url?: string;
  /** PostgreSQL only: statement timeout and connect timeout. */
  postgres?: PostgresOptions;
  /**
   * SQLite only: an in-memory database that starts as a copy of this one (`serialize()` of a migrated
   * database), instead of migrating an empty one — the test suite opens one per test.
   */
  image?: Buffer;
}

/** A database URL fit for a log line or a banner: without its password. */
export function redactedDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export const isPostgresUrl = (url: string | undefined): url is string => !!url && /^postgres(ql)?:\/\//i.test(url);

/** Opens (creating if needed) and migrates the database. */
export function openDatabase({ path, synchronous = 'NORMAL', url, postgres, image }: OpenOptions): Db {
  if (isPostgresUrl(url)) {
    const db = openPostgres(url, postgres);
    try {
      underSetupLock(db, () => migrate(db));
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  }
  if (path !== ':memory:' && !image) mkdirSync(dirname(path), { recursive: true });
  const db = asDb(new Database(image ?? path));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // 64 MiB of page cache (default 2 MiB): queue, log and index pages stay hot under load.
  db.pragma('cache_size = -65536');
  // Statement and savepoint journals (each group-commit operation runs in a SAVEPOINT) and RETURNING's
  // scratch tables in memory, not in temporary files: up to ≈40% of a submission's SQLite time when many
  // operations share a batch (issue #13, docs/benchmarks.md).
  db.pragma('temp_store = MEMORY');
  migrate(db);
  return db;
}

/** A better-sqlite3 connection as a `Db`: better-sqlite3 itself is the SQLite implementation, no wrapper on the hot path. */
export function asDb(database: Database.Database): Db {
  Object.defineProperty(database, 'dialect', { value: 'sqlite', enumerable: true });
  return database as unknown as Db;
}

/**
 * An INSERT of one row that returns the row's id. Portable SQL would be `INSERT … RETURNING id`, but on
 * SQLite that costs a few microseconds more per row than reading `lastInsertRowid` (measured
 * 2026-11-30): the submission path's inserts keep SQLite's way there, PostgreSQL gets RETURNING.
 */
export function prepareInsert<P extends unknown[]>(db: Db, insertSql: string): (...params: P) => number {
  if (db.dialect === 'sqlite') {
    const stmt = db.prepare<P>(insertSql);
    return (...params) => Number(stmt.run(...params).lastInsertRowid);
  }
  const stmt = db.prepare<P>(`${insertSql} RETURNING id`).pluck();
  return (...params) => stmt.get(...params) as number;
}

/** Advisory lock key for schema migrations and first-start seeding ("idxsim" in ASCII). */
const SETUP_LOCK = 0x696478_73696d;

/**
 * Runs `fn` while holding the setup lock: on PostgreSQL an advisory lock, so two instances starting
 * together do not both migrate or both seed; SQLite needs none (one process owns the file's writes).
 */
export function underSetupLock<T>(db: Db, fn: () => T): T {
  if (db.dialect !== 'postgres') return fn();
  db.prepare('SELECT pg_advisory_lock(?)').get(SETUP_LOCK);
  try {
    return fn();
  } finally {
    db.prepare('SELECT pg_advisory_unlock(?)').get(SETUP_LOCK);
  }
}

/** The schema version: SQLite's user_version; PostgreSQL's schema_version table. */
export function schemaVersion(db: Db): number {
  if (db.dialect === 'sqlite') return db.pragma('user_version', { simple: true }) as number;
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)');
  return (db.prepare('SELECT max(version) FROM schema_version').pluck().get() as number | null) ?? 0;
}

export function migrate(db: Db): void {
  const current = schemaVersion(db);
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      if (db.dialect === 'sqlite') {
        db.exec(MIGRATIONS[version]!);
        db.pragma(`user_version = ${version + 1}`);
      } else {
        db.exec(translateMigration(MIGRATIONS[version]!, version + 1));
        db.prepare('DELETE FROM schema_version').run();
        db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(version + 1);
      }
    })();
  }
}
