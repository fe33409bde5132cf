/**
 * The hub bus (issue #14, several instances): how one idx-sim process tells the others on the same
 * database that something they keep in memory changed — an event to hand to their WebSocket subscribers,
 * a clock move, a reset, a cache to drop. What is tested, stored and counted lives in the database; the
 * bus only carries ids and small facts (PostgreSQL's NOTIFY payload is under 8000 bytes), never bodies.
 * docs/multi-instance.md lists every piece of in-memory state and how it is kept in step.
 *
 * Two implementations:
 *   - in-process (this file): the default with SQLite, where one process is the whole hub. A single
 *     instance's bus is not `shared` and every publish is a no-op, so the SQLite path costs nothing.
 *     Several buses joined to one InProcessBusNetwork stand for several instances in one test process.
 *   - PostgreSQL LISTEN/NOTIFY (src/store/pg-hub-bus.ts), selected with a postgres:// database URL.
 * Every bus has an instance id; an instance never receives its own notices.
 */
import { randomUUID } from 'node:crypto';
import type { Watermarks } from '../domain/flow-control.js';
import type { FlowControlRow } from '../store/flow-control-store.js';
import type { EventFrame } from './event-hub.js';

/** What one instance tells the others. Each is small: ids, counts and settings, never message bodies. */
export type HubNotice =
  /** An event the sender already delivered to its own subscribers: the others deliver it to theirs (same eventId). */
  | { kind: 'event'; participantId: string; frame: EventFrame }
  /** The simulated clock moved: re-read it from the database. */
  | { kind: 'clock' }
  /** A reset or snapshot restore replaced the database's content: drop caches, close event sockets, re-read the clock. */
  | { kind: 'state-replaced'; reason: string }
  /** Certificates were registered, rotated or revoked: rebuild the registry's view. */
  | { kind: 'certificates' }
  /** Participants or NMI standing data changed: drop the copy kept in memory (ParticipantStore). */
  | { kind: 'standing-data' }
  /** An outage was added: drop the outages kept in memory (FlowControlService). */
  | { kind: 'outages' }
  /** Fault rules changed: re-read them, and close this instance's sockets a ws-close rule now selects. */
  | { kind: 'faults' }
  /** Watermarks changed through the control API (kept in memory until a reset, docs/spec-variance.md row 320). */
  | { kind: 'watermarks'; businessFunctionId: string; watermarks: Watermarks }
  /** A queue's flow-control counts changed (the Web App's chart samples them). */
  | { kind: 'queue-counts'; row: FlowControlRow }
  /** The bus lost its connection and got it back: notices may have been missed, re-read everything. */
  | { kind: 'resync' };

export type HubNoticeListener = (notice: HubNotice) => void;

export interface HubBus {
  /** This process's id: notices it publishes never come back to it. */
  readonly instanceId: string;
  /**
   * Whether other instances may share the database: state that one process may keep in memory
   * (per-minute quota counts, the clock) goes to the database only then.
   */
  readonly shared: boolean;
  /** Tells every other instance, after whatever the notice is about has been committed. */
  publish(notice: HubNotice): void;
  /** Calls `listener` with every notice from another instance; returns the function that stops it. */
  subscribe(listener: HubNoticeListener): () => void;
  close(): Promise<void>;
}

/** Delivers notices to listeners, each failure on its own (one bad listener must not starve the others). */
export class NoticeListeners {
  private readonly listeners = new Set<HubNoticeListener>();

  add(listener: HubNoticeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  deliver(notice: HubNotice, onError: (err: unknown, notice: HubNotice) => void): void {
    for (const listener of this.listeners) {
      try {
        listener(notice);
      } catch (err) {
        onError(err, notice);
      }
    }
  }
}

/** Instances in one process (tests, and the default single instance). */
export class InProcessBusNetwork {
  private readonly members = new Set<InProcessBus>();

  /** A new instance's bus on this network; `shared` unless it is meant to be the only one. */
  join(options: { shared?: boolean; instanceId?: string } = {}): InProcessBus {
    const bus = new InProcessBus(this, options.instanceId ?? randomUUID(), options.shared ?? true);
    this.members.add(bus);
    return bus;
  }

  /** @internal */
  send(from: InProcessBus, notice: HubNotice): void {
    // A copy per receiver, like a notice that went through a database: no instance shares objects with another.
    const wire = JSON.stringify(notice);
    for (const member of this.members) if (member !== from) member.receive(JSON.parse(wire) as HubNotice);
  }

  /** @internal */
  leave(bus: InProcessBus): void {
    this.members.delete(bus);
  }
}

export class InProcessBus implements HubBus {
  private readonly listeners = new NoticeListeners();
  private closed = false;

  constructor(private readonly network: InProcessBusNetwork, readonly instanceId: string, readonly shared: boolean) {}

  publish(notice: HubNotice): void {
    if (!this.shared || this.closed) return;
    // Asynchronous like NOTIFY: the receivers act after the publisher's current work, never inside it.
    setImmediate(() => this.network.send(this, notice));
  }

  subscribe(listener: HubNoticeListener): () => void {
    return this.listeners.add(listener);
  }

  /** @internal */
  receive(notice: HubNotice): void {
    if (this.closed) return;
    this.listeners.deliver(notice, (err) => {
      // A listener's failure is a defect of this instance, not of the sender: report it where tests see it.
      process.emitWarning(`hub bus listener failed on ${notice.kind}: ${(err as Error)?.stack ?? String(err)}`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.network.leave(this);
  }
}

/** The bus of a process that is the whole hub (SQLite): nobody else to tell. */
export function singleInstanceBus(): HubBus {
  return new InProcessBusNetwork().join({ shared: false });
}
