/**
 * Searches of the Transaction Log (spec §4.5) over `translog_records`, the current-state projection
 * of the append-only transaction_log. Every query is scoped to one participant: only records it
 * initiated or received are ever read.
 */
import type { SortKey, SortOrder, TranslogPosition } from '../domain/translog.js';
import type { Db } from './database.js';
import type { TransactionLogRow } from './transaction-log.js';

export interface TranslogFilter {
  /** The caller: a record is visible when it is the initiating or the receiving participant. */
  participantId: string;
  toParticipant?: string;
  fromParticipant?: string;
  messageId?: string;
  /** Lower-cased messageContextId (context ids compare case-insensitively, docs/spec-variance.md). */
  messageContextKey?: string;
  status?: string;
  messageType?: string;
  /** Record creation (received) time window, inclusive, epoch ms. */
  receivedFrom?: number;
  receivedTo?: number;
  archived?: boolean;
  /** Messages received after this instant are still in the archive (now − retention). */
  archivedSince: number;
}

export interface TranslogRow {
  recordId: number;
  sortValue: string | number;
  receivedAt: number;
  statusAt: number;
  status: string;
  messageId: string | null;
  messageContextId: string | null;
  businessFunctionId: string | null;
  resourceId: string | null;
  fromParticipant: string | null;
  toParticipant: string | null;
  messageType: string;
  priority: string | null;
  traceId: string;
  reasonCode: string | null;
  detail: string | null;
  archived: 0 | 1;
}

/** Sort keys → SQL. Nullable columns sort as '' so that keyset comparisons never meet NULL. */
const SORT_SQL: Record<SortKey, string> = {
  receivedDateTime: 'r.created_at',
  statusDateTime: 'r.status_at',
  messageContextId: "COALESCE(r.message_context_key, '')",
  fromParticipant: "COALESCE(r.from_participant, '')",
  toParticipant: "COALESCE(r.to_participant, '')",
  messageStatus: 'r.status',
};

/** A message's payload is archived while it is still stored and younger than the retention period. */
const ARCHIVED_SQL = `(r.message_id IS NOT NULL AND r.created_at > @archivedSince
  AND EXISTS (SELECT 1 FROM messages m WHERE m.id = r.message_pk))`;

const FILTER_SQL = `(r.from_participant = @participantId OR r.to_participant = @participantId)
  AND (@toParticipant IS NULL OR r.to_participant = @toParticipant)
  AND (@fromParticipant IS NULL OR r.from_participant = @fromParticipant)
  AND (@messageId IS NULL OR r.message_id = @messageId)
  AND (@messageContextKey IS NULL OR r.message_context_key = @messageContextKey)
  AND (@status IS NULL OR r.status = @status)
  AND (@messageType IS NULL OR r.message_type = @messageType)
  AND (@receivedFrom IS NULL OR r.created_at >= @receivedFrom)
  AND (@receivedTo IS NULL OR r.created_at <= @receivedTo)
  AND (@archived IS NULL OR ${ARCHIVED_SQL} = @archived)`;

const LOG_COLUMNS = `l.id, l.logged_at AS loggedAt, l.trace_id AS traceId, l.message_id AS messageId, l.message_context_id AS messageContextId,
  l.business_function_id AS businessFunctionId, l.resource_id AS resourceId, l.from_participant AS fromParticipant,
  l.to_participant AS toParticipant, l.message_type AS messageType, l.priority, l.status, l.reason_code AS reasonCode, l.detail`;

export class TranslogSearch {
  private readonly pages = new Map<string, ReturnType<Db['prepare']>>();
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      count: db.prepare<Record<string, unknown>, { n: number }>(`SELECT count(*) AS n FROM translog_records r WHERE ${FILTER_SQL}`),
      // The message's own rows the caller is party to, and the refusals of the caller's requests that named its messageContextId.
      events: db.prepare<{ messageId: string; messageContextKey: string; participantId: string }, TransactionLogRow>(
        `SELECT ${LOG_COLUMNS} FROM transaction_log l
          WHERE l.message_pk = (SELECT m.id FROM messages m WHERE m.message_id = @messageId)
            AND (l.from_participant = @participantId OR l.to_participant = @participantId)
         UNION ALL
         SELECT ${LOG_COLUMNS} FROM translog_records r JOIN transaction_log l ON l.id = r.last_log_id
          WHERE r.message_context_key = @messageContextKey AND r.message_id IS NULL
            AND (r.from_participant = @participantId OR r.to_participant = @participantId)
         ORDER BY 1`),
    };
  }

  /** A page in `sort` order, starting at `from` (inclusive) when given. */
  page(filter: TranslogFilter, sort: SortOrder, from: TranslogPosition | undefined, limit: number): TranslogRow[] {
    const params = {
      ...this.filterParams(filter),
      fromValue: from?.value ?? null,
      fromRecordId: from?.recordId ?? null,
      limit,
    };
    return this.pageStatement(sort).all(params) as TranslogRow[];
  }

  count(filter: TranslogFilter): number {
    return this.stmts.count.get(this.filterParams(filter))!.n;
  }

  /** Log rows of one message visible to the participant, plus its related refusals, oldest first. */
  events(messageId: string, messageContextKey: string, participantId: string): TransactionLogRow[] {
    return this.stmts.events.all({ messageId, messageContextKey, participantId });
  }

  /** One prepared statement per sort order, compiled on first use. */
  private pageStatement(sort: SortOrder) {
    const name = `${sort.key}:${sort.descending ? 'desc' : 'asc'}`;
    let stmt = this.pages.get(name);
    if (!stmt) {
      const expr = SORT_SQL[sort.key];
      const [after, direction] = sort.descending ? ['<', 'DESC'] : ['>', 'ASC'];
      const atOrAfterId = sort.descending ? '<=' : '>=';
      stmt = this.db.prepare(
        `SELECT r.id AS recordId, ${expr} AS sortValue, r.created_at AS receivedAt, r.status_at AS statusAt, r.status,
           r.message_id AS messageId, l.message_context_id AS messageContextId, l.business_function_id AS businessFunctionId,
           l.resource_id AS resourceId, r.from_participant AS fromParticipant, r.to_participant AS toParticipant,
           r.message_type AS messageType, l.priority, l.trace_id AS traceId, l.reason_code AS reasonCode, l.detail,
           ${ARCHIVED_SQL} AS archived
         FROM translog_records r JOIN transaction_log l ON l.id = r.last_log_id
         WHERE ${FILTER_SQL}
           AND (@fromValue IS NULL OR ${expr} ${after} @fromValue OR (${expr} = @fromValue AND r.id ${atOrAfterId} @fromRecordId))
         ORDER BY ${expr} ${direction}, r.id ${direction}
         LIMIT @limit`);
      this.pages.set(name, stmt);
    }
    return stmt;
  }

  private filterParams(f: TranslogFilter) {
    return {
      participantId: f.participantId,
      toParticipant: f.toParticipant ?? null,
      fromParticipant: f.fromParticipant ?? null,
      messageId: f.messageId ?? null,
      messageContextKey: f.messageContextKey ?? null,
      status: f.status ?? null,
      messageType: f.messageType ?? null,
      receivedFrom: f.receivedFrom ?? null,
      receivedTo: f.receivedTo ?? null,
      archived: f.archived === undefined ? null : f.archived ? 1 : 0,
      archivedSince: f.archivedSince,
    };
  }
}
