import type { MessageStatus, OutboundDelivery } from '../domain/flow-control.js';
import type { OutageWindow } from '../domain/outages.js';
import type { Db } from './database.js';

export interface FlowControlRow {
  participantId: string;
  businessFunctionId: string;
  messageStatus: MessageStatus;
  outboundDelivery: OutboundDelivery;
  messageCount: number;
  heldCount: number;
  /**
   * Delivered messages in the queue, retrieved or not: what the queue list counts (totalRecords). `get`
   * always reads it; a row saved without it leaves the stored count as it is.
   */
  queuedCount?: number;
  messageBreachedAt: number | null;
  updatedAt: number;
}

export interface StatusHistoryRow {
  id: number;
  participantId: string;
  businessFunctionId: string | null;
  recordedAt: number;
  event: string;
  messageStatus: MessageStatus | null;
  outboundDelivery: OutboundDelivery | null;
  messageCount: number | null;
  heldCount: number | null;
  detail: string | null;
}

/** A stored outage: the domain's window (src/domain/outages.ts) and when it was recorded. */
export interface Outage extends OutageWindow {
  createdAt: number;
}

const ROW = `participant_id AS participantId, business_function_id AS businessFunctionId, message_status AS messageStatus,
  outbound_delivery AS outboundDelivery, message_count AS messageCount, held_count AS heldCount, queued_count AS queuedCount,
  message_breached_at AS messageBreachedAt, updated_at AS updatedAt`;
const HISTORY = `id, participant_id AS participantId, business_function_id AS businessFunctionId, recorded_at AS recordedAt, event,
  message_status AS messageStatus, outbound_delivery AS outboundDelivery, message_count AS messageCount, held_count AS heldCount, detail`;

const OUTAGE = `id, outage_start AS outageStart, outage_end AS outageEnd, description, participants_json AS participantsJson,
  apis_json AS apisJson, created_at AS createdAt`;
type OutageRow = Omit<Outage, 'participantIds' | 'apis'> & { participantsJson: string | null; apisJson: string | null };
const outageOf = ({ participantsJson, apisJson, ...o }: OutageRow): Outage => ({
  ...o, participantIds: participantsJson ? (JSON.parse(participantsJson) as string[]) : null, apis: apisJson ? (JSON.parse(apisJson) as string[]) : null,
});

/** Flow-control state, participant-status history and outages. */
export class FlowControlStore {
  private readonly stmts;
  private readonly committedListeners: Array<(row: FlowControlRow) => void> = [];

  constructor(db: Db) {
    this.stmts = {
      get: db.prepare(`SELECT ${ROW} FROM flow_control WHERE participant_id = ? AND business_function_id = ?`),
      forParticipant: db.prepare(`SELECT ${ROW} FROM flow_control WHERE participant_id = ? ORDER BY business_function_id`),
      upsert: db.prepare(
        `INSERT INTO flow_control (participant_id, business_function_id, message_status, outbound_delivery, message_count, held_count, queued_count, message_breached_at, updated_at)
         VALUES (@participantId, @businessFunctionId, @messageStatus, @outboundDelivery, @messageCount, @heldCount, coalesce(@queuedCount, 0), @messageBreachedAt, @updatedAt)
         ON CONFLICT (participant_id, business_function_id) DO UPDATE SET message_status = excluded.message_status,
           outbound_delivery = excluded.outbound_delivery, message_count = excluded.message_count, held_count = excluded.held_count,
           queued_count = coalesce(@queuedCount, flow_control.queued_count), message_breached_at = excluded.message_breached_at, updated_at = excluded.updated_at`),
      // The usual save: the row exists. A plain UPDATE by primary key costs a fraction of the UPSERT's
      // conflict path (≈7 µs against ≈40 µs per save on this machine, issue #13); the UPSERT is for a new pair.
      update: db.prepare(
        `UPDATE flow_control SET message_status = ?, outbound_delivery = ?, message_count = ?, held_count = ?,
           queued_count = coalesce(?, queued_count), message_breached_at = ?, updated_at = ?
         WHERE participant_id = ? AND business_function_id = ?`),
      history: db.prepare(
        `INSERT INTO participant_status_history (participant_id, business_function_id, recorded_at, event, message_status, outbound_delivery, message_count, held_count, detail)
         VALUES (@participantId, @businessFunctionId, @recordedAt, @event, @messageStatus, @outboundDelivery, @messageCount, @heldCount, @detail)`),
      historyFor: db.prepare(`SELECT ${HISTORY} FROM participant_status_history
        WHERE participant_id = @participantId AND (@businessFunctionId IS NULL OR business_function_id = @businessFunctionId OR business_function_id IS NULL)
          AND recorded_at >= @from AND recorded_at <= @to AND id > @afterId ORDER BY id LIMIT @limit`),
      insertOutage: db.prepare('INSERT INTO outages (outage_start, outage_end, description, participants_json, apis_json, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id').pluck(),
      outages: db.prepare(`SELECT ${OUTAGE} FROM outages ORDER BY outage_start, id`),
      activeOutages: db.prepare(`SELECT ${OUTAGE} FROM outages WHERE outage_end > @now AND outage_start <= @now ORDER BY outage_start, id`),
    };
  }

  /** The state, or the initial one (Normal, Started, empty) for a pair never seen. */
  get(participantId: string, businessFunctionId: string, now: number): FlowControlRow {
    return (this.stmts.get.get(participantId, businessFunctionId) as FlowControlRow | undefined) ?? {
      participantId, businessFunctionId, messageStatus: 'Normal', outboundDelivery: 'Started', messageCount: 0, heldCount: 0, queuedCount: 0, messageBreachedAt: null, updatedAt: now,
    };
  }

  forParticipant(participantId: string): FlowControlRow[] {
    return this.stmts.forParticipant.all(participantId) as FlowControlRow[];
  }

  save(row: FlowControlRow): void {
    const queuedCount = row.queuedCount ?? null;
    const updated = this.stmts.update.run(row.messageStatus, row.outboundDelivery, row.messageCount, row.heldCount, queuedCount,
      row.messageBreachedAt, row.updatedAt, row.participantId, row.businessFunctionId).changes;
    if (updated === 0) this.stmts.upsert.run({ ...row, queuedCount });
  }

  /**
   * Tells the listeners of a state `save` wrote, once the transaction it was written in has committed:
   * the caller calls it then (src/services/delivery-service.ts), never from inside the transaction — a
   * state rolled back never existed, and nobody may hear of it.
   */
  committed(row: FlowControlRow): void {
    for (const listener of this.committedListeners) listener(row);
  }

  /** Calls `listener` with every state saved and committed (the Flow Control page's count series, src/services/queue-count-series.ts; the other instances). */
  onCommitted(listener: (row: FlowControlRow) => void): void {
    this.committedListeners.push(listener);
  }

  recordHistory(row: FlowControlRow | { participantId: string; businessFunctionId: null }, at: number, event: string, detail: string | null): void {
    const r = row as Partial<FlowControlRow>;
    this.stmts.history.run({
      participantId: row.participantId, businessFunctionId: row.businessFunctionId, recordedAt: at, event,
      messageStatus: r.messageStatus ?? null, outboundDelivery: r.outboundDelivery ?? null, messageCount: r.messageCount ?? null, heldCount: r.heldCount ?? null, detail,
    });
  }

  history(q: { participantId: string; businessFunctionId?: string; from: number; to: number; afterId: number; limit: number }): StatusHistoryRow[] {
    return this.stmts.historyFor.all({ businessFunctionId: null, ...q }) as StatusHistoryRow[];
  }

  addOutage(o: Omit<Outage, 'id'>): Outage {
    const id = Number(this.stmts.insertOutage.get(o.outageStart, o.outageEnd, o.description,
      o.participantIds ? JSON.stringify(o.participantIds) : null, o.apis ? JSON.stringify(o.apis) : null, o.createdAt));
    return { id, ...o };
  }

  outages(): Outage[] {
    return (this.stmts.outages.all() as OutageRow[]).map(outageOf);
  }

  /** The outages whose window [start, end) contains `now`. */
  activeOutages(now: number): Outage[] {
    return (this.stmts.activeOutages.all({ now }) as OutageRow[]).map(outageOf);
  }
}
