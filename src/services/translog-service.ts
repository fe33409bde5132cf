/**
 * The Transaction Log API (spec §4.5, TL-OAS 1.0.5; seed 000 Table 7 "TransLog screen — filter, sort,
 * advanced search; view and download the message"): search with stable cursors, CSV export of the same
 * search, a message's full history ("related records", fan-out) and its payload. A participant only
 * ever reads records it initiated or received.
 */
import type { Clock } from '../domain/clock.js';
import { IdxError } from '../domain/errors.js';
import { dateTimeParameter, formatMarketDateTime } from '../domain/market-time.js';
import { PRIORITY_WORD, type PriorityLetter } from '../domain/message-context-id.js';
import {
  CSV_HEADER, decodeTranslogCursor, DEFAULT_SORT, encodeTranslogCursor, parseSort, recordCsvLine, TRANSLOG_ITEM_COUNT_DEFAULT,
  type MessageStatus, type MessageType, type SortOrder, type TranslogRecord,
} from '../domain/translog.js';
import type { MessageStore, StoredMessage } from '../store/message-store.js';
import type { TransactionLogRow } from '../store/transaction-log.js';
import type { TranslogFilter, TranslogRow, TranslogSearch } from '../store/translog-search.js';
import type { Page } from './bpqd-service.js';
import type { QueryOf } from '../contract/types/index.js';

const DAY_MS = 86_400_000;
/** Records per query while streaming an export: big enough to be quick, small enough to keep memory flat. */
const EXPORT_BATCH = 1000;
/** idx-sim hosts the NEM's business functions only, so every record it logs belongs to the NEM (spec §1). */
const LOGGED_MARKET = 'NEM';

export interface TranslogSettings {
  archiveRetentionDays: number;
  translogExportMaxRows: number;
}

/** Query parameters of spec §4.5, verbatim, plus `sort` (idx-sim extension). Validated by the contract. */
/** The query parameters of `listTransactionLog`, as generated from the OpenAPI document (src/contract/types). */
export type TranslogQuery = QueryOf<'listTransactionLog'>;

export interface TranslogEvent {
  eventDateTime: string;
  messageStatus: MessageStatus;
  fromParticipant: string | null;
  toParticipant: string | null;
  traceId: string;
  reasonCode: string | null;
  detail: string | null;
}

export interface TranslogMessageDetail {
  messageId: string;
  messageContextId: string | null;
  messageType: MessageType;
  businessFunctionId: string | null;
  businessFunctionResourceId: string | null;
  priority: TranslogRecord['priority'];
  fromParticipant: string | null;
  receivedDateTime: string;
  isArchived: boolean;
  archivedUntilDateTime: string;
  payload: { sizeBytes: number; gzipSizeBytes: number; schemaVersion: string; transactionCount: number; signed: boolean } | null;
  /** One per receiving participant the caller may see: all of them for the sender, its own for a receiver. */
  records: TranslogRecord[];
  /** Every status change the caller may see, and the refusals of its requests naming this messageContextId. */
  events: TranslogEvent[];
}

export interface TranslogExport {
  filename: string;
  totalRecords: number;
  chunks: AsyncGenerator<string>;
}

export class TranslogService {
  constructor(
    private readonly search: TranslogSearch,
    private readonly messages: MessageStore,
    private readonly settings: TranslogSettings,
    private readonly clock: Clock,
  ) {}

  list(participantId: string, q: TranslogQuery, market: string | undefined): Page<TranslogRecord> {
    const itemCount = q.itemCount ?? TRANSLOG_ITEM_COUNT_DEFAULT;
    const sort = parseSort(q.sort);
    const filter = this.filter(participantId, q);
    const from = q.cursor === undefined ? undefined : decodeTranslogCursor(q.cursor, sort);
    if (market !== undefined && market !== LOGGED_MARKET) return { data: [], meta: { itemCount: 0, nextCursor: null, totalRecords: 0, totalPages: 0 } };
    const rows = this.search.page(filter, sort, from, itemCount + 1);
    const page = rows.slice(0, itemCount);
    const next = rows[itemCount];
    const totalRecords = this.search.count(filter);
    return {
      data: page.map((row) => this.toRecord(row)),
      meta: {
        itemCount: page.length,
        nextCursor: next ? encodeTranslogCursor(sort, { value: next.sortValue, recordId: next.recordId }) : null,
        totalRecords,
        totalPages: Math.ceil(totalRecords / itemCount),
      },
    };
  }

  /** Every record of the search as CSV (RFC 4180), header first; refused when more than the export limit match. */
  exportCsv(participantId: string, q: Omit<TranslogQuery, 'itemCount' | 'cursor'>, market: string | undefined): TranslogExport {
    const sort = parseSort(q.sort);
    const filter = this.filter(participantId, q);
    const holdsMarket = market === undefined || market === LOGGED_MARKET;
    const totalRecords = holdsMarket ? this.search.count(filter) : 0;
    const max = this.settings.translogExportMaxRows;
    if (totalRecords > max) {
      throw new IdxError('IDX_ERR_EXPORT_TOO_LARGE',
        `${totalRecords} records match; one export holds at most ${max} (IDX_SIM_TRANSLOG_EXPORT_MAX_ROWS). Narrow the search, e.g. with startDateTime and endDateTime, and export in parts`,
        // The search is what is too wide; its time range is the usual way to narrow it.
        { errors: (['startDateTime', 'endDateTime'] as const).map((name) => ({ in: 'query' as const, name, code: 'TOO_MANY_RECORDS', message: `${totalRecords} records match, more than ${max}: narrow the time range` })) });
    }
    const stamp = formatMarketDateTime(this.clock.now()).slice(0, 19).replace(/[-:]/g, '');
    return { filename: `translog-${participantId}-${stamp}.csv`, totalRecords, chunks: this.csvChunks(filter, sort, holdsMarket ? max : 0) };
  }

  detail(participantId: string, messageId: string, market: string | undefined): TranslogMessageDetail {
    const rows = this.visibleRecords(participantId, messageId, market);
    const first = rows[0]!;
    const records = rows.map((row) => this.toRecord(row));
    const stored = this.messages.byMessageId(messageId);
    const events = this.search.events(messageId, (first.messageContextId ?? '').toLowerCase(), participantId).map(toEvent);
    return {
      messageId,
      messageContextId: first.messageContextId,
      messageType: first.messageType as MessageType,
      businessFunctionId: first.businessFunctionId,
      businessFunctionResourceId: first.resourceId,
      priority: priorityWord(first.priority),
      fromParticipant: first.fromParticipant,
      receivedDateTime: formatMarketDateTime(first.receivedAt),
      isArchived: first.archived === 1,
      archivedUntilDateTime: formatMarketDateTime(first.receivedAt + this.retentionMs()),
      payload: stored ? {
        sizeBytes: stored.sizeBytes, gzipSizeBytes: stored.gzipSizeBytes, schemaVersion: stored.schemaVersion,
        transactionCount: stored.transactionCount, signed: stored.signature !== null,
      } : null,
      records,
      events,
    };
  }

  /** The stored gzip bytes of a message the caller sent or received, while the archive holds them. Changes no status. */
  payload(participantId: string, messageId: string, market: string | undefined): StoredMessage {
    const [record] = this.visibleRecords(participantId, messageId, market);
    const stored = this.messages.byMessageId(messageId);
    if (!stored || record!.archived !== 1) {
      const until = formatMarketDateTime(record!.receivedAt + this.retentionMs());
      throw new IdxError('IDX_ERR_PAYLOAD_NOT_RETAINED',
        `${messageId} was received ${formatMarketDateTime(record!.receivedAt)}; the archive keeps payloads ${this.settings.archiveRetentionDays} days ` +
        `(IDX_SIM_ARCHIVE_RETENTION_DAYS), so it was released at ${until}. Its transaction-log history remains`,
        { errors: [{ in: 'path', name: 'messageId', code: 'NOT_RETAINED', message: `payload released at ${until}` }], messageContextId: record!.messageContextId ?? undefined });
    }
    return stored;
  }

  /** The caller's records of a message; the same 404 whether it never existed or belongs to others. */
  private visibleRecords(participantId: string, messageId: string, market: string | undefined): TranslogRow[] {
    const rows = market === undefined || market === LOGGED_MARKET
      ? this.search.page({ participantId, messageId, archivedSince: this.archivedSince() }, DEFAULT_SORT, undefined, 10_000)
      : [];
    if (rows.length === 0) {
      throw new IdxError('IDX_ERR_TRANSLOG_MESSAGE_NOT_FOUND',
        `no message ${messageId} that ${participantId} sent or received${market && market !== LOGGED_MARKET ? ` in market ${market}` : ''}; ` +
        'search GET /translog/v1/messages for its messageId',
        { errors: [{ in: 'path', name: 'messageId', code: 'NOT_FOUND', message: 'not in your transaction log' }] });
    }
    return rows;
  }

  private async *csvChunks(filter: TranslogFilter, sort: SortOrder, max: number): AsyncGenerator<string> {
    yield CSV_HEADER;
    let from: { value: string | number; recordId: number } | undefined;
    let sent = 0;
    while (sent < max) {
      const want = Math.min(EXPORT_BATCH, max - sent);
      const rows = this.search.page(filter, sort, from, want + 1);
      const batch = rows.slice(0, want);
      if (batch.length === 0) return;
      sent += batch.length;
      yield batch.map((row) => recordCsvLine(this.toRecord(row))).join('');
      const next = rows[want];
      if (!next) return;
      from = { value: next.sortValue, recordId: next.recordId };
    }
  }

  private filter(participantId: string, q: Omit<TranslogQuery, 'itemCount' | 'cursor'>): TranslogFilter {
    // The contract checks the shape; the parser refuses dates that do not exist (TL-OAS: milliseconds required).
    const receivedFrom = dateTimeParameter('startDateTime', q.startDateTime, { millisecondsRequired: true });
    const receivedTo = dateTimeParameter('endDateTime', q.endDateTime, { millisecondsRequired: true });
    if (receivedFrom !== undefined && receivedTo !== undefined && receivedFrom > receivedTo) {
      throw new IdxError('IDX_ERR_QUERY_INVALID', `startDateTime ${q.startDateTime} is after endDateTime ${q.endDateTime}`,
        { errors: [{ in: 'query', name: 'startDateTime', code: 'RANGE', message: 'after endDateTime' }] });
    }
    return {
      participantId,
      toParticipant: q.toParticipant,
      fromParticipant: q.fromParticipant,
      messageId: q.messageId,
      messageContextKey: q.messageContextId?.toLowerCase(),
      status: q.messageStatus,
      messageType: q.messageType,
      receivedFrom,
      receivedTo,
      archived: q.isArchived,
      archivedSince: this.archivedSince(),
    };
  }

  private retentionMs(): number {
    return this.settings.archiveRetentionDays * DAY_MS;
  }

  private archivedSince(): number {
    return this.clock.now() - this.retentionMs();
  }

  private toRecord(row: TranslogRow): TranslogRecord {
    return {
      messageContextId: row.messageContextId,
      messageId: row.messageId,
      messageType: row.messageType as MessageType,
      businessFunctionId: row.businessFunctionId,
      businessFunctionResourceId: row.resourceId,
      priority: priorityWord(row.priority),
      fromParticipant: row.fromParticipant,
      toParticipant: row.toParticipant,
      messageStatus: row.status as MessageStatus,
      receivedDateTime: formatMarketDateTime(row.receivedAt),
      statusDateTime: formatMarketDateTime(row.statusAt),
      isArchived: row.archived === 1,
      traceId: row.traceId,
      reasonCode: row.reasonCode,
      detail: row.detail,
    };
  }
}

function priorityWord(letter: string | null): TranslogRecord['priority'] {
  return letter === null ? null : PRIORITY_WORD[letter as PriorityLetter] ?? null;
}

function toEvent(row: TransactionLogRow): TranslogEvent {
  return {
    eventDateTime: formatMarketDateTime(row.loggedAt),
    messageStatus: row.status,
    fromParticipant: row.fromParticipant,
    toParticipant: row.toParticipant,
    traceId: row.traceId,
    reasonCode: row.reasonCode,
    detail: row.detail,
  };
}
