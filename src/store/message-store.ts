import type { Db } from './database.js';
import type { TransactionLog } from './transaction-log.js';

export interface NewMessage {
  messageId: string;
  messageContextId: string;
  contextKey: string;
  senderId: string;
  businessFunctionId: string;
  resourceId: string;
  priority: 'h' | 'm' | 'l';
  messageDateTime: string;
  receivedAt: number;
  sizeBytes: number;
  schemaVersion: string;
  transactionCount: number;
  signature: string | null;
  traceId: string;
  payloadGzip: Buffer;
}

export interface QueuedMessage {
  queueItemId: number;
  messageId: string;
  messageContextId: string;
  senderId: string;
  businessFunctionId: string;
  resourceId: string;
  priority: 'h' | 'm' | 'l';
  messageDateTime: string;
  receivedAt: number;
  sizeBytes: number;
  schemaVersion: string;
  transactionCount: number;
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
  fromReceivedAt?: number;
  toReceivedAt?: number;
  priority?: 'h' | 'm' | 'l';
}

const QUEUED_COLUMNS = `q.id AS queueItemId, m.message_id AS messageId, m.message_context_id AS messageContextId,
  m.sender_id AS senderId, m.business_function_id AS businessFunctionId, m.resource_id AS resourceId, m.priority,
  m.message_date_time AS messageDateTime, m.received_at AS receivedAt, m.size_bytes AS sizeBytes,
  m.schema_version AS schemaVersion, m.transaction_count AS transactionCount, q.retrieved_at AS retrievedAt`;

const FILTER_SQL = `q.recipient_id = @recipientId
  AND (@fromReceivedAt IS NULL OR m.received_at >= @fromReceivedAt)
  AND (@toReceivedAt IS NULL OR m.received_at <= @toReceivedAt)
  AND (@priority IS NULL OR m.priority = @priority)`;

/**
 * Accepted messages and the receiving participants' queues. Every state change is written to the
 * transaction log in the same SQLite transaction, so the log never disagrees with the queue.
 */
export class MessageStore {
  private readonly stmts;

  constructor(private readonly db: Db, private readonly log: TransactionLog) {
    this.stmts = {
      exists: db.prepare<[string, string], { id: number }>('SELECT id FROM messages WHERE sender_id = ? AND context_key = ?'),
      insertMessage: db.prepare(
        `INSERT INTO messages (message_id, message_context_id, context_key, sender_id, business_function_id, resource_id, priority,
           message_date_time, received_at, size_bytes, gzip_size_bytes, schema_version, transaction_count, signature, trace_id, payload_gzip)
         VALUES (@messageId, @messageContextId, @contextKey, @senderId, @businessFunctionId, @resourceId, @priority,
           @messageDateTime, @receivedAt, @sizeBytes, @gzipSizeBytes, @schemaVersion, @transactionCount, @signature, @traceId, @payloadGzip)`),
      enqueue: db.prepare('INSERT INTO queue_items (message_pk, recipient_id, enqueued_at) VALUES (?, ?, ?)'),
      page: db.prepare(`SELECT ${QUEUED_COLUMNS} FROM queue_items q JOIN messages m ON m.id = q.message_pk
        WHERE ${FILTER_SQL} AND q.id >= @afterOrAt ORDER BY q.id LIMIT @limit`),
      count: db.prepare<Record<string, unknown>, { n: number }>(`SELECT count(*) AS n FROM queue_items q JOIN messages m ON m.id = q.message_pk WHERE ${FILTER_SQL}`),
      queued: db.prepare(`SELECT ${QUEUED_COLUMNS}, m.payload_gzip AS payloadGzip, m.signature
        FROM queue_items q JOIN messages m ON m.id = q.message_pk
        WHERE q.recipient_id = ? AND m.context_key = ?`),
      markRetrieved: db.prepare('UPDATE queue_items SET retrieved_at = ? WHERE id = ? AND retrieved_at IS NULL'),
      dequeue: db.prepare('DELETE FROM queue_items WHERE id = ?'),
      byMessageId: db.prepare<[string], StoredMessage>(`SELECT message_id AS messageId, message_context_id AS messageContextId,
        sender_id AS senderId, business_function_id AS businessFunctionId, resource_id AS resourceId, priority, received_at AS receivedAt,
        size_bytes AS sizeBytes, gzip_size_bytes AS gzipSizeBytes, schema_version AS schemaVersion, transaction_count AS transactionCount,
        signature, payload_gzip AS payloadGzip FROM messages WHERE message_id = ?`),
    };
  }

  isDuplicate(senderId: string, contextKey: string): boolean {
    return this.stmts.exists.get(senderId, contextKey) !== undefined;
  }

  /** Stores an accepted message and puts it in each recipient's queue, atomically. Returns the message's row id. */
  accept(message: NewMessage, recipients: readonly string[]): number {
    return this.db.transaction(() => {
      const { lastInsertRowid } = this.stmts.insertMessage.run({ ...message, gzipSizeBytes: message.payloadGzip.length });
      const messagePk = Number(lastInsertRowid);
      for (const recipientId of recipients) {
        this.stmts.enqueue.run(messagePk, recipientId, message.receivedAt);
        this.log.append({
          loggedAt: message.receivedAt, traceId: message.traceId, messageId: message.messageId,
          messageContextId: message.messageContextId, businessFunctionId: message.businessFunctionId,
          resourceId: message.resourceId, fromParticipant: message.senderId, toParticipant: recipientId,
          messageType: 'message', priority: message.priority, status: 'delivery_pending',
        });
      }
      return messagePk;
    })();
  }

  /** A page of queue metadata, in queue order, starting at queue item `startAt`. */
  page(filter: QueueFilter, startAt: number, limit: number): QueuedMessage[] {
    return this.stmts.page.all({ ...this.filterParams(filter), afterOrAt: startAt, limit }) as QueuedMessage[];
  }

  count(filter: QueueFilter): number {
    return this.stmts.count.get(this.filterParams(filter))!.n;
  }

  /** The queued message with its stored gzip bytes, if it is in this recipient's queue. */
  queued(recipientId: string, contextKey: string): (QueuedMessage & { payloadGzip: Buffer; signature: string | null }) | undefined {
    return this.stmts.queued.get(recipientId, contextKey) as (QueuedMessage & { payloadGzip: Buffer; signature: string | null }) | undefined;
  }

  /** First retrieval completes delivery (spec §4.5 `completed`); later GETs change nothing. */
  markRetrieved(item: QueuedMessage, recipientId: string, at: number, traceId: string): void {
    this.db.transaction(() => {
      if (this.stmts.markRetrieved.run(at, item.queueItemId).changes === 0) return;
      this.logChange(item, recipientId, at, traceId, 'completed', 'RETRIEVED', 'retrieved by the receiving participant');
    })();
  }

  /** Removes the message from the recipient's queue (spec §4.5 `removed`). */
  remove(item: QueuedMessage, recipientId: string, at: number, traceId: string, reasonCode: string, detail: string): void {
    this.db.transaction(() => {
      this.stmts.dequeue.run(item.queueItemId);
      this.logChange(item, recipientId, at, traceId, 'removed', reasonCode, detail);
    })();
  }

  /** The stored message with this hub-assigned messageId, whoever sent or received it (callers check visibility). */
  byMessageId(messageId: string): StoredMessage | undefined {
    return this.stmts.byMessageId.get(messageId);
  }

  private logChange(item: QueuedMessage, recipientId: string, at: number, traceId: string, status: 'completed' | 'removed', reasonCode: string, detail: string): void {
    this.log.append({
      loggedAt: at, traceId, messageId: item.messageId, messageContextId: item.messageContextId,
      businessFunctionId: item.businessFunctionId, resourceId: item.resourceId, fromParticipant: item.senderId,
      toParticipant: recipientId, messageType: 'message', priority: item.priority, status, reasonCode, detail,
    });
  }

  private filterParams(filter: QueueFilter) {
    return {
      recipientId: filter.recipientId,
      fromReceivedAt: filter.fromReceivedAt ?? null,
      toReceivedAt: filter.toReceivedAt ?? null,
      priority: filter.priority ?? null,
    };
  }
}
