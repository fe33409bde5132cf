/** Group commit: one transaction per event-loop turn, committed before anyone is answered. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db } from '../../src/store/database.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { openObservableDatabase } from '../helpers/database.js';

let dir: string;
let db: Db;
let observer: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-group-commit-'));
  // A second connection, as another process would see the database.
  ({ db, observer } = openObservableDatabase(dir));
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
});
afterEach(() => {
  observer.close();
  db.exec('DROP TABLE t');
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const visible = () => (observer.prepare('SELECT k FROM t ORDER BY k').all() as Array<{ k: string }>).map((r) => r.k);

describe('GroupCommit', () => {
  it('commits the writes of one turn together, and resolves only once they are durable', async () => {
    const commits = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    const done = ['a', 'b', 'c'].map((k) => commits.run(() => insert.run(k)));
    // Written, not yet committed: nobody outside this connection sees them, and nobody has been answered.
    expect(visible()).toEqual([]);
    let answered = 0;
    done.forEach((p) => p.then(() => answered++));
    await Promise.resolve();
    expect(answered).toBe(0);
    await Promise.all(done);
    expect(visible()).toEqual(['a', 'b', 'c']);
    expect(db.inTransaction).toBe(false);
  });

  it('rolls back only the write that failed; the rest of the batch commits', async () => {
    const commits = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    const results = await Promise.allSettled([
      commits.run(() => insert.run('a')),
      commits.run(() => { insert.run('b'); insert.run('a'); }), // 'b' then a duplicate: both undone
      commits.run(() => insert.run('c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(['SQLITE_CONSTRAINT_PRIMARYKEY', '23505']).toContain((results[1] as PromiseRejectedResult).reason.code);
    expect(visible()).toEqual(['a', 'c']);
  });

  it('starts a new batch on the next turn', async () => {
    const commits = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    await commits.run(() => insert.run('a'));
    expect(visible()).toEqual(['a']);
    await commits.run(() => insert.run('b'));
    expect(visible()).toEqual(['a', 'b']);
  });

  it('joins a transaction the caller already opened instead of nesting a batch', async () => {
    const commits = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    db.exec('BEGIN');
    await commits.run(() => insert.run('a'));
    expect(visible()).toEqual([]);
    db.exec('COMMIT');
    expect(visible()).toEqual(['a']);
  });
});
