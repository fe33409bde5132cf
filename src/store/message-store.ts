import type { StoredMessageFacts } from '../domain/message-fields.js';
import { prepareInsert, type Db } from './database.js';

export interface NewMessage extends StoredMessageFacts {
  contextKey: string;
  transactionCount: number;
  signature: string | null;
  traceId: string;
  payloadGzip: Buffer;
}

/** The values of a `messages` row, in the order of insertMessage's columns. */
type MessageRow = [messageId: string, messageContextId: string, contextKey: string, senderId: string, businessFunctionId: string, resourceId: string,
  priority: string, messageDateTime: string, receivedAt: number, sizeBytes: number, gzipSizeBytes: number, schemaVersion: string,
  transactionCount: number, signature: string | null, traceId: string, payloadGzip: Buffer];

/** A message as it sits in one recipient's queue. */
export interface QueuedMessage extends Pick<NewMessage, 'messageId' | 'messageContextId' | 'senderId' | 'businessFunctionId' | 'resourceId'
  | 'priority' | 'messageDateTime' | 'receivedAt' | 'sizeBytes' | 'schemaVersion' | 'transactionCount'> {
  queueItemId: number;
  /** The message's row (messages.id): its transaction-log rows and record are keyed by it. */
  messagePk: number;
  deliverySeq: number | null;
  state: 'delivered' | 'held';
  enqueuedAt: number;
  retrievedAt: number | null;
}

/** An accepted message as stored, with its gzip bytes exactly as received. */
export interface StoredMessage {
  messageId: string;
  messageContextId: string;
  senderId: string;
  businessFunctionId: string;
  resourceId: string;
  priority: 'h' | 'm' | 'l';
  receivedAt: number;
  sizeBytes: number;
  gzipSizeBytes: number;
  schemaVersion: string;
  transactionCount: number;
  signature: string | null;
  payloadGzip: Buffer;
}

export interface QueueFilter {
  recipientId: string;
  /** Items enqueued at or before this instant have expired and are not shown, whether or not expiry has run yet. */
  expiredUpTo: number;
  fromReceivedAt?: number;
  toReceivedAt?: number;
  priority?: 'h' | 'm' | 'l';
}

const QUEUED_COLUMNS = `q.id AS queueItemId, q.message_pk AS messagePk, q.delivery_seq AS deliverySeq, q.state, m.message_id AS messageId,
  m.message_context_id AS messageContextId, m.sender_id AS senderId, m.business_function_id AS businessFunctionId,
  m.resource_id AS resourceId, m.priority, m.message_date_time AS messageDateTime, m.received_at AS receivedAt,
  q.enqueued_at AS enqueuedAt, m.size_bytes AS sizeBytes, m.schema_version AS schemaVersion,
  m.transaction_count AS transactionCount, q.retrieved_at AS retrievedAt`;

const FILTER_SQL = `q.recipient_id = @recipientId AND q.state = 'delivered' AND q.enqueued_at > @expiredUpTo
  AND (@fromReceivedAt IS NULL OR m.received_at >= @fromReceivedAt)
  AND (@toReceivedAt IS NULL OR m.received_at <= @toReceivedAt)
  AND (@priority IS NULL OR m.priority = @priority)`;

// The context id names its sender, so the (sender_id, context_key) index finds the message directly.
const BY_CONTEXT_ID = `FROM messages m JOIN queue_items q ON q.message_pk = m.id AND q.recipient_id = ?
  WHERE m.sender_id = ? AND m.context_key = ? AND q.state = 'delivered' AND q.enqueued_at > ?`;

/**
 * The statements of the LNSP side (list, retrieve, delete, release, expiry): each an index lookup or an
 * index range, never a scan of the queue (test/store/queue-query-plans.test.ts checks their plans,
 * with and without ANALYZE statistics), so a request costs the same at 10 or 1,000,000 queued messages.
 */
export const QUEUE_SQL = {
  item: `SELECT ${QUEUED_COLUMNS} FROM queue_items q JOIN messages m ON m.id = q.message_pk WHERE q.id = ?`,
  oldestHeld: `SELECT ${QUEUED_COLUMNS} FROM queue_items q JOIN messages m ON m.id = q.message_pk
    WHERE q.recipient_id = ? AND q.business_function_id = ? AND q.state = 'held' ORDER BY q.id LIMIT 1`,
  release: `UPDATE queue_items SET state = 'delivered',
    delivery_seq = (SELECT coalesce(max(delivery_seq), 0) + 1 FROM queue_items WHERE recipient_id = @recipientId)
    WHERE id = @id AND state = 'held'`,
  page: `SELECT ${QUEUED_COLUMNS} FROM queue_items q JOIN messages m ON m.id = q.message_pk
    WHERE ${FILTER_SQL} AND q.delivery_seq >= @startAt ORDER BY q.delivery_seq LIMIT @limit`,
  // Only for date or priority filters (proportional to the recipient's queue); unfiltered lists use the kept counter.
  count: `SELECT count(*) AS n FROM queue_items q JOIN messages m ON m.id = q.message_pk WHERE ${FILTER_SQL}`,
  queued: `SELECT ${QUEUED_COLUMNS}, m.payload_gzip AS payloadGzip, m.signature ${BY_CONTEXT_ID}`,
  // The same lookup for DELETE, without the gzip bytes and signature: they sit at the end of the row (in
  // overflow pages for most messages), which SQLite then never reads.
  queuedItem: `SELECT ${QUEUED_COLUMNS} ${BY_CONTEXT_ID}`,
  markRetrieved: 'UPDATE queue_items SET retrieved_at = ? WHERE id = ? AND retrieved_at IS NULL',
  dequeue: 'DELETE FROM queue_items WHERE id = ?',
  // min() over the queue_items_by_enqueued index: one lookup, however long the queues.
  oldestEnqueuedAt: 'SELECT min(enqueued_at) AS at FROM queue_items',
  // Oldest first along the queue_items_by_enqueued index: a range over the due items only (ordering by
  // id alone walked the whole table to find the last batch's end).
  expired: `SELECT ${QUEUED_COLUMNS}, q.recipient_id AS recipientId FROM queue_items q INDEXED BY queue_items_by_enqueued
    JOIN messages m ON m.id = q.message_pk WHERE q.enqueued_at <= ? ORDER BY q.enqueued_at, q.id LIMIT ?`,
  // Delivered but past the retention and not yet removed by expiry: a range of the enqueued index, not the queue.
  overdue: `SELECT count(*) AS n FROM queue_items INDEXED BY queue_items_by_enqueued
    WHERE enqueued_at <= ? AND recipient_id = ? AND business_function_id = ? AND state = 'delivered'`,
} as const;

/**
 * Accepted messages and the receiving participants' queues: plain SQL, one statement per method.
 * Callers that change several rows together (the delivery service) wrap them in `transaction`.
 */
export class MessageStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      exists: db.prepare<[string, string], { id: number }>('SELECT id FROM messages WHERE sender_id = ? AND context_key = ?'),
      // Both bound by position: binding by name looks each parameter up in the object passed, which cost
      // ≈ 2–3 µs more per row on the submission path (issue #13, docs/benchmarks.md "Small submissions,
      // fifth pass"). The order of the values is the order of the columns below.
      insertMessage: prepareInsert<MessageRow>(db,
        `INSERT INTO messages (message_id, message_context_id, context_key, sender_id, business_function_id, resource_id, priority,
           message_date_time, received_at, size_bytes, gzip_size_bytes, schema_version, transaction_count, signature, trace_id, payload_gzip)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      // message_pk, recipient_id, business_function_id, enqueued_at, state, then state and recipient_id again for the delivery sequence.
      enqueue: db.prepare<[number, string, string, number, string, string, string], { id: number; deliverySeq: number | null }>(
        `INSERT INTO queue_items (message_pk, recipient_id, business_function_id, enqueued_at, state, delivery_seq)
         VALUES (?, ?, ?, ?, ?,
           CASE WHEN ? = 'delivered' THEN (SELECT coalesce(max(delivery_seq), 0) + 1 FROM queue_items WHERE recipient_id = ?) END)
         RETURNING id, delivery_seq AS deliverySeq`),
      item: db.prepare(QUEUE_SQL.item),
      oldestHeld: db.prepare(QUEUE_SQL.oldestHeld),
      release: db.prepare(QUEUE_SQL.release),
      page: db.prepare(QUEUE_SQL.page),
      count: db.prepare<Record<string, unknown>, { n: number }>(QUEUE_SQL.count),
      queued: db.prepare(QUEUE_SQL.queued),
      queuedItem: db.prepare(QUEUE_SQL.queuedItem),
      markRetrieved: db.prepare(QUEUE_SQL.markRetrieved),
      dequeue: db.prepare(QUEUE_SQL.dequeue),
      oldestEnqueuedAt: db.prepare<[], { at: number | null }>(QUEUE_SQL.oldestEnqueuedAt),
      expired: db.prepare(QUEUE_SQL.expired),
      overdue: db.prepare<[number, string, string], { n: number }>(QUEUE_SQL.overdue),
      recount: db.prepare<[string, string], { delivered: number; unretrieved: number; held: number }>(
        `SELECT count(CASE WHEN state = 'delivered' THEN 1 END) AS delivered,
           count(CASE WHEN state = 'delivered' AND retrieved_at IS NULL THEN 1 END) AS unretrieved, count(CASE WHEN state = 'held' THEN 1 END) AS held
         FROM queue_items WHERE recipient_id = ? AND business_function_id = ?`),
      byMessageId: db.prepare<[string], StoredMessage>(`SELECT message_id AS messageId, message_context_id AS messageContextId,
        sender_id AS senderId, business_function_id AS businessFunctionId, resource_id AS resourceId, priority, received_at AS receivedAt,
        size_bytes AS sizeBytes, gzip_size_bytes AS gzipSizeBytes, schema_version AS schemaVersion, transaction_count AS transactionCount,
        signature, payload_gzip AS payloadGzip FROM messages WHERE message_id = ?`),
    };
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  isDuplicate(senderId: string, contextKey: string): boolean {
    return this.stmts.exists.get(senderId, contextKey) !== undefined;
  }

  insertMessage(message: NewMessage): number {
    const m = message;
    return this.stmts.insertMessage(m.messageId, m.messageContextId, m.contextKey, m.senderId, m.businessFunctionId, m.resourceId, m.priority,
      m.messageDateTime, m.receivedAt, m.sizeBytes, m.payloadGzip.length, m.schemaVersion, m.transactionCount, m.signature, m.traceId, m.payloadGzip);
  }

  /** Puts a message in a recipient's queue, visible (`delivered`) or `held` by flow control. */
  enqueue(message: NewMessage, messagePk: number, recipientId: string, at: number, state: 'delivered' | 'held'): QueuedMessage {
    const { id, deliverySeq } = this.stmts.enqueue.get(messagePk, recipientId, message.businessFunctionId, at, state, state, recipientId)!;
    return {
      queueItemId: id, messagePk, deliverySeq, state, enqueuedAt: at, retrievedAt: null,
      messageId: message.messageId, messageContextId: message.messageContextId, senderId: message.senderId,
      businessFunctionId: message.businessFunctionId, resourceId: message.resourceId, priority: message.priority,
      messageDateTime: message.messageDateTime, receivedAt: message.receivedAt, sizeBytes: message.sizeBytes,
      schemaVersion: message.schemaVersion, transactionCount: message.transactionCount,
    };
  }

  /** Delivers the oldest held message of a recipient's business function, if any. */
  releaseOldestHeld(recipientId: string, businessFunctionId: string): QueuedMessage | undefined {
    const held = this.stmts.oldestHeld.get(recipientId, businessFunctionId) as QueuedMessage | undefined;
    if (!held) return undefined;
    this.stmts.release.run({ id: held.queueItemId, recipientId });
    return this.stmts.item.get(held.queueItemId) as QueuedMessage;
  }

  /** A page of queue metadata in delivery order, starting at delivery sequence `startAt`. */
  page(filter: QueueFilter, startAt: number, limit: number): QueuedMessage[] {
    return this.stmts.page.all({ ...this.filterParams(filter), startAt, limit }) as QueuedMessage[];
  }

  /** Counts the filtered queue (a date or priority filter): proportional to the recipient's queue. Unfiltered lists use the kept counter. */
  count(filter: QueueFilter): number {
    return this.stmts.count.get(this.filterParams(filter))!.n;
  }

  /** The delivered message with its stored gzip bytes, if it is in this recipient's queue. */
  queued(recipientId: string, senderId: string, contextKey: string, expiredUpTo: number): (QueuedMessage & { payloadGzip: Buffer; signature: string | null }) | undefined {
    return this.stmts.queued.get(recipientId, senderId, contextKey, expiredUpTo) as (QueuedMessage & { payloadGzip: Buffer; signature: string | null }) | undefined;
  }

  /** The delivered message's queue item (no payload), if it is in this recipient's queue. */
  queuedItem(recipientId: string, senderId: string, contextKey: string, expiredUpTo: number): QueuedMessage | undefined {
    return this.stmts.queuedItem.get(recipientId, senderId, contextKey, expiredUpTo) as QueuedMessage | undefined;
  }

  /** True when this was the first retrieval. */
  markRetrieved(queueItemId: number, at: number): boolean {
    return this.stmts.markRetrieved.run(at, queueItemId).changes > 0;
  }

  /** False when the item was already gone (removed meanwhile by another request or instance). */
  dequeue(queueItemId: number): boolean {
    return this.stmts.dequeue.run(queueItemId).changes > 0;
  }

  /** When the longest-waiting queue item was enqueued; undefined when every queue is empty. */
  oldestEnqueuedAt(): number | undefined {
    return this.stmts.oldestEnqueuedAt.get()!.at ?? undefined;
  }

  /** Queue items (delivered or held) enqueued at or before `cutoff`, oldest first. */
  expired(cutoff: number, limit: number): Array<QueuedMessage & { recipientId: string }> {
    return this.stmts.expired.all(cutoff, limit) as Array<QueuedMessage & { recipientId: string }>;
  }

  /** Delivered items of this queue enqueued at or before `expiredUpTo` (expired, not removed yet). */
  countOverdue(recipientId: string, businessFunctionId: string, expiredUpTo: number): number {
    return this.stmts.overdue.get(expiredUpTo, recipientId, businessFunctionId)!.n;
  }

  /** Counts from the queue itself, to check the flow-control counters against. */
  recount(recipientId: string, businessFunctionId: string): { delivered: number; unretrieved: number; held: number } {
    return this.stmts.recount.get(recipientId, businessFunctionId)!;
  }

  /** The stored message with this hub-assigned messageId, whoever sent or received it (callers check visibility). */
  byMessageId(messageId: string): StoredMessage | undefined {
    return this.stmts.byMessageId.get(messageId);
  }

  private filterParams(filter: QueueFilter) {
    return {
      recipientId: filter.recipientId,
      expiredUpTo: filter.expiredUpTo,
      fromReceivedAt: filter.fromReceivedAt ?? null,
      toReceivedAt: filter.toReceivedAt ?? null,
      priority: filter.priority ?? null,
    };
  }
}
