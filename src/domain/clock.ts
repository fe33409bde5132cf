/**
 * The one source of time in idx-sim. Every component that needs "now" takes a Clock, so tests and
 * testers can freeze it, set it, or move it forward (10-day queue expiry, daily quotas, certificate
 * expiry) without waiting.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, in simulated time. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The instants simulated time may take: AEMO's BPQD market exists well inside them, and beyond them dates
 * stop being useful (a NaN or year-275760 clock made every certificate "expired", issue 7 defect 4).
 */
export const SIMULATED_TIME_RANGE = { from: Date.UTC(2000, 0, 1), until: Date.UTC(2100, 0, 1) } as const;
/** The largest single step forward of the control API: a year and a day. */
export const MAX_ADVANCE_SECONDS = 366 * 86_400;

export function isSimulatedInstant(ms: number): boolean {
  return Number.isFinite(ms) && ms >= SIMULATED_TIME_RANGE.from && ms < SIMULATED_TIME_RANGE.until;
}

/**
 * What an AdjustableClock is, apart from its source: the offset from the source's time while running,
 * or the instant it stands at while frozen. Instances sharing one database share this (issue #14).
 */
export interface ClockPosition {
  offsetMs: number;
  frozenAt: number | null;
}

/**
 * A clock that runs with real time from an offset, or stands still when frozen. `set` and `advance`
 * move simulated time; real time keeps flowing on top of it unless the clock is frozen.
 */
export class AdjustableClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | undefined;
  private readonly listeners: Array<(cause: string | undefined) => void> = [];
  private readonly changeListeners: Array<() => void> = [];

  constructor(private readonly source: Clock = systemClock) {}

  now(): number {
    return this.frozenAt ?? this.source.now() + this.offsetMs;
  }

  /**
   * Jump to an instant; keeps running from there unless frozen. Then tells the listeners (what fell due
   * runs now, not on the next read); `cause` is the trace id of whatever moved the clock.
   */
  set(instantMs: number, cause?: string): void {
    // Inputs are bounded where they enter (control API, IDX_SIM_CLOCK_START); a NaN or infinite clock must never happen.
    if (!Number.isFinite(instantMs)) throw new RangeError(`simulated time must be a finite instant, got ${instantMs}`);
    if (this.frozenAt !== undefined) this.frozenAt = instantMs;
    else this.offsetMs = instantMs - this.source.now();
    this.changed();
    for (const listener of this.listeners) listener(cause);
  }

  advance(ms: number, cause?: string): void {
    this.set(this.now() + ms, cause);
  }

  /** Runs `listener` after every set or advance. */
  onMove(listener: (cause: string | undefined) => void): void {
    this.listeners.push(listener);
  }

  /** Runs `listener` after every change of state (set, advance, freeze, unfreeze, reset) — not after adopt. */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  freeze(at: number = this.now()): void {
    this.frozenAt = at;
    this.changed();
  }

  unfreeze(): void {
    if (this.frozenAt === undefined) return;
    this.offsetMs = this.frozenAt - this.source.now();
    this.frozenAt = undefined;
    this.changed();
  }

  /** Back to the source's time, running (a simulator reset without a fixed start instant). */
  resetToSource(): void {
    this.offsetMs = 0;
    this.frozenAt = undefined;
    this.changed();
  }

  state(): ClockPosition {
    return { offsetMs: this.offsetMs, frozenAt: this.frozenAt ?? null };
  }

  /**
   * Takes on a state another instance set (issue #14): quietly — the instance that moved the clock has
   * already run what fell due, in the database both share.
   */
  adopt(state: ClockPosition): void {
    if (!Number.isFinite(state.offsetMs) || (state.frozenAt !== null && !Number.isFinite(state.frozenAt))) {
      throw new RangeError(`a clock state must be finite, got ${JSON.stringify(state)}`);
    }
    this.offsetMs = state.offsetMs;
    this.frozenAt = state.frozenAt ?? undefined;
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  get frozen(): boolean {
    return this.frozenAt !== undefined;
  }
}
