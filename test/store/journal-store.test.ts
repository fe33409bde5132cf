/**
 * The request journal's rows appended outside a transaction wait for the end of the turn and are written
 * together (issue #13: one commit for them all, or none of their own inside an open batch) — and nothing
 * that reads the journal, or replaces the database's content, can tell.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/database.js';
import { JournalStore, type JournalEntry } from '../../src/store/journal-store.js';
import { openTestDatabase } from '../helpers/database.js';

const entry = (traceId: string): JournalEntry => ({
  at: 1000, participantId: 'MDPONE', method: 'GET', path: '/pqd/v1/bpqd', query: null, operationId: 'listBpqd', status: 200, code: null,
  traceId, messageContextId: null, durationMs: 1, faultRuleId: null, request: null, response: { bytes: 2, encoding: 'utf8', body: '{}' },
});

let db: Db;
afterEach(() => db?.close());

/** A journal whose end-of-turn writes run when the test says. */
function journal() {
  db = openTestDatabase();
  const due: Array<() => void> = [];
  const store = new JournalStore(db, { maxEntries: 1000, retentionDays: 10 }, (flush) => due.push(flush));
  const stored = () => db.prepare('SELECT trace_id AS traceId FROM sim_journal ORDER BY id').all() as Array<{ traceId: string }>;
  return { store, due, stored, endOfTurn: () => { for (const flush of due.splice(0)) flush(); } };
}

describe('JournalStore', () => {
  it('writes rows appended outside a transaction at the end of the turn, in order, in one transaction (on PostgreSQL each on its own, without the hub write lock)', () => {
    const j = journal();
    j.store.append(entry('a'));
    j.store.append(entry('b'));
    expect(j.stored()).toEqual([]);
    expect(j.due).toHaveLength(1);
    let commits = 0;
    const begin = db.transaction;
    db.transaction = ((fn: () => unknown) => { commits++; return begin.call(db, fn); }) as Db['transaction'];
    j.endOfTurn();
    db.transaction = begin;
    expect(j.stored()).toEqual([{ traceId: 'a' }, { traceId: 'b' }]);
    // A PostgreSQL transaction takes the hub's write lock, which another instance may hold for a batch that
    // commits on a later turn (JournalStore.flush): there the rows are written without one.
    expect(commits).toBe(db.dialect === 'postgres' ? 0 : 1);
  });

  it('joins a transaction open at the end of the turn (a group-commit batch), and one open when appending, keeping the order', () => {
    const j = journal();
    j.store.append(entry('a'));
    db.exec('BEGIN');
    j.store.append(entry('b'));
    // The waiting row went in first, then this one, both inside the open transaction.
    expect(j.stored()).toEqual([{ traceId: 'a' }, { traceId: 'b' }]);
    db.exec('ROLLBACK');
    j.store.append(entry('c'));
    db.exec('BEGIN');
    j.endOfTurn();
    db.exec('COMMIT');
    expect(j.stored()).toEqual([{ traceId: 'c' }]);
  });

  it('a row that fails inside an open transaction (a group-commit batch) fails alone: the transaction commits the rest', () => {
    // On PostgreSQL a failed statement aborts the whole transaction, so a bad journal row failed every write of
    // the batch it joined at COMMIT (a 500 for each of them). A NULL method breaks the NOT NULL constraint on
    // both backends.
    const j = journal();
    db.exec('CREATE TABLE probe (n INTEGER NOT NULL)');
    const probe = db.prepare<[number]>('INSERT INTO probe (n) VALUES (?)');
    const failures: string[] = [];
    db.exec('BEGIN');
    probe.run(1);
    j.store.append({ ...entry('bad'), method: null as unknown as string }, (err) => failures.push((err as Error).message));
    j.store.append(entry('good'));
    probe.run(2);
    expect(() => db.exec('COMMIT')).not.toThrow();
    expect(failures).toEqual([expect.stringMatching(/null|NOT NULL/i)]);
    expect(db.prepare('SELECT n FROM probe ORDER BY n').all()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(j.stored()).toEqual([{ traceId: 'good' }]);
  });

  it('shows waiting rows to every read of the journal, and clears them with the rest', () => {
    const j = journal();
    j.store.append(entry('a'));
    expect(j.store.page({}, 0, 10).map((e) => e.traceId)).toEqual(['a']);
    j.store.append(entry('b'));
    expect(j.store.latest({}, 0, 10).map((e) => e.traceId)).toEqual(['b', 'a']);
    j.store.append(entry('c'));
    expect(j.store.clear()).toBe(3);
    j.endOfTurn();
    expect(j.stored()).toEqual([]);
  });

  it('tells each waiting row’s caller when its row could not be written, and never throws at the end of the turn', () => {
    const j = journal();
    const failures: string[] = [];
    j.store.append(entry('a'), (err) => failures.push(`a: ${(err as Error).message}`));
    j.store.append(entry('b'), (err) => failures.push(`b: ${(err as Error).message}`));
    db.exec('DROP TABLE sim_journal');
    expect(() => j.endOfTurn()).not.toThrow();
    expect(failures).toEqual([expect.stringMatching(/^a: .*sim_journal/), expect.stringMatching(/^b: .*sim_journal/)]);
  });

  it('drops waiting rows quietly when the database was closed before the end of the turn', () => {
    const j = journal();
    let failed = false;
    j.store.append(entry('a'), () => { failed = true; });
    db.close();
    expect(() => j.endOfTurn()).not.toThrow();
    expect(failed).toBe(false);
  });
});
