/**
 * The housekeeping timers' outage log (src/services/database-outage-log.ts): a database outage is one
 * line when it starts and one, with its length, when it ends — not a line a second — while any other
 * failure is left to the caller to log every time.
 */
import { describe, expect, it } from 'vitest';
import { DatabaseOutageLog } from '../../src/services/database-outage-log.js';
import { DatabaseConflictError, DatabaseUnavailableError } from '../../src/store/database-errors.js';

function outageLog() {
  let now = 1_000;
  const lines: Array<[string, string, Record<string, unknown>]> = [];
  const log = new DatabaseOutageLog(() => now, {
    error: (detail, message) => lines.push(['error', message, detail]),
    warn: (detail, message) => lines.push(['warn', message, detail]),
  });
  return { log, lines, advance: (ms: number) => { now += ms; } };
}

describe('DatabaseOutageLog', () => {
  it('says an outage once when it starts and once, with its length, when it ends, however many runs fail', () => {
    const { log, lines, advance } = outageLog();
    log.succeeded();
    for (let i = 0; i < 10; i++) {
      expect(log.failed('queue expiry', new DatabaseUnavailableError('the database did not answer in time', 'timeout'))).toBe(true);
      advance(1_000);
    }
    log.succeeded();
    log.succeeded();
    expect(lines).toEqual([
      ['error', 'database outage: housekeeping cannot reach the database', { task: 'queue expiry', error: 'the database did not answer in time' }],
      ['warn', 'database outage over: housekeeping reaches the database again', { outageMs: 10_000 }],
    ]);
    // The next outage is said again.
    log.failed('archive purge', new DatabaseUnavailableError('refused', 'connect'));
    expect(lines).toHaveLength(3);
  });

  it('leaves failures that are not the database being away to the caller (logged every time)', () => {
    const { log, lines } = outageLog();
    expect(log.failed('queue expiry', new Error('a bug'))).toBe(false);
    expect(log.failed('queue expiry', new DatabaseConflictError('deadlock detected', '40P01'))).toBe(false);
    expect(lines).toEqual([]);
  });
});
