/**
 * Fault-injection rules at run time (issue #10): kept in SQLite, read from memory on every request (the
 * cache is dropped on every change, reset and restore). The share of requests a rule hits is rolled on
 * the seeded random source, so a seeded run fails the same requests every time. Rules whose effect is a
 * state rather than an answer (a forced flow-control stop, closed event sockets) are applied when they
 * start — on creation, on enabling, and when the simulated clock moves into their window — and lifted
 * when they end.
 */
import type { Clock } from '../domain/clock.js';
import { isActive, selects, type FaultKind, type FaultRule, type FaultTarget } from '../domain/faults.js';
import type { Random } from '../domain/random.js';
import type { FaultStore, NewFaultRule } from '../store/fault-store.js';
import type { DeliveryService } from './delivery-service.js';
import type { EventHub } from './event-hub.js';

/** Close code of an event WebSocket closed by a `ws-close` fault: 1011, an unexpected server condition (RFC 6455 §7.4.1). */
export const CLOSE_INJECTED = 1011;

export class FaultService {
  private cache: FaultRule[] | undefined;
  private readonly changeListeners: Array<() => void> = [];
  /** fc-stop rules whose stop is in force, and whom they stopped. */
  private readonly forcedStops = new Map<number, string>();

  constructor(
    private readonly store: FaultStore,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly events: EventHub,
    private readonly delivery: DeliveryService,
  ) {}

  rules(): FaultRule[] {
    return (this.cache ??= this.store.all());
  }

  rule(id: number): FaultRule | undefined {
    return this.rules().find((r) => r.id === id);
  }

  create(rule: NewFaultRule, traceId: string): FaultRule {
    const id = this.store.insert(rule);
    this.cache = undefined;
    this.apply(traceId);
    this.changed();
    return this.rule(id)!;
  }

  setEnabled(id: number, enabled: boolean, traceId: string): FaultRule | undefined {
    if (!this.store.setEnabled(id, enabled)) return undefined;
    this.cache = undefined;
    this.apply(traceId);
    this.changed();
    return this.rule(id);
  }

  delete(id: number, traceId: string): boolean {
    if (!this.store.delete(id)) return false;
    this.cache = undefined;
    this.apply(traceId);
    this.changed();
    return true;
  }

  clear(traceId: string): void {
    this.store.clear();
    this.cache = undefined;
    this.apply(traceId);
    this.changed();
  }

  /** Runs `listener` after this process changed the rules (other instances on the database are told, issue #14). */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /**
   * Another instance changed the rules or moved the clock (issue #14): read the rules again and close this
   * instance's event sockets that an active ws-close rule selects. Forced flow-control stops are state in
   * the database, started and lifted by the instance that changed the rules or moved the clock.
   */
  changedElsewhere(): void {
    this.cache = undefined;
    this.closeSelectedSockets(this.clock.now());
  }

  /** After a reset or restore: the rules (and the stops) are whatever the database now says. */
  forget(): void {
    this.cache = undefined;
    this.forcedStops.clear();
  }

  /**
   * The first rule of one of `kinds` that selects the target and wins its share roll; its hit is counted.
   * Rules are tried in creation order.
   */
  pick(kinds: readonly FaultKind[], target: FaultTarget): FaultRule | undefined {
    const now = this.clock.now();
    for (const rule of this.rules()) {
      if (!kinds.includes(rule.kind) || !selects(rule, target, now)) continue;
      if (rule.share < 1 && this.random.next() >= rule.share) continue;
      this.store.hit(rule.id);
      rule.hits++;
      return rule;
    }
    return undefined;
  }

  /** Whether an event subscriber's frames are currently swallowed (no share roll: silence is a state). */
  silenced(participantId: string): FaultRule | undefined {
    const now = this.clock.now();
    return this.rules().find((r) => r.kind === 'ws-silence' && selects(r, { api: 'events', participantId }, now));
  }

  /**
   * Brings state-like faults in line with the rules and the simulated clock: forced flow-control stops
   * start and end, and open event sockets of an active ws-close rule are closed.
   */
  apply(traceId: string): void {
    const now = this.clock.now();
    const rules = this.rules();
    for (const rule of rules.filter((r) => r.kind === 'fc-stop' && r.participantId)) {
      const active = isActive(rule, now);
      if (active && !this.forcedStops.has(rule.id)) {
        this.forcedStops.set(rule.id, rule.participantId!);
        this.delivery.setOutboundDelivery(rule.participantId!, 'pqd', 'Stopped', traceId);
      }
    }
    for (const [id, participantId] of [...this.forcedStops]) {
      const rule = rules.find((r) => r.id === id);
      if (rule && isActive(rule, now)) continue;
      this.forcedStops.delete(id);
      if (![...this.forcedStops.values()].includes(participantId)) this.delivery.setOutboundDelivery(participantId, 'pqd', 'Started', traceId);
    }
    this.closeSelectedSockets(now);
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  private closeSelectedSockets(now: number): void {
    for (const rule of this.rules().filter((r) => r.kind === 'ws-close' && isActive(r, now))) {
      const closed = this.events.disconnect(CLOSE_INJECTED, `closed by fault rule ${rule.id}`,
        (s) => (rule.participantId === null || s.participantId === rule.participantId) && (rule.api === null || rule.api === 'events'));
      if (closed) {
        this.store.hit(rule.id);
        rule.hits += closed;
      }
    }
  }
}
