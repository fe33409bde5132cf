import type { Db } from './database.js';

export interface ReceivedBpqd {
  messageContextId: string;
  senderId: string;
  receivedAt: number;
  payloadGzip: Buffer;
}

/** The accepted BPQD messages the coverage report reads (issue #10), by arrival time. */
export class CoverageStore {
  constructor(private readonly db: Db) {}

  /** Accepted pqd/bpqd messages received in [from, to], oldest first, one at a time (payloads can be large). */
  *receivedBetween(from: number, to: number): Generator<ReceivedBpqd> {
    yield* this.db.prepare<[number, number], ReceivedBpqd>(
      `SELECT message_context_id AS messageContextId, sender_id AS senderId, received_at AS receivedAt, payload_gzip AS payloadGzip
         FROM messages WHERE business_function_id = 'pqd' AND resource_id = 'bpqd' AND received_at BETWEEN ? AND ? ORDER BY id`).iterate(from, to);
  }
}
