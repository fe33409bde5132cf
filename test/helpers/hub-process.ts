/**
 * idx-sim as a separate process (`idx-sim start` of a runnable project, test/helpers/compiled.ts), for the
 * tests that kill it, or the database under it, and watch what clients see (test/postgres/*.test.ts).
 * Loopback only, a free port; settings through the environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/context.js';

export interface HubProcess {
  child: ChildProcess;
  url: string;
  stderr: string[];
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL after 10 s), and wait until it is gone. */
  stop(): Promise<void>;
}

export interface HubProcessOptions {
  /** A runnable project (runnableProject). */
  project: string;
  dataDir: string;
  certsDir: string;
  env?: Record<string, string>;
  /** How long it may take to listen. */
  startTimeoutMs?: number;
}

/** The environment every hub process of these tests gets: frozen clock, `ci` limits, no flow-control throttling. */
export const HUB_ENV = {
  IDX_SIM_HOST: '127.0.0.1', IDX_SIM_PORT: '0', IDX_SIM_FIXTURES_DIR: join(PROJECT_ROOT, 'fixtures'), IDX_SIM_PROFILE: 'ci',
  IDX_SIM_LOG_LEVEL: 'warn', IDX_SIM_CLOCK_START: '2026-07-02T09:00:00.000+10:00', IDX_SIM_CLOCK_FROZEN: 'true',
  IDX_SIM_FC_PQD_LOW: '5000000', IDX_SIM_FC_PQD_WARN: '6000000', IDX_SIM_FC_PQD_HIGH: '7000000',
} as const;

/** Spawns `idx-sim start` without waiting for it (a test that watches a start that fails or waits). */
export function spawnHub(o: HubProcessOptions): { child: ChildProcess; stderr: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(o.project, 'bin', 'idx-sim.js'), 'start'], {
    cwd: o.project, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...HUB_ENV, IDX_SIM_DATA_DIR: o.dataDir, IDX_SIM_CERTS_DIR: o.certsDir, ...o.env },
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr, exited };
}

/** The URL the hub prints once it listens. */
export function listening(child: ChildProcess, stderr: string[], timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    const onExit = (code: number | null, signal: string | null) => { clearTimeout(timer); reject(new Error(`hub exited (${code ?? signal}) before listening: ${stderr.join('')}`)); };
    const timer = setTimeout(() => { child.off('exit', onExit); reject(new Error(`hub did not listen within ${timeoutMs} ms: ${stderr.join('')}`)); }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(m[1]!);
      }
    });
    child.once('exit', onExit);
  });
}

export async function startHubProcess(o: HubProcessOptions): Promise<HubProcess> {
  const { child, stderr, exited } = spawnHub(o);
  let url: string;
  try {
    url = await listening(child, stderr, o.startTimeoutMs ?? 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  child.stdout!.resume();
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child, url, stderr,
    async kill() {
      if (gone()) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` (no fixed sleeps beyond a short pause between polls) until it returns true or the deadline passes. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, pauseMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}
