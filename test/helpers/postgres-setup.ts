/**
 * Global setup of `npm run test:postgres` (vitest.postgres.config.ts, issue #14): one throwaway PostgreSQL
 * cluster for the whole run (scripts/postgres-cluster.mjs), a template database migrated once, the dev PKI
 * as for `npm test`. Each test hub then gets its own database copied from the template
 * (test/helpers/database.ts), dropped when it closes.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/store/database.js';
// @ts-expect-error plain JavaScript module without types
import { startPostgresCluster } from '../../scripts/postgres-cluster.mjs';
import { generatedPki } from './global-setup.js';
import { TEMPLATE_DATABASE, databaseUrl } from './database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const pki = mkdtempSync(join(tmpdir(), 'idx-sim-test-pki-'));
  cpSync(generatedPki(), pki, { recursive: true });
  project.provide('pkiDir', pki);
  const coverageDir = mkdtempSync(join(tmpdir(), 'idx-sim-contract-coverage-'));
  project.provide('contractCoverageDir', coverageDir);
  const cluster = (await startPostgresCluster()) as { url: string; stop(): Promise<void> };
  try {
    const admin = openDatabase({ path: ':memory:', url: cluster.url });
    admin.exec(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
    admin.close();
    openDatabase({ path: ':memory:', url: databaseUrl(cluster.url, TEMPLATE_DATABASE) }).close();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  project.provide('postgresUrl', cluster.url);
  return async () => {
    await cluster.stop();
    rmSync(pki, { recursive: true, force: true });
    rmSync(coverageDir, { recursive: true, force: true });
  };
}
