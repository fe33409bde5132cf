/**
 * Transaction Log (spec §4.5, TL-OAS 1.0.5): the record model, sorting, cursors and the CSV export
 * format. Pure — no SQL, no Fastify. A record is one message × receiving participant, showing its
 * current status, or one refused request (`message_rejected`).
 */
import { decodeCursor, encodeCursor, invalidCursor, isPositiveInteger, isString, isStringOrNumber } from './cursor.js';
import type { PriorityWord } from './message-context-id.js';

/** spec §4.5 [S]: the published `messageStatus` enum, verbatim. */
export const MESSAGE_STATUSES = ['delivery_pending', 'completed', 'removed', 'message_acked', 'message_rejected'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** spec §4.5 [S]: the published `messageType` enum. BPQD is fire and forget, so only `message` occurs. */
export const MESSAGE_TYPES = ['message', 'tack'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** spec §4.5 [S]: `itemCount` "default up to 100, max 500". */
export const TRANSLOG_ITEM_COUNT_DEFAULT = 100;
export const TRANSLOG_ITEM_COUNT_MAX = 500;

/** One Transaction Log record, as the API returns it (JSON) and exports it (CSV, same fields and order). */
export interface TranslogRecord {
  messageContextId: string | null;
  messageId: string | null;
  messageType: MessageType;
  businessFunctionId: string | null;
  businessFunctionResourceId: string | null;
  priority: PriorityWord | null;
  fromParticipant: string | null;
  toParticipant: string | null;
  messageStatus: MessageStatus;
  /** When the hub received the message, or refused the request. */
  receivedDateTime: string;
  /** When the record reached its current status. */
  statusDateTime: string;
  isArchived: boolean;
  /** Trace id of the request that set the current status. */
  traceId: string;
  reasonCode: string | null;
  detail: string | null;
}

/** CSV columns: every field of a record, in the JSON order, named as in JSON. */
export const CSV_COLUMNS = [
  'messageContextId', 'messageId', 'messageType', 'businessFunctionId', 'businessFunctionResourceId', 'priority',
  'fromParticipant', 'toParticipant', 'messageStatus', 'receivedDateTime', 'statusDateTime', 'isArchived', 'traceId',
  'reasonCode', 'detail',
] as const satisfies ReadonlyArray<keyof TranslogRecord>;

/** `sort` (an idx-sim extension: the Web App's TransLog screen sorts, spec seed 000 Table 7). */
export const SORT_KEYS = ['receivedDateTime', 'statusDateTime', 'messageContextId', 'fromParticipant', 'toParticipant', 'messageStatus'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export interface SortOrder {
  key: SortKey;
  descending: boolean;
}
export const DEFAULT_SORT: SortOrder = { key: 'receivedDateTime', descending: false };

/** `receivedDateTime` ascending; `-statusDateTime` descending. The schema has already checked the name. */
export function parseSort(raw: string | undefined): SortOrder {
  if (raw === undefined) return DEFAULT_SORT;
  const descending = raw.startsWith('-');
  return { key: (descending ? raw.slice(1) : raw) as SortKey, descending };
}

export function formatSort(sort: SortOrder): string {
  return `${sort.descending ? '-' : ''}${sort.key}`;
}

/** Where the next page starts: the sort value and record number of its first record (keyset paging). */
export interface TranslogPosition {
  value: string | number;
  recordId: number;
}

const TRANSLOG_CURSOR = 'translog';

/** Opaque to callers; inside, the sort it belongs to and the position of the next page's first record. */
export function encodeTranslogCursor(sort: SortOrder, position: TranslogPosition): string {
  return encodeCursor(TRANSLOG_CURSOR, [formatSort(sort), position.value, position.recordId]);
}

export function decodeTranslogCursor(cursor: string, sort: SortOrder): TranslogPosition {
  const [sortName, value, recordId] = decodeCursor(TRANSLOG_CURSOR, cursor, [isString, isStringOrNumber, isPositiveInteger]);
  // Keyset positions only mean something in the order they were taken in.
  if (sortName !== formatSort(sort)) throw invalidCursor(`cursor was issued for sort=${String(sortName)}, not sort=${formatSort(sort)}`);
  return { value: value!, recordId: recordId as number };
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled. null is an
 * empty field. A text field starting with = + - @ or a tab gets a leading apostrophe, so a spreadsheet
 * never runs a formula smuggled in through, say, a refused request's messageContextId (OWASP CSV injection).
 */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV line, CRLF-terminated (RFC 4180 §2). */
export function csvLine(values: ReadonlyArray<string | number | boolean | null>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export const CSV_HEADER = csvLine(CSV_COLUMNS);

export function recordCsvLine(record: TranslogRecord): string {
  return csvLine(CSV_COLUMNS.map((column) => record[column]));
}
