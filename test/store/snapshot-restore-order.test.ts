/**
 * A snapshot restore copies every table back in one transaction (issue #10; on PostgreSQL issue #14). Rows
 * that reference others must find them there, whatever the tables are called: SQLite defers its foreign-key
 * checks to the commit; PostgreSQL checks each row as it is inserted, so its restore copies referenced tables
 * first. Here the referencing table's name sorts before the referenced one's, which an alphabetical copy
 * gets wrong.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Db } from '../../src/store/database.js';
import { PgSimStateStore } from '../../src/store/postgres/sim-state-store.js';
import { SimStateStore, type SimStateStorage } from '../../src/store/sim-state-store.js';
import { openTestDatabase } from '../helpers/database.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

function storeOn(db: Db): SimStateStorage {
  if (db.dialect === 'postgres') return new PgSimStateStore(db);
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-snapshot-order-'));
  cleanup = () => rmSync(dir, { recursive: true, force: true });
  return new SimStateStore(db, dir);
}

it('restores a table whose rows reference a table named after it', () => {
  const db = openTestDatabase();
  const store = storeOn(db);
  const previous = cleanup;
  cleanup = () => {
    db.exec('DROP TABLE aa_child; DROP TABLE zz_middle; DROP TABLE mm_parent');
    db.close();
    previous();
  };
  // Three levels named so that neither the alphabetical order nor its reverse is right: aa_child → zz_middle → mm_parent.
  db.exec(`CREATE TABLE mm_parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE zz_middle (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES mm_parent (id));
    CREATE TABLE aa_child (id INTEGER PRIMARY KEY, middle_id INTEGER NOT NULL REFERENCES zz_middle (id))`);
  db.exec(`INSERT INTO mm_parent (id, name) VALUES (1, 'p'); INSERT INTO zz_middle (id, parent_id) VALUES (2, 1);
    INSERT INTO aa_child (id, middle_id) VALUES (3, 2)`);
  store.save({ name: 'order', createdAt: 0, clock: { now: 0, frozen: true } });
  db.exec('DELETE FROM aa_child; DELETE FROM zz_middle; DELETE FROM mm_parent');

  store.restore('order');

  expect(db.prepare('SELECT c.id AS "child", m.id AS "middle", p.name FROM aa_child c JOIN zz_middle m ON m.id = c.middle_id JOIN mm_parent p ON p.id = m.parent_id').all())
    .toEqual([{ child: 3, middle: 2, name: 'p' }]);
});
