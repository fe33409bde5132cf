/**
 * Starting before the database answers (issue #14, docs/deployment.md): in a compose file or after a
 * host reboot, idx-sim may start before PostgreSQL accepts connections. It keeps trying for
 * IDX_SIM_DATABASE_STARTUP_WAIT seconds (backoff 0.25 s doubling to 5 s between tries), logging each
 * failure, then gives up with a message that names the database and the last error, and `idx-sim start`
 * exits with status 1. Only a database that does not answer is retried: any other failure to open
 * (a bad URL, a refused password, a migration error) stops at once, since waiting would not fix it.
 */
import { storageFailure } from './database-errors.js';

export interface StartupWait {
  /** Seconds to keep trying; 0 = one try. */
  waitSeconds: number;
  /** What the database is, for messages (a URL without its password, or a file path). */
  describe: string;
  log?: (message: string) => void;
  /** Real time; tests pass a fake. Startup only, never a request path. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const FIRST_PAUSE_MS = 250;
const LONGEST_PAUSE_MS = 5_000;

export async function openWhenReachable<T>(open: () => T | Promise<T>, o: StartupWait): Promise<T> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = o.now ?? (() => performance.now());
  const deadline = now() + o.waitSeconds * 1000;
  let pause = FIRST_PAUSE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (err) {
      if (storageFailure(err) !== 'unavailable') throw err;
      const left = deadline - now();
      if (left <= 0) {
        throw new Error(`the database ${o.describe} did not answer within ${o.waitSeconds} s (IDX_SIM_DATABASE_STARTUP_WAIT; ${attempt} tries): ${(err as Error).message}`, { cause: err });
      }
      const wait = Math.min(pause, left);
      o.log?.(`the database ${o.describe} does not answer yet (try ${attempt}: ${(err as Error).message}); trying again in ${(wait / 1000).toFixed(2)} s`);
      await sleep(wait);
      pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
    }
  }
}
