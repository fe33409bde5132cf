import { prepareInsert, type Db } from './database.js';

/** Transaction-log statuses (spec §4.5). BPQD is fire-and-forget, so the ack statuses never occur for it. */
export type TransactionStatus = 'delivery_pending' | 'completed' | 'removed' | 'message_acked' | 'message_rejected';

export interface TransactionLogEntry {
  loggedAt: number;
  traceId: string;
  messageId?: string | null;
  /**
   * The message's row (messages.id), which keys its log rows and record (issue #13). A caller that holds
   * it passes it (src/services/delivery-service.ts); otherwise it is looked up by `messageId`.
   */
  messagePk?: number | null;
  messageContextId?: string | null;
  businessFunctionId?: string | null;
  resourceId?: string | null;
  fromParticipant?: string | null;
  toParticipant?: string | null;
  messageType: 'message' | 'tack';
  priority?: string | null;
  status: TransactionStatus;
  reasonCode?: string | null;
  detail?: string | null;
}

export interface TransactionLogRow extends Required<Omit<TransactionLogEntry, 'messagePk'>> {
  id: number;
}

/**
 * Append-only log of every message state change and every refusal. Each append also moves the
 * record it belongs to (`translog_records`: one per message × receiving participant, one per refusal)
 * to its new current status, in the same SQLite transaction, so the Transaction Log API can search
 * current statuses without re-reading the whole history.
 */
export class TransactionLog {
  private readonly insert;
  private readonly upsertRecord;
  private readonly updateRecord;
  private readonly byContext;
  private readonly appendRows: (entry: TransactionLogEntry) => void;
  private readonly appendAtomically: (entry: TransactionLogEntry) => void;
  private readonly purgeRefusalsAtomically: (olderThan: number) => number;

  constructor(private readonly db: Db) {
    const deleteRecords = db.prepare(`DELETE FROM translog_records WHERE message_id IS NULL AND status = 'message_rejected' AND created_at < ?`);
    const deleteRows = db.prepare(`DELETE FROM transaction_log WHERE message_id IS NULL AND status = 'message_rejected' AND logged_at < ?`);
    this.purgeRefusalsAtomically = db.transaction((olderThan: number) => {
      deleteRecords.run(olderThan);
      return deleteRows.run(olderThan).changes;
    });
    // Bound by position, not by name: binding by name looks each parameter up in an object built for it,
    // ≈ 2–3 µs more per statement, and every accepted, retrieved or deleted message writes two of these
    // (issue #13, docs/benchmarks.md "Small submissions, fifth pass"). Values follow the column order.
    this.upsertRecord = db.prepare<[string | null, string | null, string | null, string | null, string, string, number, number, number, number, number | null]>(
      `INSERT INTO translog_records (message_id, message_context_key, from_participant, to_participant, message_type, status,
         created_at, status_at, first_log_id, last_log_id, message_pk)
       VALUES (?, lower(?), ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (message_pk, to_participant) DO UPDATE SET
         status = excluded.status, status_at = excluded.status_at, last_log_id = excluded.last_log_id`);
    // A later status of a message's record (completed, removed, a release): the record exists since its
    // delivery, and a plain UPDATE is cheaper than the upsert, which tries the INSERT first.
    this.updateRecord = db.prepare<[string, number, number, number | null, string | null]>(
      `UPDATE translog_records SET status = ?, status_at = ?, last_log_id = ? WHERE message_pk = ? AND to_participant = ?`);
    this.insert = prepareInsert<[number, string, string | null, string | null, string | null, string | null, string | null, string | null,
      string, string | null, string, string | null, string | null, number | null]>(db,
      `INSERT INTO transaction_log (logged_at, trace_id, message_id, message_context_id, business_function_id, resource_id,
         from_participant, to_participant, message_type, priority, status, reason_code, detail, message_pk)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const messagePkOf = db.prepare<[string], number>('SELECT id FROM messages WHERE message_id = ?').pluck();
    this.byContext = db.prepare<[string], Record<string, unknown>>(
      `SELECT id, logged_at AS loggedAt, trace_id AS traceId, message_id AS messageId, message_context_id AS messageContextId,
         business_function_id AS businessFunctionId, resource_id AS resourceId, from_participant AS fromParticipant,
         to_participant AS toParticipant, message_type AS messageType, priority, status, reason_code AS reasonCode, detail
       FROM transaction_log WHERE lower(message_context_id) = lower(?) ORDER BY id`);
    this.appendRows = (entry: TransactionLogEntry) => {
      const messageId = entry.messageId ?? null;
      const messageContextId = entry.messageContextId ?? null;
      const toParticipant = entry.toParticipant ?? null;
      const messagePk = entry.messagePk ?? (messageId === null ? null : messagePkOf.get(messageId) ?? null);
      // A message's rows are found by its row id: without one its record could never move on.
      if (messageId !== null && messagePk === null) throw new Error(`transaction log: no stored message ${messageId}`);
      const { loggedAt, status, messageType } = entry;
      const logId = this.insert(loggedAt, entry.traceId, messageId, messageContextId, entry.businessFunctionId ?? null, entry.resourceId ?? null,
        entry.fromParticipant ?? null, toParticipant, messageType, entry.priority ?? null, status, entry.reasonCode ?? null, entry.detail ?? null, messagePk);
      if (status === 'delivery_pending' || messageId === null || this.updateRecord.run(status, loggedAt, logId, messagePk, toParticipant).changes === 0) {
        this.upsertRecord.run(messageId, messageContextId, entry.fromParticipant ?? null, toParticipant, messageType, status, loggedAt, loggedAt, logId, logId, messagePk);
      }
    };
    this.appendAtomically = db.transaction(this.appendRows);
  }

  /**
   * Removes refusal records (`message_rejected` without a message) logged before `olderThan`, with their
   * log rows; message records are kept. Returns how many refusals were removed.
   */
  purgeRefusals(olderThan: number): number {
    return this.purgeRefusalsAtomically(olderThan);
  }

  /** Appends the log row and moves its record, both or neither (a savepoint when nested in a transaction). */
  append(entry: TransactionLogEntry): void {
    this.appendAtomically(entry);
  }

  /**
   * `append` for a caller that already holds a transaction (or savepoint) that is undone as a whole if
   * anything in it throws — every message state change (src/services/delivery-service.ts): the two rows
   * need no nested savepoint of their own (issue #13).
   */
  appendWithinTransaction(entry: TransactionLogEntry): void {
    if (!this.db.inTransaction) throw new Error('appendWithinTransaction needs an open transaction');
    this.appendRows(entry);
  }

  /** Every row for a messageContextId, oldest first. */
  forContext(messageContextId: string): TransactionLogRow[] {
    return this.byContext.all(messageContextId) as unknown as TransactionLogRow[];
  }
}
