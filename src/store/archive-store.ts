import type { StoredMessageFacts } from '../domain/message-fields.js';
import type { Db } from './database.js';

export interface ArchivedMessage extends StoredMessageFacts {
  id: number;
  recipientId: string;
  signature: string | null;
}

export interface ArchiveQuery {
  recipientId: string;
  from: number;
  to: number;
  businessFunctionId?: string;
  resourceId?: string;
}

const COLUMNS = `m.id, m.message_id AS messageId, m.message_context_id AS messageContextId, m.sender_id AS senderId,
  r.to_participant AS recipientId, m.business_function_id AS businessFunctionId, m.resource_id AS resourceId, m.priority,
  m.message_date_time AS messageDateTime, m.received_at AS receivedAt, m.size_bytes AS sizeBytes,
  m.schema_version AS schemaVersion, m.signature`;

const WHERE = `r.to_participant = @recipientId AND m.received_at >= @from AND m.received_at <= @to
  AND (@businessFunctionId IS NULL OR m.business_function_id = @businessFunctionId)
  AND (@resourceId IS NULL OR m.resource_id = @resourceId)`;

/**
 * The messages the purge empties (one parameter: received before it), as a condition on `messages`: also
 * what the request journal uses to copy in the bytes it refers to first (JournalStore.keepBodiesOfPurged).
 * Payloads not yet emptied are found through the partial index messages_unpurged_by_received (migration
 * 15), whose predicate `length(payload_gzip) > 0` this repeats word for word so the planner can use it: the
 * purge runs every 30 s on the event loop, and a scan of `messages` grew with every message ever accepted
 * (~200 ms at 200,000 small messages, seconds at a test programme's millions) while nearly always finding
 * nothing.
 */
export const PURGEABLE_MESSAGES = `received_at < ? AND length(payload_gzip) > 0
    AND NOT EXISTS (SELECT 1 FROM queue_items q WHERE q.message_pk = messages.id)`;

/** The purge's statements (exported for the query-plan test). */
export const PURGE_SQL = {
  /** Is there anything to purge? Skips the purge and the journal's copy (beforePurge) when not. */
  purgeable: `SELECT 1 AS found FROM messages WHERE ${PURGEABLE_MESSAGES} LIMIT 1`,
  // The row stays (duplicate detection and the transaction log refer to it); only the bytes go.
  purge: `UPDATE messages SET payload_gzip = x'' WHERE ${PURGEABLE_MESSAGES}`,
} as const;

/**
 * The outbound archive (spec §4.6): every message accepted for a receiving participant, whose payload is
 * still retained. Membership comes from the transaction-log records (one per message × receiver), so it
 * outlives the queue; payload bytes leave with `purge` after the retention period.
 */
export class ArchiveStore {
  private readonly stmts;

  /** `beforePurge` runs just before the bytes go (the request journal copies in those it refers to). */
  constructor(db: Db, private readonly beforePurge: (olderThan: number) => void = () => {}) {
    this.stmts = {
      // Newest first: the list starts at startDateTime (default now) and goes back in time.
      page: db.prepare(`SELECT ${COLUMNS} FROM translog_records r JOIN messages m ON m.id = r.message_pk
        WHERE ${WHERE} AND (m.received_at < @beforeAt OR (m.received_at = @beforeAt AND m.id <= @beforeId))
        ORDER BY m.received_at DESC, m.id DESC LIMIT @limit`),
      count: db.prepare<Record<string, unknown>, { n: number }>(`SELECT count(*) AS n FROM translog_records r JOIN messages m ON m.id = r.message_pk WHERE ${WHERE}`),
      // The context id names its sender: the (sender_id, context_key) index finds the message directly.
      one: db.prepare(`SELECT ${COLUMNS}, m.payload_gzip AS payloadGzip FROM messages m
        JOIN translog_records r ON r.message_pk = m.id AND r.to_participant = ?
        WHERE m.sender_id = ? AND m.context_key = ? AND m.received_at >= ?`),
      purgeable: db.prepare<[number], { found: number }>(PURGE_SQL.purgeable),
      purge: db.prepare(PURGE_SQL.purge),
    };
  }

  page(q: ArchiveQuery, before: { at: number; id: number }, limit: number): ArchivedMessage[] {
    return this.stmts.page.all({ ...this.params(q), beforeAt: before.at, beforeId: before.id, limit }) as ArchivedMessage[];
  }

  count(q: ArchiveQuery): number {
    return this.stmts.count.get(this.params(q))!.n;
  }

  /** The archived message with its stored gzip bytes, if the recipient received it and it is still retained. */
  one(recipientId: string, senderId: string, contextKey: string, retainedSince: number): (ArchivedMessage & { payloadGzip: Buffer }) | undefined {
    return this.stmts.one.get(recipientId, senderId, contextKey, retainedSince) as (ArchivedMessage & { payloadGzip: Buffer }) | undefined;
  }

  /** Drops the payload bytes older than the retention that no queue still holds. Returns how many. */
  purge(olderThan: number): number {
    // Not one transaction: on PostgreSQL that would take the hub's write lock (src/store/postgres/pg-db.ts) for
    // what is, nearly always, a read that finds nothing. The copies go first, so a failure between the two
    // statements leaves bytes both copied and still stored, never a row without them.
    if (this.stmts.purgeable.get(olderThan) === undefined) return 0;
    this.beforePurge(olderThan);
    return this.stmts.purge.run(olderThan).changes;
  }

  private params(q: ArchiveQuery) {
    return { recipientId: q.recipientId, from: q.from, to: q.to, businessFunctionId: q.businessFunctionId ?? null, resourceId: q.resourceId ?? null };
  }
}
