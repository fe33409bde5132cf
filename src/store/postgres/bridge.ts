/**
 * A synchronous bridge to one PostgreSQL session (issue #14). The stores are synchronous and rely on a
 * transaction being atomic with respect to the event loop (check-then-insert, the group commit), so the
 * main thread does not await PostgreSQL: a worker thread owns one node-postgres client (one session, so
 * BEGIN … COMMIT behave as on the single SQLite connection); the main thread posts a request on a
 * MessagePort and blocks in `Atomics.wait` until the worker has posted the answer and bumped a shared
 * counter, then takes the answer with `receiveMessageOnPort`. This is the pattern of `synckit`, written
 * out here (about 100 lines) because we need what synckit does not offer: a long-lived stateful worker
 * (one session), request ids so an answer that arrives after a timeout is discarded, and typed errors.
 *
 * Failures: a refused connect, a lost connection, a statement that outlives `statement_timeout`, or a
 * worker that does not answer within the wait timeout become `DatabaseUnavailableError`; the worker
 * drops the broken client and connects again on the next request.
 *
 * A database that hangs (neither answers nor refuses: stopped, or a network path that drops packets)
 * would make every statement wait the full timeout, one after the other, with the event loop blocked
 * for every request. So a wait that runs out (or a connect that times out) opens a circuit breaker: the
 * session is abandoned (its transaction can never commit), and every statement is refused at once with
 * `DatabaseUnavailableError` — a 503 with Retry-After — while one probe at a time, at most one per
 * `probeIntervalMs`, asks the worker, without waiting for it, whether the database answers again. The
 * first statement after a probe that got an answer runs as usual.
 */
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { DatabaseConflictError, DatabaseUnavailableError } from '../database-errors.js';

export interface BridgeOptions {
  /** PostgreSQL `statement_timeout` (ms). */
  statementTimeoutMs: number;
  /** How long a connect may take (ms). */
  connectTimeoutMs: number;
  /** While the breaker is open (the database did not answer in time): at most one probe per this many ms. */
  probeIntervalMs: number;
}

export interface QueryRequest {
  op: 'query';
  text: string;
  /** Named prepared statement (repeated statements skip parsing); undefined: unnamed. */
  name?: string;
  values: unknown[];
}
export interface ExecRequest { op: 'exec'; text: string }

export interface QueryAnswer {
  fields: string[];
  rows: unknown[][];
  changes: number;
}

/** Plain CommonJS, run with `eval`: no loader is needed whether idx-sim runs from dist/ or from sources (tests). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const pg = require(workerData.driver);
const { port, state, url, statementTimeoutMs, connectTimeoutMs } = workerData;
// As better-sqlite3 returns them: 64-bit integers and numerics as numbers, booleans as 1/0, bytea as Buffer.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));
pg.types.setTypeParser(16, (v) => (v === 't' ? 1 : 0));
const UNAVAILABLE_STATES = /^(08|57P0[123]|53300)/;
let client;
let txStatus = 'I';
// The connection was lost inside a transaction: its writes are gone with the session. Until the caller
// ends that transaction (ROLLBACK) or starts another (BEGIN), every statement fails, so that neither a
// COMMIT on the next session (which PostgreSQL would answer with a mere warning) nor a write meant for
// the lost transaction (which would commit on its own) can pass for the lost transaction's.
let lostTransaction = false;
// ReadyForQuery messages seen, and who waits for the next: pg rejects a failed query on its ErrorResponse,
// which may be handled before the ReadyForQuery that follows it (status E: the transaction is aborted);
// the answer must carry that status, or a COMMIT could not be refused (PgDb.refuseAbortedCommit).
let readyCount = 0;
let onReady;
function nextReadyForQuery(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { onReady = undefined; resolve(); }, ms);
    onReady = () => { clearTimeout(timer); resolve(); };
  });
}
const ENDS_LOST = /^\\s*ROLLBACK\\s*;?\\s*$/i;
const STARTS_NEW = /^\\s*(BEGIN|START\\s+TRANSACTION)\\b/i;
async function connect() {
  const c = new pg.Client({ connectionString: url, statement_timeout: statementTimeoutMs, connectionTimeoutMillis: connectTimeoutMs,
    application_name: 'idx-sim' });
  c.on('error', () => {
    if (client !== c) return;
    if (txStatus !== 'I') lostTransaction = true;
    client = undefined;
    txStatus = 'I';
  });
  c.connection.on('readyForQuery', (m) => {
    txStatus = m.status;
    readyCount++;
    const wake = onReady;
    onReady = undefined;
    wake?.();
  });
  try {
    await c.connect();
  } catch (err) {
    c.end().catch(() => {});
    // Not answering (refused, timed out, starting up) may pass; a refused password or an unknown database will not.
    if (!err.severity || (err.code && UNAVAILABLE_STATES.test(err.code))) err.unavailable = 'connect';
    // Connected, and then not a word within the timeout: the database hangs (the breaker opens), it did not refuse.
    if (/timeout/i.test(err.message ?? '')) err.hung = true;
    throw err;
  }
  txStatus = 'I';
  client = c;
  return c;
}
function describe(err) {
  // A server error carries a severity; network failures ("Connection terminated", ECONNRESET) do not.
  const unavailable = err.unavailable ?? (err.code === '57014' ? 'timeout'
    : (err.code && UNAVAILABLE_STATES.test(err.code)) || !err.severity ? 'connection-lost' : undefined);
  return { message: err.message, code: err.code, detail: err.detail, table: err.table, constraint: err.constraint, unavailable, hung: err.hung === true };
}
// The main thread gave up waiting (the breaker opened): drop the session at once, so that the statement it
// waits for fails now and its transaction can never commit; the queue behind it moves on.
function abandon() {
  if (!client) return;
  const c = client;
  if (txStatus !== 'I') lostTransaction = true;
  client = undefined;
  txStatus = 'I';
  c.connection.stream.destroy();
  c.end().catch(() => {});
}
// Whether the database answers again (breaker open): a session (a fresh one after \`abandon\`) and SELECT 1,
// each bounded. A transaction lost with the abandoned session stays lost until the caller ends it.
async function probe() {
  const c = client ?? await connect();
  try {
    await c.query({ text: 'SELECT 1', query_timeout: statementTimeoutMs });
  } catch (err) {
    if (client === c) client = undefined;
    c.end().catch(() => {});
    throw err;
  }
}
async function handle(req) {
  if (req.op === 'close') { if (client) await client.end().catch(() => {}); client = undefined; return {}; }
  if (req.op === 'probe') { await probe(); return {}; }
  if (lostTransaction) {
    if (ENDS_LOST.test(req.text)) { lostTransaction = false; return {}; }
    if (!STARTS_NEW.test(req.text)) throw Object.assign(new Error('the connection was lost inside this transaction; it was rolled back'), { unavailable: 'connection-lost' });
    lostTransaction = false;
  }
  // No session, so no transaction to roll back: nothing to ask a database that may not answer.
  if (!client && req.op === 'exec' && ENDS_LOST.test(req.text)) return {};
  const c = client ?? await connect();
  const readyBefore = readyCount;
  try {
    if (req.op === 'exec') { await c.query(req.text); return {}; }
    const values = req.values.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));
    const r = await c.query({ text: req.text, name: req.name, values, rowMode: 'array' });
    return { fields: r.fields.map((f) => f.name), rows: r.rows, changes: r.rowCount ?? 0 };
  } catch (err) {
    const d = describe(err);
    if (d.unavailable) {
      if (txStatus !== 'I') lostTransaction = true;
      if (client === c) client = undefined;
      c.end().catch(() => {});
      txStatus = 'I';
    } else if (client === c && readyCount === readyBefore) {
      await nextReadyForQuery(statementTimeoutMs);
    }
    throw err;
  }
}
let queue = Promise.resolve();
port.on('message', (req) => {
  if (req.op === 'abandon') return abandon();
  queue = queue.then(async () => {
    let answer;
    // A lost transaction is still open as far as the caller knows: it must end it.
    const status = () => (lostTransaction ? 'T' : client ? txStatus : 'I');
    try { answer = { id: req.id, ok: true, result: await handle(req), txStatus: status() }; }
    catch (err) { answer = { id: req.id, ok: false, error: describe(err), txStatus: status() }; }
    port.postMessage(answer);
    Atomics.store(state, 0, req.id);
    Atomics.notify(state, 0);
  });
});
`;

interface Answer {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { message: string; code?: string; detail?: string; table?: string; constraint?: string; unavailable?: 'connect' | 'connection-lost' | 'timeout'; hung?: boolean };
  txStatus: 'I' | 'T' | 'E';
}

/** An error PostgreSQL reported for a statement (constraint, syntax, …): SQLSTATE in `code`. */
export class PostgresError extends Error {
  override readonly name = 'PostgresError';
  constructor(message: string, readonly code: string | undefined, readonly detail: string | undefined, readonly table: string | undefined,
    readonly constraint: string | undefined) {
    super(message);
  }
}

const ROLLBACK = /^\s*ROLLBACK\s*;?\s*$/i;

export class SyncPgBridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly state = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 0;
  private closed = false;
  /** The session's transaction status after the last answer: I idle, T in a transaction, E in a failed one. */
  txStatus: 'I' | 'T' | 'E' = 'I';
  /** Open since the database last failed to answer in time (see the file comment); undefined while closed. */
  private breaker: { openedAt: number; nextProbeAt: number; probeId?: number } | undefined;

  constructor(url: string, private readonly options: BridgeOptions) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const driver = createRequire(import.meta.url).resolve('pg');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, port: port2, state: this.state, url, ...options },
      transferList: [port2],
    });
    // Never keeps the process alive; a crashed worker shows up as requests that time out.
    this.worker.unref();
    this.worker.on('error', () => {});
  }

  query(req: QueryRequest): QueryAnswer {
    return this.call(req) as QueryAnswer;
  }

  exec(text: string): void {
    this.call({ op: 'exec', text });
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call({ op: 'close' });
    } catch { /* closing anyway */ }
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }

  get open(): boolean {
    return !this.closed;
  }

  private call(req: QueryRequest | ExecRequest | { op: 'close' }): unknown {
    if (this.closed) throw new TypeError('The database connection is not open');
    // A ROLLBACK passes: the abandoned session's transaction ends in the worker, without the database.
    if (this.breaker && !(req.op === 'exec' && ROLLBACK.test(req.text)) && !this.probeSucceeded()) {
      const seconds = Math.round((performance.now() - this.breaker.openedAt) / 1000);
      throw new DatabaseUnavailableError(`the database did not answer in time ${seconds} s ago; not waiting for it again until a probe finds it answering`, 'timeout');
    }
    const id = ++this.nextId;
    this.port.postMessage({ ...req, id });
    // A connect plus the statement: the worker's own timeouts answer first; this one catches a worker that cannot.
    const deadline = performance.now() + this.options.statementTimeoutMs + this.options.connectTimeoutMs + 1000;
    for (;;) {
      const seen = Atomics.load(this.state, 0);
      if (seen === id) break;
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(this.state, 0, seen, left) === 'timed-out') {
        this.openBreaker();
        throw new DatabaseUnavailableError('the database did not answer in time', 'timeout');
      }
    }
    const answer = this.answer(id);
    if (!answer) throw new DatabaseUnavailableError('the database worker lost an answer', 'connection-lost');
    this.txStatus = answer.txStatus;
    if (answer.ok) return answer.result;
    const e = answer.error!;
    if (e.hung) this.openBreaker();
    if (e.unavailable) throw new DatabaseUnavailableError(`the database is unavailable: ${e.message}`, e.unavailable);
    if (e.code === '40P01' || e.code === '40001') throw new DatabaseConflictError(e.message, e.code);
    throw new PostgresError(e.message, e.code, e.detail, e.table, e.constraint);
  }

  /** The answer to request `id`, once the worker has posted it; answers to requests given up on earlier come first and are skipped. */
  private answer(id: number): Answer | undefined {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const answer = m.message as Answer;
      if (answer.id === id) return answer;
    }
    return undefined;
  }

  /**
   * The database did not answer in time: abandon the session (the worker drops it at once, so the
   * transaction it was in can never commit: the caller's ROLLBACK ends it, in the worker) and refuse
   * statements until a probe gets an answer.
   */
  private openBreaker(): void {
    this.port.postMessage({ op: 'abandon' });
    const now = performance.now();
    // The first probe one interval later: the ROLLBACKs that end the abandoned transaction, sent as the
    // callers unwind, reach the worker first and are answered there at once, not after a probe's connect.
    this.breaker ??= { openedAt: now, nextProbeAt: now + this.options.probeIntervalMs };
  }

  /** With the breaker open: whether a probe got an answer (the breaker closes); else sends the next probe when one is due, without waiting for it. */
  private probeSucceeded(): boolean {
    const breaker = this.breaker!;
    if (breaker.probeId !== undefined) {
      if (Atomics.load(this.state, 0) < breaker.probeId) return false; // still out
      const answer = this.answer(breaker.probeId);
      breaker.probeId = undefined;
      if (answer?.ok) {
        this.breaker = undefined;
        this.txStatus = answer.txStatus;
        return true;
      }
    }
    const now = performance.now();
    if (now >= breaker.nextProbeAt) {
      breaker.probeId = ++this.nextId;
      breaker.nextProbeAt = now + this.options.probeIntervalMs;
      this.port.postMessage({ op: 'probe', id: breaker.probeId });
    }
    return false;
  }
}
