/**
 * A short fuzz run on PostgreSQL (`npm run test:postgres` only; `npm test` runs the fuzz on SQLite, in
 * test/robustness/fuzz.test.ts). The backends fail differently: a statement that fails on PostgreSQL aborts
 * its whole transaction, and PostgreSQL's text cannot hold NUL. Whatever the fuzz sends, no answer may be a
 * 5xx here either. (Its first runs found test databases handed on without sim_journal: test/helpers/database.ts.)
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Fuzzer } from '../../bench/fuzz.js';
import { openTestDatabase, testBackend, testDatabaseUrl } from '../helpers/database.js';
import { useE2eServer } from '../helpers/e2e.js';
import { expectCleanFuzzRun } from '../helpers/fuzz-report.js';

const postgres = testBackend() === 'postgres';
// A test database of this process, kept open (and so not handed to another hub) until the file ends.
const db = postgres ? openTestDatabase() : undefined;

describe.skipIf(!postgres)('the fuzz run on PostgreSQL (npm run test:postgres only)', () => {
  const e2e = useE2eServer('fuzz-postgres', { profile: 'ci', ...(db ? { databaseUrl: testDatabaseUrl(db) } : {}) });
  afterAll(() => db?.close());
  it('no 5xx, no hang, no crash, every refusal problem+json, all within the contract', async () => {
    expect(e2e.server.ctx.db.dialect).toBe('postgres');
    const report = await new Fuzzer(e2e.server, {
      seed: process.env.FUZZ_SEED ?? 'postgres', requests: 800, maxSeconds: 240, concurrency: 8, rawEvery: 20, hangMs: 10_000,
      certsDir: join(e2e.dir, 'certs'),
    }).run();
    expectCleanFuzzRun(report, { maxSeconds: 240, minRequests: 750 });
  }, 300_000);
});
