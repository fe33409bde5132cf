/**
 * WAL checkpoints off the event loop. By default SQLite checkpoints inside the COMMIT that pushes the WAL
 * past 1,000 pages: that commit then copies every page back into the database file and fsyncs it, on
 * the one thread that answers every participant (issue #13: most of the slow commits under load). Here a
 * worker thread with its own connection runs `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs`; a
 * passive checkpoint never blocks the writer, and the writer restarts the WAL from its beginning once a
 * checkpoint has caught up. The main connection keeps a high automatic threshold as a safety net, so
 * the WAL stays bounded even if the worker cannot keep up or has died.
 *
 * Durability is unchanged: a commit is durable once it is in the WAL (src/store/database.ts), whoever
 * checkpoints it later.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './database.js';

/** The main connection's own threshold (pages) when a worker checkpoints: about 40 MB of WAL. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

/** Plain CommonJS, run with `eval`: no loader is needed whether idx-sim runs from dist/ or from sources (tests). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)')[0];
const timer = setInterval(() => {
  try { checkpoint(); } catch { /* busy or closing: the next tick tries again */ }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'checkpoint') {
    try { parentPort.postMessage({ ok: true, result: checkpoint() }); } catch (err) { parentPort.postMessage({ ok: false, message: String(err) }); }
    return;
  }
  if (m !== 'close') return;
  clearInterval(timer);
  try { db.close(); } finally { parentPort.close(); }
});
`;

/** What `PRAGMA wal_checkpoint` reports: frames in the WAL, and how many of them are now in the database file. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface WalCheckpointer {
  /** Runs one passive checkpoint in the worker now (without waiting for its timer). */
  checkpointNow(): Promise<CheckpointResult>;
  /** Stops the worker (and closes its connection); resolves once it has exited. */
  close(): Promise<void>;
}

/** Starts checkpointing `path` (a WAL database already open on `db`) from a worker thread. */
export function startWalCheckpointer(db: Db, path: string, intervalMs = 200): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path, intervalMs } });
  // Never keeps the process alive, and a failure only brings back SQLite's own checkpointing.
  worker.unref();
  db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once('exit', () => {
    exited = true;
    resolve();
  }));
  worker.on('error', () => {
    if (db.open) db.pragma('wal_autocheckpoint = 1000');
  });
  return {
    checkpointNow() {
      if (exited) return Promise.reject(new Error('the WAL checkpointer has stopped'));
      return new Promise<CheckpointResult>((resolve, reject) => {
        worker.once('message', (m: { ok: true; result: CheckpointResult } | { ok: false; message: string }) =>
          (m.ok ? resolve(m.result) : reject(new Error(m.message))));
        worker.postMessage('checkpoint');
      });
    },
    async close() {
      // Held while it closes: an unref'd worker would let the process exit before 'exit' fires, and whatever
      // awaits close() (the scenario CLI writing its results) would never run.
      if (!exited) {
        worker.ref();
        worker.postMessage('close');
      }
      await exit;
    },
  };
}
