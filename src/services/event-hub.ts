/**
 * In-process event hub (spec §4.7): routes each event to the WebSocket subscribers of the participant it
 * concerns — never to anyone else — filtered by their business-function subscription.
 */
import type { Clock } from '../domain/clock.js';
import type { EventSink, IdxEvent } from '../domain/events.js';
import { formatMarketDateTime } from '../domain/market-time.js';
import type { Random } from '../domain/random.js';
import type { HubBus } from './hub-bus.js';

type Stamped<T> = T & { eventId: string; eventDateTime: string };
export type EventFrame = Stamped<IdxEvent>;
/** Frames for one connection only: replies to the client and heartbeats (events.asyncapi.yaml). */
export type ControlFrame = Stamped<
  | { eventType: 'HEARTBEAT' }
  | { eventType: 'PONG' }
  | { eventType: 'SUBSCRIBED'; participantId: string; businessFunctionIds: string[] }
  | { eventType: 'ERROR'; code: string; detail: string }
>;

export interface Subscriber {
  readonly participantId: string;
  /** Business functions subscribed to; an empty set means all. */
  businessFunctionIds: Set<string>;
  send(frame: EventFrame): void;
  /** Closes the subscriber's connection (simulator reset, injected fault). */
  close?(code: number, reason: string): void;
}

export class EventHub implements EventSink {
  private readonly byParticipant = new Map<string, Set<Subscriber>>();
  /** Listeners that see every event (the web pages' live updates): not subscribers, so no WebSocket limit counts them. */
  private readonly observers = new Set<(participantId: string, frame: EventFrame) => void>();

  /**
   * With a shared bus (several instances on one database, issue #14), every event published here also
   * goes to the other instances, which hand the same frame (same eventId) to their own subscribers: a
   * subscriber gets each event once, whichever instance it is connected to.
   */
  constructor(private readonly clock: Clock, private readonly random: Random, private readonly bus?: HubBus) {
    bus?.subscribe((notice) => {
      if (notice.kind === 'event') this.deliver(notice.participantId, notice.frame);
    });
  }

  /** Registers a subscriber; returns the function that removes it. */
  subscribe(subscriber: Subscriber): () => void {
    let set = this.byParticipant.get(subscriber.participantId);
    if (!set) this.byParticipant.set(subscriber.participantId, (set = new Set()));
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0) this.byParticipant.delete(subscriber.participantId);
    };
  }

  subscriberCount(participantId?: string): number {
    if (participantId) return this.byParticipant.get(participantId)?.size ?? 0;
    let n = 0;
    for (const set of this.byParticipant.values()) n += set.size;
    return n;
  }

  /** Closes the connections of matching subscribers (all when no predicate); returns how many. */
  disconnect(code: number, reason: string, which: (s: Subscriber) => boolean = () => true): number {
    let n = 0;
    for (const [participantId, set] of this.byParticipant) {
      for (const s of [...set]) {
        if (!which(s) || !s.close) continue;
        // Gone from the hub at once; the close handshake finishes in its own time.
        set.delete(s);
        s.close(code, reason);
        n++;
      }
      if (set.size === 0) this.byParticipant.delete(participantId);
    }
    return n;
  }

  /** Stamps a control frame like an event, so every frame on the wire has the same envelope. */
  control<T extends { eventType: ControlFrame['eventType'] }>(body: T): Stamped<T> {
    return { eventId: this.random.uuid(), eventDateTime: formatMarketDateTime(this.clock.now()), ...body };
  }

  /** Calls `listener` with every event published, for whichever participant; returns the function that stops it. */
  observe(listener: (participantId: string, frame: EventFrame) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  publish(participantId: string, event: IdxEvent): void {
    const shared = this.bus?.shared === true;
    if (!shared && !this.byParticipant.get(participantId)?.size && this.observers.size === 0) return;
    const frame: EventFrame = { eventId: this.random.uuid(), eventDateTime: formatMarketDateTime(this.clock.now()), ...event };
    this.deliver(participantId, frame);
    if (shared) this.bus!.publish({ kind: 'event', participantId, frame });
  }

  /** Hands a stamped frame to this instance's observers and the participant's subscribers. */
  private deliver(participantId: string, frame: EventFrame): void {
    const subscribers = this.byParticipant.get(participantId);
    if (!subscribers?.size && this.observers.size === 0) return;
    for (const observe of this.observers) observe(participantId, frame);
    if (!subscribers) return;
    const bf = 'businessFunctionId' in frame ? frame.businessFunctionId : undefined;
    for (const s of subscribers) {
      if (bf === undefined || s.businessFunctionIds.size === 0 || s.businessFunctionIds.has(bf)) s.send(frame);
    }
  }
}
