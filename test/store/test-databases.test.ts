/**
 * The test helper's PostgreSQL databases (test/helpers/database.ts): a database a test changed the tables of
 * is not handed to the next hub. One that lost sim_journal (test/store/journal-store drops it) made a later
 * hub of the same worker answer 500 at random, depending on which file ran before it.
 */
import { describe, expect, it } from 'vitest';
import { openTestDatabase, testBackend } from '../helpers/database.js';

const tables = (db: ReturnType<typeof openTestDatabase>) =>
  db.prepare("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").pluck().all() as string[];

describe.skipIf(testBackend() !== 'postgres')('test databases on PostgreSQL (npm run test:postgres only)', () => {
  it('a database whose tables a test dropped or added comes back as the template made it', () => {
    const first = openTestDatabase();
    const template = tables(first);
    expect(template).toContain('sim_journal');
    first.exec('DROP TABLE sim_journal');
    first.exec('CREATE TABLE stray (n INTEGER)');
    first.close();
    const next = openTestDatabase();
    try {
      expect(tables(next)).toEqual(template);
    } finally {
      next.close();
    }
  });
});
