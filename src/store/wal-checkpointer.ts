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
 *
 * A passive checkpoint alone does not keep the WAL short under sustained load: the writer starts the WAL
 * over only when it begins a transaction with every frame already copied back, and by then the commits made
 * while the worker was copying are still in the WAL. So it grew to the fallback threshold and that COMMIT
 * checkpointed on the event loop (11–25 ms every 1.5–3 s in the bench, the p99 of small submissions;
 * docs/benchmarks.md). When the worker reports that it has caught up, the main connection copies the few
 * frames committed since (between two of its own transactions, when nothing can add more) and its next
 * write starts the WAL over.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './database.js';

/** The main connection's own threshold (pages) when a worker checkpoints: about 40 MB of WAL. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * From this many frames in the WAL (≈ 16 MB; one wal-index hash table holds 4,096), the worker catches up
 * and the main connection finishes the checkpoint, so the WAL starts over. Each finish copies what was
 * committed since the worker's last pass (p50 2.5 ms under the bench at load 5), so fewer is cheaper;
 * the fallback it replaces copied 11–25 ms' worth at 10,000.
 */
export const RESTART_AFTER_FRAMES = 4_000;

/** Plain CommonJS, run with `eval`: no loader is needed whether idx-sim runs from dist/ or from sources (tests). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)')[0];
// When the main connection will finish this checkpoint (src/store/wal-checkpointer.ts), what it copies is
// what was committed since the last pass: a few more passes while they keep finding new frames make that
// a few batches' worth instead of one interval's.
const catchUp = () => {
  let result = checkpoint();
  for (let pass = 0; pass < 3 && result.log >= workerData.restartAfterFrames && result.busy === 0 && result.checkpointed === result.log; pass++) {
    const next = checkpoint();
    if (next.log === result.log) break;
    result = next;
  }
  return result;
};
const timer = setInterval(() => {
  let result;
  try { result = catchUp(); } catch { return; /* busy or closing: the next tick tries again */ }
  parentPort.postMessage({ kind: 'tick', result });
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'checkpoint') {
    try { parentPort.postMessage({ kind: 'reply', ok: true, result: checkpoint() }); } catch (err) { parentPort.postMessage({ kind: 'reply', ok: false, message: String(err) }); }
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
  /** How many times the main connection finished a checkpoint the worker had caught up with (so the WAL could start over). */
  readonly finished: number;
  /** Stops the worker (and closes its connection); resolves once it has exited. */
  close(): Promise<void>;
}

type WorkerMessage = { kind: 'tick'; result: CheckpointResult }
  | { kind: 'reply'; ok: true; result: CheckpointResult } | { kind: 'reply'; ok: false; message: string };

/** Starts checkpointing `path` (a WAL database already open on `db`) from a worker thread. */
export function startWalCheckpointer(db: Db, path: string, intervalMs = 200, restartAfterFrames = RESTART_AFTER_FRAMES): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path, intervalMs, restartAfterFrames } });
  let finished = 0;
  let finishing = false;
  /**
   * The rest of a checkpoint, on the main connection: only between transactions (inside one, the frames
   * it is about to commit would not be copied, and the WAL could not start over). Group commit leaves a
   * batch open for one turn of the event loop, so this waits for the turn after its COMMIT.
   */
  const finish = (turns: number) => {
    if (!db.open) {
      finishing = false;
    } else if (db.inTransaction) {
      if (turns < 100) setImmediate(finish, turns + 1);
      else finishing = false;
    } else {
      finishing = false;
      try {
        const [result] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
        if (result && result.busy === 0 && result.checkpointed === result.log) finished++;
      } catch {
        // busy or closing: the worker's next report tries again
      }
    }
  };
  const caughtUp = (result: CheckpointResult) => {
    if (finishing || result.busy !== 0 || result.log < restartAfterFrames || result.checkpointed !== result.log) return;
    finishing = true;
    setImmediate(finish, 0);
  };
  const replies: Array<(m: Extract<WorkerMessage, { kind: 'reply' }>) => void> = [];
  worker.on('message', (m: WorkerMessage) => {
    if (m.kind === 'reply') replies.shift()?.(m);
    if ('result' in m) caughtUp(m.result);
  });
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
        replies.push((m) => (m.ok ? resolve(m.result) : reject(new Error(m.message))));
        worker.postMessage('checkpoint');
      });
    },
    get finished() {
      return finished;
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
