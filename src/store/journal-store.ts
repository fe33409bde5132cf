/**
 * The request journal (issue #10): one row per request a participant's system made and the answer it got,
 * so a test asserts on what that system actually did. Bounded by count and by simulated age.
 */
import type { Db } from './database.js';
import { PURGEABLE_MESSAGES } from './archive-store.js';

export interface JournalBody {
  /** Size of the whole body. */
  bytes: number;
  /** `utf8` text or `base64` bytes (gzip and other binary bodies). */
  encoding: 'utf8' | 'base64';
  /** The first IDX_SIM_JOURNAL_BODY_BYTES bytes. */
  body: string;
}

/**
 * A body that is a stored message's gzip bytes exactly (a GET of a queued message answers them): the row
 * refers to the message instead of copying them (issue #13: the copy, as base64, was most of a drained
 * message's journal row and of its WAL pages). Read back, it is the same JournalBody the copy gave; the
 * bytes never change, and the archive's purge copies them in before it empties them (keepBodiesOfPurged).
 */
export interface StoredPayloadBody {
  bytes: number;
  encoding: 'base64';
  /** messages.id of the message whose payload_gzip the body is. */
  messagePk: number;
  /** How many of its bytes the journal keeps (IDX_SIM_JOURNAL_BODY_BYTES when written). */
  keptBytes: number;
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

/** An exchange to journal: either body may refer to a stored message's bytes instead of copying them. */
export interface JournalAppend extends Omit<JournalEntry, 'request' | 'response'> {
  request: JournalBody | StoredPayloadBody | null;
  response: JournalBody | StoredPayloadBody | null;
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
  response_bytes AS responseBytes, response_body AS responseBody, response_encoding AS responseEncoding,
  (SELECT substr(m.payload_gzip, 1, CAST(sim_journal.body_kept_bytes AS INTEGER)) FROM messages m WHERE m.id = sim_journal.body_message_pk) AS bodyPayload`;

interface Row {
  id: number; at: number; participantId: string | null; method: string; path: string; query: string | null; operationId: string | null;
  status: number; code: string | null; traceId: string; messageContextId: string | null; durationMs: number; faultRuleId: number | null;
  requestBytes: number | null; requestBody: string | null; requestEncoding: 'utf8' | 'base64' | null;
  responseBytes: number | null; responseBody: string | null; responseEncoding: 'utf8' | 'base64' | null;
  bodyPayload: Buffer | null;
}

/** A stored body; the one whose size is set and text is null is the referred message's first kept bytes. */
function body(bytes: number | null, text: string | null, encoding: 'utf8' | 'base64' | null, r: Row): JournalBody | null {
  if (bytes === null || encoding === null) return null;
  if (text !== null) return { bytes, encoding, body: text };
  // The archive's purge copies the bytes in before emptying a payload (keepBodiesOfPurged): a row never
  // refers to bytes that are gone, but a row without its message (never expected) shows an empty body.
  // Only the kept bytes are read (substr in the query; the CAST because PostgreSQL has substr(bytea, int, int)
  // only): a referred payload may be up to 10 MB, and a page of the journal may hold many.
  return { bytes, encoding, body: r.bodyPayload ? r.bodyPayload.toString('base64') : '' };
}

const isStoredPayload = (b: JournalBody | StoredPayloadBody | null): b is StoredPayloadBody => b !== null && 'messagePk' in b;

/** Called when a journal row could not be written (its request was answered long before). */
export type JournalWriteFailed = (err: unknown) => void;

export class JournalStore {
  private readonly insert;
  private readonly pruneOld;
  private readonly pruneCount;
  private readonly referringToPurged;
  private readonly keepRequestBody;
  private readonly keepResponseBody;
  private sincePrune = 0;
  /** Rows appended while no transaction was open, written together at the end of the turn (or sooner). */
  private pending: Array<{ e: JournalAppend; failed: JournalWriteFailed | undefined }> = [];
  private flushScheduled = false;

  /**
   * `schedule` runs the write of the rows appended outside a transaction: by default at the end of this
   * turn of the event loop (setImmediate), before the COMMIT of any group-commit batch opened meanwhile.
   */
  constructor(private readonly db: Db, private readonly limits: { maxEntries: number; retentionDays: number },
    private readonly schedule: (flush: () => void) => void = setImmediate) {
    // Positional parameters: binding a 20-key object by name cost ≈ 12 µs more per request (issue #13).
    this.insert = db.prepare(`INSERT INTO sim_journal (at, participant_id, method, path, query, operation_id, status, error_code, trace_id,
        message_context_id, duration_ms, fault_rule_id, request_bytes, request_body, request_encoding, response_bytes, response_body, response_encoding,
        body_message_pk, body_kept_bytes)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.pruneOld = db.prepare<[number]>('DELETE FROM sim_journal WHERE at < ?');
    this.pruneCount = db.prepare<[number]>('DELETE FROM sim_journal WHERE id <= (SELECT max(id) FROM sim_journal) - ?');
    // The archive purge's own condition (ArchiveStore): the rows whose message's bytes it is about to empty.
    this.referringToPurged = db.prepare<[number], { id: number; onRequest: number | boolean; kept: Buffer }>(
      `SELECT j.id, j.request_body IS NULL AND j.request_bytes IS NOT NULL AS onRequest, substr(messages.payload_gzip, 1, CAST(j.body_kept_bytes AS INTEGER)) AS kept
       FROM sim_journal j JOIN messages ON messages.id = j.body_message_pk
       WHERE ${PURGEABLE_MESSAGES}`);
    this.keepRequestBody = db.prepare<[string, number]>('UPDATE sim_journal SET request_body = ?, body_message_pk = NULL, body_kept_bytes = NULL WHERE id = ?');
    this.keepResponseBody = db.prepare<[string, number]>('UPDATE sim_journal SET response_body = ?, body_message_pk = NULL, body_kept_bytes = NULL WHERE id = ?');
  }

  get enabled(): boolean {
    return this.limits.maxEntries > 0;
  }

  /**
   * Journals one exchange. Inside an open transaction (a group-commit batch, under load most of the time)
   * the row joins it, in a savepoint of its own (see flush). Otherwise it waits for the end of the turn,
   * when every row appended meanwhile is written in one transaction — or joins a batch opened since
   * (issue #13: a row committed on its own cost a WAL commit, ≈ 90 µs, against ≈ 9 µs inside a batch).
   * Journal rows are written after the answer went out, so no answer waits for them; every read of the
   * journal (and a reset, snapshot or shutdown) writes the waiting rows first. `failed` hears of a row that
   * could not be written.
   */
  append(e: JournalAppend, failed?: JournalWriteFailed): void {
    if (!this.enabled) return;
    this.pending.push({ e, failed });
    if (this.db.inTransaction) {
      this.flush();
      return;
    }
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
      // A transaction of their own, or a savepoint in the one that is open (a group-commit batch): rows that
      // fail are undone alone and never fail the transaction they joined. On PostgreSQL a failed statement
      // aborts the whole transaction, and every write of the batch was then refused at its COMMIT (a 500 each).
      this.db.transaction(() => { for (const r of rows) this.write(r.e); })();
    } catch (err) {
      for (const r of rows) r.failed?.(err);
    }
  }

  private write(e: JournalAppend): void {
    const { request, response } = e;
    // At most one body of an exchange is a stored message's bytes; its text column stays null.
    const stored = isStoredPayload(response) ? response : isStoredPayload(request) ? request : null;
    this.insert.run(e.at, e.participantId, e.method, e.path, e.query, e.operationId, e.status, e.code, e.traceId, e.messageContextId, e.durationMs,
      e.faultRuleId, request?.bytes ?? null, request === null || request === stored ? null : (request as JournalBody).body, request?.encoding ?? null,
      response?.bytes ?? null, response === null || response === stored ? null : (response as JournalBody).body, response?.encoding ?? null,
      stored?.messagePk ?? null, stored?.keptBytes ?? null);
    // Pruning costs a DELETE: do it every so often, and keep within about 1% of the bound in between.
    if (++this.sincePrune >= Math.max(1, Math.min(100, Math.floor(this.limits.maxEntries / 100)))) this.prune(e.at);
  }

  /**
   * The archive is about to empty the payloads of the messages received before `olderThan` that no queue
   * holds (ArchiveStore.purge, just after this): the rows referring to them get their kept bytes
   * copied in, so the journal goes on showing what it showed. It runs only when the purge has payloads to
   * empty (the purge's timer every 30 s, and clock moves, find none most of the time).
   */
  keepBodiesOfPurged(olderThan: number): void {
    this.flush();
    for (const r of this.referringToPurged.all(olderThan)) {
      (r.onRequest ? this.keepRequestBody : this.keepResponseBody).run(r.kept.toString('base64'), r.id);
    }
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
      request: body(r.requestBytes, r.requestBody, r.requestEncoding, r), response: body(r.responseBytes, r.responseBody, r.responseEncoding, r),
    }));
  }

  clear(): number {
    this.flush();
    return this.db.prepare('DELETE FROM sim_journal').run().changes;
  }
}
