/**
 * What every case of the bench suite (bench/suite.ts) shares: statistics, the machine description, the
 * mTLS client pools and tokens, and the request/answer protocol with the two server processes
 * (idx-sim and the bare baseline) that the suite starts as children. Loopback only.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { gzipSync } from 'node:zlib';
import { Pool } from 'undici';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { createRandom } from '../../src/domain/random.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { MessageSigner } from '../../src/security/message-signature.js';

export const round = (n: number, places = 2): number => Math.round(n * 10 ** places) / 10 ** places;

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function sortedCopy(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

export function median(values: readonly number[]): number {
  return percentile(sortedCopy(values), 0.5);
}

export function machine() {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cpus: cpu.length,
    totalMemGiB: round(totalmem() / 1024 ** 3, 1),
    freeMemGiB: round(freemem() / 1024 ** 3, 1),
    loadAverage: loadavg().map((l) => round(l, 2)),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The two servers every case compares. */
export type TargetName = 'idx-sim' | 'baseline';
export const TARGETS: readonly TargetName[] = ['idx-sim', 'baseline'];

export interface TlsIdentity {
  ca: string;
  cert: string;
  key: string;
}

/** A participant's primary certificate and key from the dev PKI the idx-sim child generated. */
export function identityOf(certsDir: string, participantId: string): TlsIdentity {
  const p = pkiPaths(certsDir);
  return {
    ca: readFileSync(p.caCert, 'utf8'),
    cert: readFileSync(p.participantCert(participantId, 'primary'), 'utf8'),
    key: readFileSync(p.participantKey(participantId, 'primary'), 'utf8'),
  };
}

export function pool(url: string, tls: TlsIdentity, connections: number): Pool {
  assertLoopback(url);
  return new Pool(url, {
    connections, pipelining: 1, connect: { ...tls, rejectUnauthorized: true },
    headersTimeout: 30_000, bodyTimeout: 30_000, keepAliveTimeout: 60_000,
  });
}

export function assertLoopback(url: string): void {
  const { hostname } = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(hostname)) throw new Error(`benchmarks target loopback only, got ${hostname}`);
}

/** An access token from idx-sim's token endpoint (the baseline accepts any bearer token: it checks none). */
export async function fetchToken(p: Pool, participantId: string, scope: string): Promise<string> {
  const res = await p.request({
    method: 'POST', path: '/oauth/v1/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials', client_id: `${participantId.toLowerCase()}-api`, client_secret: `${participantId.toLowerCase()}-secret`, scope,
    }).toString(),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`token for ${participantId}: HTTP ${res.statusCode} ${text}`);
  return (JSON.parse(text) as { access_token: string }).access_token;
}

/** A signed BPQD submission body: one NMI, `intervals` five-minute intervals, sender MDPONE, recipient `recipient`. */
export interface Submission {
  json: Buffer;
  gzip: Buffer;
  signature: string;
}

export function submission(certsDir: string, options: { intervals: number; recipient: string; sender?: string; nmi?: string }): Submission {
  const sender = options.sender ?? 'MDPONE';
  const payload = generateBpqdPayload(createRandom('idx-sim-bench'), {
    sender, recipients: [options.recipient], nmis: [options.nmi ?? '4102000001'], date: '2026-07-01', intervalCount: options.intervals, priority: 'l',
  });
  const json = Buffer.from(JSON.stringify(payload));
  const id = identityOf(certsDir, sender);
  return { json, gzip: gzipSync(json), signature: new MessageSigner({ certPem: id.cert, keyPem: id.key }).sign(json) };
}

export function submitHeaders(contextId: string, token: string, signature: string, sender = 'MDPONE'): Record<string, string> {
  return {
    'x-messagecontextid': contextId, 'x-initiatingparticipantid': sender, authorization: `Bearer ${token}`,
    'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': signature,
  };
}

/**
 * What the suite asks of a server child (bench/servers/idx-sim.ts, bench/baseline/server.ts), over IPC:
 * - `fill`: put `count` delivered messages in `recipient`'s queue straight through the store, in one
 *   transaction (context ids `pqd~bpqd~l~mdpone~<prefix>-<n>`, n from 1; a 1-interval payload, with its
 *   x-signature when `signed`; with `logged`, each message's `delivery_pending` transaction-log row and record
 *   too, as its submission would have left them — the baseline keeps no log), then checkpoint the WAL (setup,
 *   not measured); answers the queue size after.
 * - `cursorAt`: the cursor of the page that starts at the `position`-th (0-based) message of the queue.
 * - `memory`: process.memoryUsage() of the child.
 * - `cpu`: process.cpuUsage() of the child (µs).
 * - `profileStart` / `profileStop`: a V8 CPU profile of the child between the two, written to `file`.
 */
export type ChildCommand =
  | { cmd: 'fill'; recipient: string; prefix: string; count: number; signed: boolean; logged?: boolean }
  | { cmd: 'cursorAt'; recipient: string; position: number }
  | { cmd: 'memory' }
  | { cmd: 'cpu' }
  | { cmd: 'profileStart' }
  | { cmd: 'profileStop'; file: string };

export interface ChildReady {
  ready: true;
  url: string;
}

/** A server running in a child process, driven over IPC. */
export class ServerChild {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(readonly name: string, readonly url: string, private readonly child: ChildProcess) {
    child.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (m.id === undefined) return;
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.ok) w?.resolve(m.result);
      else w?.reject(new Error(`${name}: ${m.error}`));
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${name} exited with ${code}`));
      this.waiting.clear();
    });
  }

  /** Starts `entry` (a compiled .js file) with `args`; resolves once it says it listens. */
  static start(name: string, entry: string, args: string[], timeoutMs = 120_000): Promise<ServerChild> {
    const child = fork(entry, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=4096'] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name} did not start within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before it was ready`));
      });
      child.once('message', (m: ChildReady) => {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        assertLoopback(m.url);
        resolve(new ServerChild(name, m.url, child));
      });
    });
  }

  ask<T>(command: ChildCommand, timeoutMs = 600_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: ${command.cmd} took longer than ${timeoutMs / 1000} s`)), timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v as T); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.child.send({ id, ...command });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The child side of the protocol: announces `url`, answers commands with `handle`, exits when the parent
 * goes away (so no server outlives the suite).
 */
export function serveParent(url: string, handle: (command: ChildCommand) => unknown, close: () => Promise<void>): void {
  let profiler: Session | undefined;
  const post = (method: string) => new Promise<unknown>((resolve, reject) => profiler!.post(method, (err, res) => (err ? reject(err) : resolve(res))));
  process.on('message', (m: ChildCommand & { id: number }) => {
    void (async () => {
      try {
        let result: unknown;
        if (m.cmd === 'profileStart') {
          profiler = new Session();
          profiler.connect();
          await post('Profiler.enable');
          await post('Profiler.start');
        } else if (m.cmd === 'profileStop') {
          const { profile } = (await post('Profiler.stop')) as { profile: object };
          profiler!.disconnect();
          writeFileSync(m.file, JSON.stringify(profile));
          result = m.file;
        } else {
          result = await handle(m);
        }
        process.send!({ id: m.id, ok: true, result });
      } catch (err) {
        process.send!({ id: m.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) });
      }
    })();
  });
  const stop = () => void close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  process.send!({ ready: true, url } satisfies ChildReady);
}

/** Context ids of filled messages: the same grammar idx-sim checks, sender MDPONE. */
export const filledContextId = (prefix: string, n: number): string => `pqd~bpqd~l~mdpone~${prefix}-${n}`;
