/** Starting before the database answers (issue #14): bounded retries with backoff, then a clear refusal. */
import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../src/store/database-errors.js';
import { openWhenReachable } from '../../src/store/database-startup.js';

/** Fake time: sleeping moves it. */
function fakeTime() {
  let t = 0;
  const pauses: number[] = [];
  return { pauses, now: () => t, sleep: async (ms: number) => { pauses.push(ms); t += ms; } };
}

describe('opening a database that does not answer yet', () => {
  it('tries again with a growing pause until it answers', async () => {
    const time = fakeTime();
    const log: string[] = [];
    let tries = 0;
    const db = await openWhenReachable(() => {
      if (++tries < 6) throw new DatabaseUnavailableError('connect ECONNREFUSED 127.0.0.1:5432', 'connection-lost');
      return 'db';
    }, { waitSeconds: 60, describe: 'postgres://idxsim@db:5432/idxsim', ...time, log: (m) => log.push(m) });
    expect(db).toBe('db');
    expect(time.pauses).toEqual([250, 500, 1000, 2000, 4000]);
    expect(log[0]).toMatch(/^the database postgres:\/\/idxsim@db:5432\/idxsim does not answer yet \(try 1: connect ECONNREFUSED/);
  });

  it('gives up after the wait with a message naming the database, the setting and the last error', async () => {
    const time = fakeTime();
    let tries = 0;
    await expect(openWhenReachable(() => { tries++; throw new DatabaseUnavailableError('timeout expired', 'connection-lost'); },
      { waitSeconds: 10, describe: 'postgres://db/idxsim', ...time }))
      .rejects.toThrow('the database postgres://db/idxsim did not answer within 10 s (IDX_SIM_DATABASE_STARTUP_WAIT; 7 tries): timeout expired');
    // 0.25 + 0.5 + 1 + 2 + 4 = 7.75 s, then the last 2.25 s (never past the wait), and a last try at 10 s.
    expect(time.pauses).toEqual([250, 500, 1000, 2000, 4000, 2250]);
    expect(tries).toBe(7);
  });

  it('does not wait for a failure that waiting cannot fix', async () => {
    const time = fakeTime();
    const refused = Object.assign(new Error('password authentication failed for user "idxsim"'), { code: '28P01' });
    await expect(openWhenReachable(() => { throw refused; }, { waitSeconds: 60, describe: 'x', ...time })).rejects.toBe(refused);
    expect(time.pauses).toEqual([]);
  });

  it('tries once with a wait of 0', async () => {
    const time = fakeTime();
    await expect(openWhenReachable(() => { throw new DatabaseUnavailableError('down', 'connection-lost'); }, { waitSeconds: 0, describe: 'x', ...time })).rejects.toThrow(/within 0 s .*1 tries/);
    expect(time.pauses).toEqual([]);
  });
});
