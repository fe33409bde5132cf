/**
 * The fields every participant-facing view of a stored message shares — PQD queue metadata (spec §4.1)
 * and outbound-archive records (spec §4.6) — named and formatted as the contract says: priority as a
 * word, times in market time (AEST, +10:00).
 */
import { formatMarketDateTime } from './market-time.js';
import { PRIORITY_WORD, type PriorityLetter } from './message-context-id.js';

/** What the hub knows of an accepted message, whichever table it is read from. */
export interface StoredMessageFacts {
  messageContextId: string;
  messageId: string;
  businessFunctionId: string;
  resourceId: string;
  senderId: string;
  priority: PriorityLetter;
  messageDateTime: string;
  receivedAt: number;
  sizeBytes: number;
  schemaVersion: string;
}

export function messageFields(m: StoredMessageFacts) {
  return {
    messageContextId: m.messageContextId,
    messageId: m.messageId,
    businessFunctionId: m.businessFunctionId,
    businessFunctionResourceId: m.resourceId,
    initiatingParticipantId: m.senderId,
    priority: PRIORITY_WORD[m.priority],
    messageDateTime: m.messageDateTime,
    receivedDateTime: formatMarketDateTime(m.receivedAt),
    sizeBytes: m.sizeBytes,
    schemaVersion: m.schemaVersion,
  };
}
