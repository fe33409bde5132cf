/**
 * What the housekeeping timers (queue expiry every second, the purges) say about a database outage
 * (issue #14, docs/deployment.md): every run fails while the database is away, and a line a second says
 * nothing the first did not. One line when the outage starts, one with its length when it ends; failures
 * that are not the database being away (a bug, a conflict) are still logged every time by the caller.
 */
import { storageFailure } from '../store/database-errors.js';

export interface OutageLogSink {
  error(detail: Record<string, unknown>, message: string): void;
  warn(detail: Record<string, unknown>, message: string): void;
}

export class DatabaseOutageLog {
  private since: number | undefined;

  /** `now`: real milliseconds (an outage lasts in real time, whatever the simulated clock does). */
  constructor(private readonly now: () => number, private readonly log: OutageLogSink) {}

  /** Housekeeping task `task` failed with `err`: true when that is the database being away (said once per outage). */
  failed(task: string, err: unknown): boolean {
    if (storageFailure(err) !== 'unavailable') return false;
    if (this.since === undefined) {
      this.since = this.now();
      this.log.error({ task, error: (err as Error).message }, 'database outage: housekeeping cannot reach the database');
    }
    return true;
  }

  /** A housekeeping task reached the database: ends the outage, if there was one. */
  succeeded(): void {
    if (this.since === undefined) return;
    const outageMs = Math.round(this.now() - this.since);
    this.since = undefined;
    this.log.warn({ outageMs }, 'database outage over: housekeeping reaches the database again');
  }
}
