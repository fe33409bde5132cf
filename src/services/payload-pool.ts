/**
 * A small pool of worker threads for large submissions (issue #13): inflating, parsing and checking a
 * 10 MB payload takes well over 100 ms, which on the event loop every other participant would wait for.
 * Bodies of at least IDX_SIM_PAYLOAD_WORKER_MIN_BYTES (gzip bytes as received) are checked here instead,
 * by at most IDX_SIM_PAYLOAD_WORKERS threads; more wait in a queue. Workers start on first use (a
 * server that never sees a large body never starts one) and stop with the server.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PayloadFacts, RefusalData } from './payload-check.js';

export interface PayloadTask {
  id: number;
  gzip: Uint8Array;
  maxOutputLength: number;
  messageContextId: string;
  allowGaps: boolean;
  /** Send the inflated JSON back (only a signature without signed attributes needs its bytes; everything else uses its size and digest). */
  returnJson: boolean;
}

/** A worker's answer: the inflation failed, or the JSON with its digests and the outcome of `checkPayload`. */
export type WorkerAnswer =
  | { id: number; inflateError: { code: string | undefined; message: string } }
  | {
    id: number;
    json: Uint8Array | undefined;
    jsonLength: number;
    digests: { json: Uint8Array; gzip: Uint8Array };
    outcome: { ok: true; facts: PayloadFacts } | { ok: false; refusal: RefusalData } | { ok: false; failure: string };
  };

export type PoolAnswer =
  | { inflateError: { code: string | undefined; message: string } }
  | {
    /** The inflated JSON when asked for (`returnJson`). */
    json: Buffer | undefined;
    jsonLength: number;
    digests: { json: Buffer; gzip: Buffer };
    outcome: { ok: true; facts: PayloadFacts } | { ok: false; refusal: RefusalData } | { ok: false; failure: string };
  };

interface Pending {
  task: PayloadTask;
  resolve: (answer: PoolAnswer) => void;
  reject: (err: unknown) => void;
}

interface Slot {
  worker: Worker;
  current: Pending | undefined;
}

/**
 * Workers run the compiled file under dist/; from the TypeScript sources (tests, `tsx` runs) a small
 * bootstrap registers tsx's loader in the worker first.
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./payload-worker.js', import.meta.url), { workerData });
  // The package's ESM entry (its "import" export): require.resolve names the CommonJS one.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const source = new URL('./payload-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`, { eval: true, workerData });
}

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export class PayloadPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;

  /** `payloadDocument`: pqd.yaml as the hub bundled it (workers compile its payload schema without bundling every document again). */
  constructor(private readonly options: { size: number; contractDir: string; payloadDocument: unknown }) {
    if (options.size < 1) throw new Error('a payload pool needs at least one worker');
  }

  /** Inflates and checks a gzip body in a worker. Rejects only when the worker itself failed (a bug, not bad input). */
  check(input: Omit<PayloadTask, 'id'>): Promise<PoolAnswer> {
    return new Promise<PoolAnswer>((resolve, reject) => {
      this.queue.push({ task: { ...input, id: this.nextId++ }, resolve, reject });
      this.dispatch();
    });
  }

  /** Workers started and not yet stopped. */
  get started(): number {
    return this.slots.length;
  }

  /** Stops every worker; what is still queued or running is refused with an error. A later `check` starts workers again. */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    for (const p of this.queue.splice(0)) p.reject(new Error('the payload pool was closed'));
    await Promise.all(slots.map(async (slot) => {
      slot.current?.reject(new Error('the payload pool was closed'));
      slot.current = undefined;
      await slot.worker.terminate();
    }));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.current === undefined);
      if (!slot) {
        if (this.slots.length >= this.options.size) return;
        slot = this.spawn();
      }
      const pending = this.queue.shift()!;
      slot.current = pending;
      slot.worker.postMessage(pending.task);
    }
  }

  private spawn(): Slot {
    const worker = startWorker({ contractDir: this.options.contractDir, payloadDocument: this.options.payloadDocument });
    // Never what keeps a process alive: a request waiting on it does that.
    worker.unref();
    const slot: Slot = { worker, current: undefined };
    this.slots.push(slot);
    worker.on('message', (a: WorkerAnswer) => {
      const pending = slot.current;
      slot.current = undefined;
      if (pending && pending.task.id === a.id) {
        pending.resolve('inflateError' in a ? { inflateError: a.inflateError }
          : { json: a.json && asBuffer(a.json), jsonLength: a.jsonLength, digests: { json: asBuffer(a.digests.json), gzip: asBuffer(a.digests.gzip) }, outcome: a.outcome });
      }
      this.dispatch();
    });
    const lost = (err: unknown) => {
      const at = this.slots.indexOf(slot);
      if (at < 0) return; // closed on purpose
      this.slots.splice(at, 1);
      slot.current?.reject(err);
      slot.current = undefined;
      this.dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`a payload worker exited (code ${code})`)));
    return slot;
  }
}
