/**
 * `Db` on PostgreSQL (issue #14): better-sqlite3's synchronous API over one session held by a worker
 * thread (./bridge.ts). SQL is translated once per distinct text (./sql.ts) and runs as a named prepared
 * statement, so a repeated statement is parsed and planned once per session.
 */
import type { Db, RunResult, Statement, Transaction } from '../database.js';
import { PostgresError, SyncPgBridge } from './bridge.js';
import { translateSql, type TranslatedSql } from './sql.js';

export interface PostgresOptions {
  /** PostgreSQL `statement_timeout` (ms): a statement running longer is cancelled and the request gets a 503. */
  statementTimeoutMs?: number;
  /** How long connecting may take (ms). */
  connectTimeoutMs?: number;
  /** After the database did not answer in time, statements are refused at once; one probe per this many ms asks whether it is back. */
  probeIntervalMs?: number;
}

export function openPostgres(url: string, options: PostgresOptions = {}): Db {
  return new PgDb(url, options);
}

interface Compiled extends TranslatedSql {
  /** Prepared-statement name; undefined for transaction control (sent as a simple query). */
  name: string | undefined;
  commits: boolean;
  /** BEGIN (of any SQLite lock mode): begins a top-level transaction, which takes the hub's write lock. */
  begins: boolean;
}

const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|START\s+TRANSACTION)\b/i;
const COMMITS = /^\s*(COMMIT|END)\b/i;
const SAVEPOINT = 'idx_sim_tx';
const BEGINS = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;

/**
 * The hub's write lock (issue #14, several instances; docs/spec-variance.md row 483): every top-level
 * transaction takes this transaction-scoped advisory lock first, so writes serialise across instances
 * as they do on SQLite's single writer. Stores read a row and write it back in one transaction (the
 * flow-control counts); under READ COMMITTED two instances doing that at once would lose an update, and
 * row locks taken in each batch's own order could deadlock. One lock per transaction (a group commit is
 * one transaction per batch), taken in the same round trip as BEGIN.
 */
export const HUB_WRITE_LOCK = 0x696478_777274;
const BEGIN_LOCKED = `BEGIN; SELECT pg_advisory_xact_lock(${HUB_WRITE_LOCK})`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

const isNamedArgument = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && !(v instanceof Uint8Array) && !Array.isArray(v);

class PgDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly bridge: SyncPgBridge;
  private readonly compiled = new Map<string, Compiled>();

  constructor(url: string, options: PostgresOptions) {
    this.bridge = new SyncPgBridge(url, {
      statementTimeoutMs: options.statementTimeoutMs ?? 30_000, connectTimeoutMs: options.connectTimeoutMs ?? 10_000, probeIntervalMs: options.probeIntervalMs ?? 1_000,
    });
  }

  get inTransaction(): boolean {
    return this.bridge.txStatus !== 'I';
  }

  get open(): boolean {
    return this.bridge.open;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  prepare(source: string): any {
    return new PgStatement(this, this.compile(source));
  }

  compile(source: string): Compiled {
    let c = this.compiled.get(source);
    if (!c) {
      const t = translateSql(source);
      const control = TRANSACTION_CONTROL.test(t.text);
      c = { ...t, name: control ? undefined : `idx_sim_${this.compiled.size + 1}`, commits: COMMITS.test(t.text), begins: BEGINS.test(t.text) };
      this.compiled.set(source, c);
    }
    return c;
  }

  exec(source: string): this {
    const text = translateSql(source).text;
    if (COMMITS.test(text)) this.refuseAbortedCommit();
    this.bridge.exec(BEGINS.test(text) && !this.inTransaction ? text.replace(BEGINS, BEGIN_LOCKED) : text);
    return this;
  }

  /**
   * PostgreSQL answers COMMIT of a transaction in which a statement failed with a ROLLBACK, and no error:
   * the writes would be lost silently. SQLite keeps a transaction usable after a failed statement, so a
   * caller may have caught the error and gone on; on PostgreSQL that must fail loudly instead.
   */
  refuseAbortedCommit(): void {
    if (this.bridge.txStatus !== 'E') return;
    this.bridge.exec('ROLLBACK');
    throw new PostgresError('a statement in this transaction failed, so PostgreSQL rolled it back', '25P02', undefined, undefined, undefined);
  }

  pragma(source: string): unknown {
    throw new Error(`PRAGMA ${source} is SQLite's: not available on PostgreSQL`);
  }

  close(): this {
    this.bridge.close();
    return this;
  }

  transaction<F extends AnyFn>(fn: F): Transaction<F> {
    const t = ((...args: Parameters<F>) => this.runTransaction(fn, args)) as Transaction<F>;
    // SQLite's lock modes have no PostgreSQL counterpart: a transaction takes row locks as it writes.
    t.deferred = t;
    t.immediate = t;
    t.exclusive = t;
    return t;
  }

  private runTransaction<F extends AnyFn>(fn: F, args: Parameters<F>): ReturnType<F> {
    const nested = this.inTransaction;
    this.bridge.exec(nested ? `SAVEPOINT ${SAVEPOINT}` : BEGIN_LOCKED);
    try {
      const result = fn(...args) as ReturnType<F>;
      if (result && typeof (result as { then?: unknown }).then === 'function') throw new TypeError('Transaction function cannot return a promise');
      if (nested) this.bridge.exec(`RELEASE ${SAVEPOINT}`);
      else {
        this.refuseAbortedCommit();
        this.bridge.exec('COMMIT');
      }
      return result;
    } catch (err) {
      // Undo what is still open (a failed COMMIT has ended the transaction already, unless the connection was lost).
      try {
        if (nested) {
          this.bridge.exec(`ROLLBACK TO ${SAVEPOINT}`);
          this.bridge.exec(`RELEASE ${SAVEPOINT}`);
        } else if (this.inTransaction) {
          this.bridge.exec('ROLLBACK');
        }
      } catch { /* the connection is gone: PostgreSQL rolled back already */ }
      throw err;
    }
  }
}

class PgStatement implements Statement<unknown[], unknown> {
  private plucked = false;

  constructor(private readonly db: PgDb, private readonly c: Compiled) {}

  pluck(toggle = true): this {
    this.plucked = toggle;
    return this;
  }

  run(...args: unknown[]): RunResult {
    return { changes: this.execute(args).changes };
  }

  get(...args: unknown[]): unknown {
    const { fields, rows } = this.execute(args);
    return rows.length === 0 ? undefined : this.row(fields, rows[0]!);
  }

  all(...args: unknown[]): unknown[] {
    const { fields, rows } = this.execute(args);
    return rows.map((r) => this.row(fields, r));
  }

  iterate(...args: unknown[]): IterableIterator<unknown> {
    return this.all(...args)[Symbol.iterator]();
  }

  private execute(args: unknown[]) {
    if (this.c.commits) this.db.refuseAbortedCommit();
    if (this.c.begins && !this.db.inTransaction) {
      this.db.bridge.exec(BEGIN_LOCKED);
      return { fields: [], rows: [], changes: 0 };
    }
    return this.db.bridge.query({ op: 'query', text: this.c.text, name: this.c.name, values: this.bind(args) });
  }

  private bind(args: unknown[]): unknown[] {
    const { params } = this.c;
    if (params.length === 0) return [];
    const named = args.find(isNamedArgument);
    const positional = named ? args.filter((a) => a !== named) : args;
    return params.map((p) => {
      let v: unknown;
      if (typeof p === 'number') v = positional[p];
      else {
        if (!named || !(p in named)) throw new RangeError(`Missing named parameter "${p}"`);
        v = named[p];
      }
      if (v === undefined) return null;
      if (typeof v === 'bigint') return v.toString();
      return v;
    });
  }

  private row(fields: string[], values: unknown[]): unknown {
    const fix = (v: unknown) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
    if (this.plucked) return fix(values[0]);
    const row: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const name = fields[i]!;
      row[this.c.columnNames.get(name) ?? name] = fix(values[i]);
    }
    return row;
  }
}
