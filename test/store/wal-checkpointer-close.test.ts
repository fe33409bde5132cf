/**
 * Closing the WAL checkpointer keeps the process alive until its worker has exited. The worker is unref'd (it
 * must never keep a running hub's process alive), so a close() awaited with nothing else pending — the last
 * step of `idx-sim scenario run`, which then writes results.json and junit.xml — used to let Node exit with
 * code 0 in the middle, before anything was written. Needs a process of its own: inside vitest the test
 * runner itself keeps the event loop alive.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { testBackend } from '../helpers/database.js';

it.skipIf(testBackend() === 'postgres')('close() resolves before the process may exit, so what follows it runs (SQLite only: the WAL checkpointer)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-wal-close-'));
  try {
    const script = `
      const { openDatabase } = await import(${JSON.stringify(join(PROJECT_ROOT, 'src/store/database.ts'))});
      const { startWalCheckpointer } = await import(${JSON.stringify(join(PROJECT_ROOT, 'src/store/wal-checkpointer.ts'))});
      const path = ${JSON.stringify(join(dir, 'x.db'))};
      const db = openDatabase({ path });
      const checkpointer = startWalCheckpointer(db, path, 60_000);
      await checkpointer.close();
      db.close();
      console.log('after close');`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT });
    expect(stdout.trim()).toBe('after close');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
