/**
 * The database a test hub runs on: in-memory SQLite under `npm test`; under `npm run test:postgres`
 * (vitest.postgres.config.ts) a fresh PostgreSQL database per hub, copied from a migrated template
 * (CREATE DATABASE … TEMPLATE: a file copy, faster than migrating) and dropped when the hub closes.
 */
import Database from 'better-sqlite3';
import { inject } from 'vitest';
import { asDb, openDatabase, type Db } from '../../src/store/database.js';
import { openPostgres } from '../../src/store/postgres/pg-db.js';

export const TEMPLATE_DATABASE = 'idx_sim_template';

/** The cluster's URL when this run is on PostgreSQL. */
export const postgresUrl = (): string | undefined => inject('postgresUrl');

export const testBackend = (): 'sqlite' | 'postgres' => (postgresUrl() ? 'postgres' : 'sqlite');

export function databaseUrl(clusterUrl: string, database: string): string {
  const url = new URL(clusterUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

let admin: Db | undefined;
/**
 * This test process's databases not in use. A closed hub's database is kept and emptied when the next hub
 * takes it (a TRUNCATE, where a new database costs a CREATE DATABASE).
 */
const free: string[] = [];
let created = 0;
const urls = new WeakMap<Db, string>();

/** An empty in-memory SQLite database, migrated once per test process: each hub's database starts as a copy. */
let sqliteImage: Buffer | undefined;
function migratedImage(): Buffer {
  const db = openDatabase({ path: ':memory:' });
  try {
    return (db as unknown as Database.Database).serialize();
  } finally {
    db.close();
  }
}

/** The public tables of a database as the template makes it, read from the first one this process creates. */
let templateTables: string | undefined;
const tablesOf = (db: Db): string[] => db.prepare("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").pluck().all() as string[];

/** A fresh, migrated, empty database; on PostgreSQL its `close()` hands it back for a later test. */
export function openTestDatabase(): Db {
  const url = postgresUrl();
  if (!url) return openDatabase({ path: ':memory:', image: (sqliteImage ??= migratedImage()) });
  admin ??= openPostgres(url);
  const taken = free.pop();
  let name = taken ?? '';
  let reused = taken !== undefined;
  let db = reused ? openDatabase({ path: ':memory:', url: databaseUrl(url, name) }) : undefined;
  const tables = db ? tablesOf(db) : [];
  // A test that dropped or added a table (test/store/journal-store drops sim_journal) leaves a database that is
  // no longer the template's: the next hub to take it failed at random, depending on which file ran before it
  // in the same worker (a 500 for every write that met the missing table). Such a database is dropped instead.
  if (db && tables.join() !== templateTables) {
    db.close();
    admin.exec(`DROP DATABASE ${name} WITH (FORCE)`);
    db = undefined;
    reused = false;
  }
  if (!db) {
    name = `t_${process.pid}_${++created}`;
    admin.exec(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE} STRATEGY FILE_COPY`);
    db = openDatabase({ path: ':memory:', url: databaseUrl(url, name) });
    templateTables ??= tablesOf(db).join();
  }
  if (reused) {
    db.exec(`TRUNCATE ${tables.filter((t) => t !== 'schema_version').map((t) => `"${t}"`).join(', ')} RESTART IDENTITY`);
    for (const schema of db.prepare("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'idx_sim_snapshot:')").pluck().all() as string[]) {
      db.exec(`DROP SCHEMA "${schema}" CASCADE`);
    }
  }
  urls.set(db, databaseUrl(url, name));
  const close = db.close.bind(db);
  let closed = false;
  db.close = () => {
    close();
    if (!closed) free.push(name);
    closed = true;
  };
  return db;
}

/**
 * A second connection to a test database, as another process sees it (what is committed): a read-only
 * connection to the SQLite file (`file`: the path `db` was opened on), or another PostgreSQL session.
 */
export function openObserver(db: Db, file?: string): Db {
  if (db.dialect === 'sqlite') {
    if (!file) throw new Error('an observer of a SQLite database needs its file');
    return asDb(new Database(file, { readonly: true }));
  }
  const url = urls.get(db);
  if (!url) throw new Error('not a test database');
  return openPostgres(url);
}

/** A test database that a second connection can observe: a SQLite file in `dir`, or a PostgreSQL test database. */
export function openObservableDatabase(dir: string): { db: Db; observer: Db } {
  const file = `${dir}/x.db`;
  const db = testBackend() === 'postgres' ? openTestDatabase() : openDatabase({ path: file });
  return { db, observer: openObserver(db, file) };
}

/** The URL of a PostgreSQL test database (what another instance, or its hub bus, connects to); undefined on SQLite. */
export function testDatabaseUrl(db: Db): string | undefined {
  return urls.get(db);
}
