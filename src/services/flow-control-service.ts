/**
 * Flow Control and Participant Status reads, and the manual stop (spec §4.2, §4.3): shapes the
 * published response fields (`messageStatus`, `messageCount`, `messageBreachedTimestamp`, …) from the
 * flow-control state kept by the delivery service. Also the tester's outage injection (spec §4.7).
 */
import type { Clock } from '../domain/clock.js';
import { HUB_BUSINESS_FUNCTIONS } from '../domain/business-functions.js';
import { decodeCursor, encodeCursor, isPositiveInteger } from '../domain/cursor.js';
import { IdxError } from '../domain/errors.js';
import type { OutboundDelivery } from '../domain/flow-control.js';
import { formatMarketDateTime } from '../domain/market-time.js';
import { checkNoOutage, type IdxApi } from '../domain/outages.js';
import type { FlowControlRow, FlowControlStore, Outage } from '../store/flow-control-store.js';
import type { DeliveryService } from './delivery-service.js';
import type { EventHub } from './event-hub.js';


const inMarket = (market: string) => Object.keys(HUB_BUSINESS_FUNCTIONS).filter((bf) => HUB_BUSINESS_FUNCTIONS[bf]!.market === market);

const at = (ms: number | null) => (ms === null ? null : formatMarketDateTime(ms));

export interface FlowControlInformation {
  businessFunctionId: string;
  ackStatus: null;
  ackCount: null;
  ackBreachedTimestamp: null;
  messageStatus: FlowControlRow['messageStatus'];
  messageCount: number;
  messageBreachedTimestamp: string | null;
  outboundDelivery?: OutboundDelivery;
  heldCount?: number;
  watermarks?: { low: number; warn: number; high: number };
  resources?: Array<{ businessFunctionResourceId: string; messageCount: number }>;
}

const HISTORY_CURSOR = 'fctrl~history';

export class FlowControlService {
  /**
   * Every stored outage, kept in memory: every IDX request asks whether one covers it (issue #13), and
   * outages change only through `addOutage`, a reset or restore (`forgetOutages`) and another instance's
   * `outages` notice (src/services/instance-sync.ts). Which of them is active is decided on each request
   * against the clock, exactly as the SQL did (`outage_start <= now < outage_end`).
   */
  private outageCache: Outage[] | undefined;
  private readonly outageListeners: Array<() => void> = [];

  constructor(
    private readonly store: FlowControlStore,
    private readonly delivery: DeliveryService,
    private readonly events: EventHub,
    private readonly clock: Clock,
  ) {}

  /** Flow-control information of one business function; `expand` adds delivery state, watermarks and resources. */
  information(participantId: string, businessFunctionId: string, market: string, expand: boolean): FlowControlInformation {
    this.knownBusinessFunction(businessFunctionId, market);
    return this.shape(this.store.get(participantId, businessFunctionId, this.clock.now()), expand);
  }

  /** "Business functions that have flow control breaches for your Participant ID" (spec §4.2). */
  breaches(participantId: string, market: string, expand: boolean): FlowControlInformation[] {
    return inMarket(market)
      .map((bf) => this.store.get(participantId, bf, this.clock.now()))
      .filter((row) => row.messageStatus !== 'Normal')
      .map((row) => this.shape(row, expand));
  }

  manage(participantId: string, businessFunctionId: string, market: string, outboundDelivery: OutboundDelivery, traceId: string): FlowControlInformation {
    this.knownBusinessFunction(businessFunctionId, market);
    return this.shape(this.delivery.setOutboundDelivery(participantId, businessFunctionId, outboundDelivery, traceId), true);
  }

  /** Current operational status of each business function and resource for a participant (spec §4.3). */
  participantStatus(participantId: string, businessFunctionId: string | undefined, market: string) {
    if (businessFunctionId !== undefined) this.knownBusinessFunction(businessFunctionId, market);
    const now = this.clock.now();
    const outage = this.activeOutage(participantId, now);
    return inMarket(market)
      .filter((bf) => businessFunctionId === undefined || bf === businessFunctionId)
      .map((bf) => {
        const row = this.store.get(participantId, bf, now);
        return {
          participantId,
          ...this.shape(row, true),
          outage: outage ? { active: true, outageStart: formatMarketDateTime(outage.outageStart), outageEnd: formatMarketDateTime(outage.outageEnd), description: outage.description } : null,
        };
      });
  }

  /** A page of a participant's status history, oldest first (keyset paging on the record id). */
  history(q: { participantId: string; businessFunctionId?: string; market: string; from?: number; to?: number; cursor?: string; itemCount: number }) {
    if (q.businessFunctionId !== undefined) this.knownBusinessFunction(q.businessFunctionId, q.market);
    const afterId = q.cursor === undefined ? 0 : decodeCursor(HISTORY_CURSOR, q.cursor, [isPositiveInteger])[0] as number;
    const rows = this.store.history({ ...q, afterId, limit: q.itemCount + 1, from: q.from ?? 0, to: q.to ?? Number.MAX_SAFE_INTEGER }).map((r) => ({
      id: r.id,
      recordedDateTime: formatMarketDateTime(r.recordedAt),
      businessFunctionId: r.businessFunctionId,
      event: r.event,
      messageStatus: r.messageStatus,
      outboundDelivery: r.outboundDelivery,
      messageCount: r.messageCount,
      heldCount: r.heldCount,
      detail: r.detail,
    }));
    const page = rows.slice(0, q.itemCount);
    return {
      data: page,
      meta: { itemCount: page.length, nextCursor: rows.length > q.itemCount ? encodeCursor(HISTORY_CURSOR, [page[page.length - 1]!.id]) : null },
    };
  }

  /** Records an outage, notes it in the status history of those concerned and notifies them (spec §4.7). */
  addOutage(o: { outageStart: number; outageEnd: number; description: string; participantIds: string[] | null; apis: string[] | null }, allParticipants: string[]): Outage {
    const now = this.clock.now();
    const outage = this.store.addOutage({ ...o, createdAt: now });
    this.forgetOutages();
    for (const listener of this.outageListeners) listener();
    for (const participantId of o.participantIds ?? allParticipants) {
      this.store.recordHistory({ participantId, businessFunctionId: null }, now, 'OUTAGE',
        `${o.description} (${formatMarketDateTime(o.outageStart)} to ${formatMarketDateTime(o.outageEnd)})`);
      this.events.publish(participantId, {
        eventType: 'OUTAGE', outageId: outage.id, outageStart: formatMarketDateTime(o.outageStart), outageEnd: formatMarketDateTime(o.outageEnd), description: o.description,
      });
    }
    return outage;
  }

  outages(): Outage[] {
    return this.store.outages();
  }

  /** 503 with Retry-After while an outage covers this participant and API (src/domain/outages.ts). */
  checkAvailable(participantId: string, api: IdxApi): void {
    const now = this.clock.now();
    checkNoOutage(this.activeOutages(now), participantId, api, now);
  }

  /** Drops the outages kept in memory (after a reset or restore, or another instance added one). */
  forgetOutages(): void {
    this.outageCache = undefined;
  }

  /** Runs `listener` after this process added an outage (other instances are told, issue #14). */
  onOutageAdded(listener: () => void): void {
    this.outageListeners.push(listener);
  }

  /** The outages whose window [start, end) contains `now`, in the store's order (start, id). */
  private activeOutages(now: number): Outage[] {
    this.outageCache ??= this.store.outages();
    return this.outageCache.length === 0 ? [] : this.outageCache.filter((o) => o.outageStart <= now && o.outageEnd > now);
  }

  private activeOutage(participantId: string, now: number): Outage | undefined {
    return this.activeOutages(now).find((o) => o.participantIds === null || o.participantIds.includes(participantId));
  }

  private knownBusinessFunction(businessFunctionId: string, market: string): void {
    if (HUB_BUSINESS_FUNCTIONS[businessFunctionId]?.market !== market) {
      throw new IdxError('IDX_ERR_BUSINESS_FUNCTION_NOT_FOUND',
        `business function "${businessFunctionId}" does not exist in market ${market} on this hub; ${market} has: ${inMarket(market).join(', ') || 'none'}`,
        { errors: [{ in: 'path', name: 'businessFunctionId', code: 'UNKNOWN', message: 'unknown business function' }] });
    }
  }

  private shape(row: FlowControlRow, expand: boolean): FlowControlInformation {
    const basic: FlowControlInformation = {
      businessFunctionId: row.businessFunctionId,
      // BPQD is fire and forget: no acknowledgements, so the ack fields are always null (spec §4.2 sample).
      ackStatus: null,
      ackCount: null,
      ackBreachedTimestamp: null,
      messageStatus: row.messageStatus,
      messageCount: row.messageCount,
      messageBreachedTimestamp: at(row.messageBreachedAt),
    };
    if (!expand) return basic;
    return {
      ...basic,
      outboundDelivery: row.outboundDelivery,
      heldCount: row.heldCount,
      watermarks: this.delivery.watermarks(row.businessFunctionId),
      resources: (HUB_BUSINESS_FUNCTIONS[row.businessFunctionId]?.resources ?? []).map((r) => ({ businessFunctionResourceId: r, messageCount: row.messageCount })),
    };
  }
}
