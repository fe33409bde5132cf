/**
 * Flow control of an outbound queue (spec §4.2 MP-FlowControl, §9): per participant × business
 * function, the count of unretrieved messages against Low / Warn / High watermarks.
 *   Normal → Warned at Warn; → Stopped at High (automatic stop: new messages are held, not delivered);
 *   Warned or Stopped → Normal only once the count falls below Low (hysteresis), when held messages are
 *   delivered again in submission order. A manual stop (outboundDelivery Stopped) holds messages too.
 * Pure: no I/O; the delivery service applies the decisions.
 */
export type MessageStatus = 'Normal' | 'Warned' | 'Stopped';
export type OutboundDelivery = 'Started' | 'Stopped';
export type FlowControlEventType = 'QUEUE_WARN' | 'QUEUE_FULL' | 'QUEUE_RESUMED' | 'INSUFFICIENT_DELETE_RATE';

export interface Watermarks {
  low: number;
  warn: number;
  high: number;
}

export function checkWatermarks(w: Watermarks, name: string): Watermarks {
  if (!(Number.isInteger(w.low) && w.low >= 1 && w.low < w.warn && w.warn < w.high)) {
    throw new Error(`${name} watermarks must be integers with 1 <= low < warn < high, got low ${w.low}, warn ${w.warn}, high ${w.high}`);
  }
  return w;
}

/** The status a count leads to from the current status. */
export function nextMessageStatus(current: MessageStatus, count: number, w: Watermarks): MessageStatus {
  if (count >= w.high) return 'Stopped';
  // Hysteresis: a Warned or Stopped queue keeps its status until the count falls below Low.
  if (current !== 'Normal' && count >= w.low) return current;
  if (count >= w.warn) return 'Warned';
  return 'Normal';
}

/** The event a status change raises (spec §4.7 flow-control events, §13.6 sub-types). */
export function transitionEvent(from: MessageStatus, to: MessageStatus): FlowControlEventType | undefined {
  if (from === to) return undefined;
  if (to === 'Stopped') return 'QUEUE_FULL';
  if (to === 'Warned') return 'QUEUE_WARN';
  return 'QUEUE_RESUMED';
}

/** Messages are delivered into the queue only when neither the watermarks nor the participant stopped it. */
export function deliveryOpen(status: MessageStatus, outboundDelivery: OutboundDelivery): boolean {
  return status !== 'Stopped' && outboundDelivery === 'Started';
}

/** Which watermark a status corresponds to, for event frames. */
export function watermarkOf(status: MessageStatus): 'Low' | 'Warn' | 'High' {
  return status === 'Stopped' ? 'High' : status === 'Warned' ? 'Warn' : 'Low';
}

/**
 * "Insufficient delete rate" (spec §4.7 flow-control events): while a queue is Warned or Stopped, the
 * participant retrieves or deletes fewer messages than arrive over a trailing window. Counts are kept
 * per minute so memory stays bounded under load; one alert per window at most.
 */
export class DeleteRateMonitor {
  private readonly buckets = new Map<string, Map<number, { arrivals: number; drains: number }>>();
  private readonly lastAlert = new Map<string, number>();

  constructor(private readonly windowMinutes: number) {}

  /** Forgets every count and alert (a reset or snapshot restore of the simulator). */
  clear(): void {
    this.buckets.clear();
    this.lastAlert.clear();
  }

  /** Counts an arrival; returns how to take it back (its transaction failed). */
  arrival(key: string, now: number): () => void {
    const b = this.bucket(key, now);
    b.arrivals++;
    return () => { b.arrivals = Math.max(0, b.arrivals - 1); };
  }

  /** Counts a retrieval or deletion; returns how to take it back (its transaction failed). */
  drain(key: string, now: number): () => void {
    const b = this.bucket(key, now);
    b.drains++;
    return () => { b.drains = Math.max(0, b.drains - 1); };
  }

  /**
   * True when an alert is due now: arrivals outpace drains in the window and none was raised within it;
   * then it counts as raised, and `undo` (if given) receives how to take that back.
   */
  alertDue(key: string, now: number, undo?: (takeBack: () => void) => void): boolean {
    const windowMs = this.windowMinutes * 60_000;
    const since = Math.floor((now - windowMs) / 60_000);
    let arrivals = 0;
    let drains = 0;
    for (const [minute, b] of this.buckets.get(key) ?? []) {
      if (minute <= since) continue;
      arrivals += b.arrivals;
      drains += b.drains;
    }
    const last = this.lastAlert.get(key);
    if (arrivals <= drains || (last !== undefined && now - last < windowMs)) return false;
    this.lastAlert.set(key, now);
    undo?.(() => {
      if (last === undefined) this.lastAlert.delete(key);
      else this.lastAlert.set(key, last);
    });
    return true;
  }

  private bucket(key: string, now: number) {
    let perKey = this.buckets.get(key);
    if (!perKey) this.buckets.set(key, (perKey = new Map()));
    const minute = Math.floor(now / 60_000);
    let b = perKey.get(minute);
    if (!b) {
      perKey.set(minute, (b = { arrivals: 0, drains: 0 }));
      const oldest = minute - this.windowMinutes - 1;
      for (const m of perKey.keys()) if (m < oldest) perKey.delete(m);
    }
    return b;
  }
}
