/**
 * The request journal (issue #10): one row per request a participant's system made and the answer it got,
 * so a test asserts on what that system actually did. Bounded by count and by simulated age.
 */
import type { Db } from './database.js';

export interface JournalBody {
  /** Size of the whole body. */
  bytes: number;
  /** `utf8` text or `base64` bytes (gzip and other binary bodies). */
  encoding: 'utf8' | 'base64';
  /** The first IDX_SIM_JOURNAL_BODY_BYTES bytes. */
  body: string;
}

export interface JournalEntry {
  at: number;
  participantId: string | null;
  method: string;
  path: string;
  query: string | null;
  operationId: string | null;
  status: number;
  code: string | null;
  traceId: string;
  messageContextId: string | null;
  durationMs: number;
  faultRuleId: number | null;
  request: JournalBody | null;
  response: JournalBody | null;
}

export interface JournalFilter {
  participantId?: string;
  /** A path or a path prefix (`/pqd/v1/bpqd` also matches `/pqd/v1/bpqd/{id}`). */
  path?: string;
  method?: string;
  operationId?: string;
  status?: number;
  code?: string;
  messageContextId?: string;
  traceId?: string;
  from?: number;
  to?: number;
  faulted?: boolean;
}

const COLUMNS = `id, at, participant_id AS participantId, method, path, query, operation_id AS operationId, status, error_code AS code,
  trace_id AS traceId, message_context_id AS messageContextId, duration_ms AS durationMs, fault_rule_id AS faultRuleId,
  request_bytes AS requestBytes, request_body AS requestBody, request_encoding AS requestEncoding,
  response_bytes AS responseBytes, response_body AS responseBody, response_encoding AS responseEncoding`;

interface Row {
  id: number; at: number; participantId: string | null; method: string; path: string; query: string | null; operationId: string | null;
  status: number; code: string | null; traceId: string; messageContextId: string | null; durationMs: number; faultRuleId: number | null;
  requestBytes: number | null; requestBody: string | null; requestEncoding: 'utf8' | 'base64' | null;
  responseBytes: number | null; responseBody: string | null; responseEncoding: 'utf8' | 'base64' | null;
}

const body = (bytes: number | null, text: string | null, encoding: 'utf8' | 'base64' | null): JournalBody | null =>
  bytes === null || text === null || encoding === null ? null : { bytes, encoding, body: text };

/** Called when a journal row could not be written (its request was answered long before). */
export type JournalWriteFailed = (err: unknown) => void;

export class JournalStore {
  private readonly insert;
  private readonly pruneOld;
  private readonly pruneCount;
  private sincePrune = 0;
  /** Rows appended while no transaction was open, written together at the end of the turn (or sooner). */
  private pending: Array<{ e: JournalEntry; failed: JournalWriteFailed | undefined }> = [];
  private flushScheduled = false;

  /**
   * `schedule` runs the write of the rows appended outside a transaction: by default at the end of this
   * turn of the event loop (setImmediate), before the COMMIT of any group-commit batch opened meanwhile.
   */
  constructor(private readonly db: Db, private readonly limits: { maxEntries: number; retentionDays: number },
    private readonly schedule: (flush: () => void) => void = setImmediate) {
    // Positional parameters: binding a 20-key object by name cost ≈ 12 µs more per request (issue #13).
    this.insert = db.prepare(`INSERT INTO sim_journal (at, participant_id, method, path, query, operation_id, status, error_code, trace_id,
        message_context_id, duration_ms, fault_rule_id, request_bytes, request_body, request_encoding, response_bytes, response_body, response_encoding)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.pruneOld = db.prepare<[number]>('DELETE FROM sim_journal WHERE at < ?');
    this.pruneCount = db.prepare<[number]>('DELETE FROM sim_journal WHERE id <= (SELECT max(id) FROM sim_journal) - ?');
  }

  get enabled(): boolean {
    return this.limits.maxEntries > 0;
  }

  /**
   * Journals one exchange. Inside an open transaction (a group-commit batch, under load most of the time)
   * the row joins it. Otherwise it waits for the end of the turn, when every row appended meanwhile is
   * written in one transaction — or joins a batch opened since (issue #13: a row committed on its own cost
   * a WAL commit, ≈ 90 µs, against ≈ 9 µs inside a batch). Journal rows are written after the answer went
   * out, so no answer waits for them; every read of the journal (and a reset, snapshot or shutdown) writes
   * the waiting rows first. `failed` hears of a row that could not be written then.
   */
  append(e: JournalEntry, failed?: JournalWriteFailed): void {
    if (!this.enabled) return;
    if (this.db.inTransaction) {
      this.flush();
      this.write(e);
      return;
    }
    this.pending.push({ e, failed });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(() => {
        this.flushScheduled = false;
        if (this.db.open) this.flush();
      });
    }
  }

  /** Writes the rows still waiting (in the open transaction if there is one, else in one of their own). */
  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    if (!this.db.inTransaction && this.db.dialect === 'postgres') {
      // On PostgreSQL a transaction takes the hub's write lock (src/store/postgres/pg-db.ts), which rows that
      // are only appended do not need: waiting for it here, at the end of a turn, blocked the whole process
      // while another instance in it held the lock for a batch that could only commit on a later turn
      // (test/api/multi-instance.test.ts timed out). Each row is its own statement there.
      for (const r of rows) {
        try {
          this.write(r.e);
        } catch (err) {
          r.failed?.(err);
        }
      }
      return;
    }
    try {
      if (this.db.inTransaction) for (const r of rows) this.write(r.e);
      else this.db.transaction(() => { for (const r of rows) this.write(r.e); })();
    } catch (err) {
      for (const r of rows) r.failed?.(err);
    }
  }

  private write(e: JournalEntry): void {
    const { request, response } = e;
    this.insert.run(e.at, e.participantId, e.method, e.path, e.query, e.operationId, e.status, e.code, e.traceId, e.messageContextId, e.durationMs,
      e.faultRuleId, request?.bytes ?? null, request?.body ?? null, request?.encoding ?? null,
      response?.bytes ?? null, response?.body ?? null, response?.encoding ?? null);
    // Pruning costs a DELETE: do it every so often, and keep within about 1% of the bound in between.
    if (++this.sincePrune >= Math.max(1, Math.min(100, Math.floor(this.limits.maxEntries / 100)))) this.prune(e.at);
  }

  prune(now: number): void {
    this.sincePrune = 0;
    this.pruneOld.run(now - this.limits.retentionDays * 86_400_000);
    this.pruneCount.run(this.limits.maxEntries);
  }

  /** Entries after the cursor id, oldest first; one more than `limit` tells the caller there is a next page. */
  page(f: JournalFilter, afterId: number, limit: number): Array<JournalEntry & { id: number }> {
    this.flush();
    return this.select(f, 'id > ?', afterId, 'ORDER BY id', limit);
  }

  /** Entries before the id (0: from the newest), newest first: the simulator console's view. */
  latest(f: JournalFilter, beforeId: number, limit: number): Array<JournalEntry & { id: number }> {
    this.flush();
    return this.select(f, 'id < ?', beforeId > 0 ? beforeId : Number.MAX_SAFE_INTEGER, 'ORDER BY id DESC', limit);
  }

  private select(f: JournalFilter, bound: string, boundId: number, order: string, limit: number): Array<JournalEntry & { id: number }> {
    const where = [bound];
    const args: unknown[] = [boundId];
    const eq = (column: string, value: unknown) => { if (value !== undefined) { where.push(`${column} = ?`); args.push(value); } };
    eq('participant_id', f.participantId);
    eq('method', f.method?.toUpperCase());
    eq('operation_id', f.operationId);
    eq('status', f.status);
    eq('error_code', f.code);
    eq('trace_id', f.traceId);
    if (f.messageContextId !== undefined) { where.push('lower(message_context_id) = lower(?)'); args.push(f.messageContextId); }
    if (f.path !== undefined) { where.push("(path = ? OR substr(path, 1, length(?) + 1) = ? || '/')"); args.push(f.path, f.path, f.path); }
    if (f.from !== undefined) { where.push('at >= ?'); args.push(f.from); }
    if (f.to !== undefined) { where.push('at <= ?'); args.push(f.to); }
    if (f.faulted !== undefined) where.push(f.faulted ? 'fault_rule_id IS NOT NULL' : 'fault_rule_id IS NULL');
    const rows = this.db.prepare(`SELECT ${COLUMNS} FROM sim_journal WHERE ${where.join(' AND ')} ${order} LIMIT ?`).all(...args, limit) as Row[];
    return rows.map((r) => ({
      id: r.id, at: r.at, participantId: r.participantId, method: r.method, path: r.path, query: r.query, operationId: r.operationId,
      status: r.status, code: r.code, traceId: r.traceId, messageContextId: r.messageContextId, durationMs: r.durationMs, faultRuleId: r.faultRuleId,
      request: body(r.requestBytes, r.requestBody, r.requestEncoding), response: body(r.responseBytes, r.responseBody, r.responseEncoding),
    }));
  }

  clear(): number {
    this.flush();
    return this.db.prepare('DELETE FROM sim_journal').run().changes;
  }
}
