/**
 * The recent history of each queue's flow-control count, for the Flow Control page's chart (seed 000
 * Table 7: "display message count"; spec §4.2 watermark semantics). Sampled on change: every time the
 * flow-control state of a participant's business function is saved (src/store/flow-control-store.ts) a
 * point is added when the count, status or delivery changed. Bounded per queue, in memory: the current
 * state stays in the flow-control store (the one source of truth); this is only its recent past, and a
 * restart or reset starts it afresh (docs/spec-variance.md).
 */
import type { Clock } from '../domain/clock.js';
import type { MessageStatus, OutboundDelivery } from '../domain/flow-control.js';
import type { FlowControlRow } from '../store/flow-control-store.js';

export interface CountSample {
  /** Simulated-clock epoch ms. */
  at: number;
  messageCount: number;
  heldCount: number;
  messageStatus: MessageStatus;
  outboundDelivery: OutboundDelivery;
}

export type CountListener = (participantId: string, businessFunctionId: string, sample: CountSample) => void;

export class QueueCountSeries {
  private readonly series = new Map<string, CountSample[]>();
  private readonly listeners = new Set<CountListener>();

  constructor(private readonly clock: Clock, private readonly maxPoints: number) {}

  /** Adds a point when the row differs from the queue's last one, and tells the listeners. */
  record(row: FlowControlRow): void {
    const key = `${row.participantId}|${row.businessFunctionId}`;
    let points = this.series.get(key);
    const last = points?.[points.length - 1];
    if (last && last.messageCount === row.messageCount && last.heldCount === row.heldCount
      && last.messageStatus === row.messageStatus && last.outboundDelivery === row.outboundDelivery) return;
    if (!points) this.series.set(key, (points = []));
    const sample: CountSample = {
      at: this.clock.now(), messageCount: row.messageCount, heldCount: row.heldCount, messageStatus: row.messageStatus, outboundDelivery: row.outboundDelivery,
    };
    points.push(sample);
    // Trimmed in bulk once the array holds twice the bound: dropping the oldest point on every change cost
    // ~25 µs (an array of thousands moved per point), on every retrieval of a busy queue (issue #13).
    if (points.length >= 2 * this.maxPoints) points.splice(0, points.length - this.maxPoints);
    for (const listener of this.listeners) listener(row.participantId, row.businessFunctionId, sample);
  }

  /** The queue's points, oldest first (a copy). */
  samples(participantId: string, businessFunctionId: string): CountSample[] {
    return (this.series.get(`${participantId}|${businessFunctionId}`) ?? []).slice(-this.maxPoints);
  }

  /** Calls `listener` on every new point; returns the function that stops it. */
  onChange(listener: CountListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets every series (simulator reset, snapshot restore). */
  clear(): void {
    this.series.clear();
  }
}
