/** The SQLite settings the durability promises of docs/reliability.md rest on. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { testBackend } from '../helpers/database.js';

describe.skipIf(testBackend() === 'postgres')('openDatabase (SQLite only: journal mode and synchronous are PRAGMAs)', () => {
  it.each([
    ['NORMAL', 1],
    ['FULL', 2],
  ] as const)('opens in WAL mode with synchronous = %s', (synchronous, level) => {
    const dir = mkdtempSync(join(tmpdir(), 'idx-sim-db-'));
    try {
      const db = openDatabase({ path: join(dir, 'idx-sim.db'), synchronous });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(level);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
