/**
 * The database a test hub runs on: in-memory SQLite under `npm test`; under `npm run test:postgres`
 * (vitest.postgres.config.ts) a fresh PostgreSQL database per hub, copied from a migrated template
 * (CREATE DATABASE … TEMPLATE: a file copy, faster than migrating) and dropped when the hub closes.
 */
import { inject } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.js';
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
let created = 0;

/** A fresh, migrated, empty database; its `close()` also drops it on PostgreSQL. */
export function openTestDatabase(): Db {
  const url = postgresUrl();
  if (!url) return openDatabase({ path: ':memory:' });
  admin ??= openPostgres(url);
  const name = `t_${process.pid}_${++created}`;
  admin.exec(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  const db = openDatabase({ path: ':memory:', url: databaseUrl(url, name) });
  const close = db.close.bind(db);
  db.close = () => {
    close();
    admin!.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  return db;
}
