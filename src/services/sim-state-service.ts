/**
 * Reset and snapshots (issue #10): the database content and everything kept in memory beside it move
 * together — the simulated clock, the per-minute quota counts, flow control's delete-rate windows, the
 * certificate registry's view, and the event WebSockets (closed: what they were subscribed to is gone).
 */
import type { AdjustableClock } from '../domain/clock.js';
import type { Db } from '../store/database.js';
import type { SimStateStorage, SnapshotMeta } from '../store/sim-state-store.js';
import type { EventHub } from './event-hub.js';

/** Close code of event WebSockets when the simulator's state is reset or restored (4000-4999: application codes). */
export const CLOSE_STATE_REPLACED = 4002;

export interface ClockState {
  now: number;
  frozen: boolean;
}

export interface SimStateOptions {
  db: Db;
  store: SimStateStorage;
  clock: AdjustableClock;
  events: EventHub;
  /** Loads the fixtures (participants, URM users, standing data, certificates) into an empty database. */
  seed: () => void;
  /** Forget in-memory state derived from the database. */
  forgetCaches: () => void;
  /** Writes what waits in memory to be written (the request journal's rows of this turn), so a snapshot or reset sees it. */
  flushPending?: () => void;
  /** Tells the other instances on the database that its content was replaced (issue #14). */
  announceReplaced?: (reason: string) => void;
  /** Where the clock was when the simulator started; a reset returns to it (null: real time). */
  startClock: ClockState | null;
}

export class SimStateService {
  constructor(private readonly o: SimStateOptions) {}

  /** Empties every table and loads the fixtures again, in one transaction. */
  async reset(): Promise<void> {
    await this.quiesce();
    this.o.db.transaction(() => {
      this.o.store.wipe();
      this.o.seed();
    })();
    if (this.o.startClock) this.setClock(this.o.startClock);
    else this.o.clock.resetToSource();
    this.afterReplace('reset');
  }

  async save(name: string): Promise<SnapshotMeta> {
    await this.quiesce();
    const now = this.o.clock.now();
    return this.o.store.save({ name, createdAt: now, clock: { now, frozen: this.o.clock.frozen } });
  }

  async restore(name: string): Promise<SnapshotMeta> {
    await this.quiesce();
    const meta = this.o.store.restore(name);
    this.setClock(meta.clock);
    this.afterReplace(`restored to snapshot ${name}`);
    return meta;
  }

  list(): SnapshotMeta[] {
    return this.o.store.list();
  }

  meta(name: string): SnapshotMeta | undefined {
    return this.o.store.meta(name);
  }

  delete(name: string): boolean {
    return this.o.store.delete(name);
  }

  /** The database answers (readiness). */
  ping(): void {
    this.o.db.prepare('SELECT 1').get();
  }

  private setClock(state: ClockState): void {
    if (state.frozen) this.o.clock.freeze(state.now);
    else {
      this.o.clock.unfreeze();
      this.o.clock.set(state.now);
    }
  }

  private afterReplace(reason: string): void {
    this.o.forgetCaches();
    this.o.events.disconnect(CLOSE_STATE_REPLACED, `simulator state ${reason}; reconnect`);
    this.o.announceReplaced?.(reason);
  }

  /** Lets a group commit of the current event-loop turn finish before tables are replaced. */
  private async quiesce(): Promise<void> {
    for (let i = 0; i < 10 && this.o.db.inTransaction; i++) await new Promise((r) => setImmediate(r));
    this.o.flushPending?.();
  }
}
