/**
 * Crash durability rounds (issue 7, docs/reliability.md): the hub runs in a child process over a data
 * directory; MDPONE submits and LNSPNORTH lists, retrieves and deletes, concurrently, over mTLS; the
 * child is killed with SIGKILL at a seeded random moment; a new child starts on the same directories;
 * then every submission that was answered 200 must be in LNSPNORTH's queue with byte-identical gzip
 * bytes, and every message whose DELETE was answered 204 must be gone.
 *
 * Shared by the suite (test/e2e/crash-durability.test.ts: one short round, the server run from src
 * through tsx) and `npm run bench:crash` (bench/crash.ts: many rounds, from dist). Loopback only;
 * every round is bounded in time and stops by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { generateBpqdPayload } from '../src/domain/bpqd-generator.js';
import { createRandom, type Random } from '../src/domain/random.js';
import { pkiPaths } from '../src/pki/dev-ca.js';
import { MessageSigner } from '../src/security/message-signature.js';

export interface CrashRoundsOptions {
  /** Working directory: `data/` and `certs/` (an existing dev PKI there is reused). */
  dir: string;
  /** The command that runs `idx-sim start` (settings come through the environment). */
  command: { file: string; args: string[]; cwd: string };
  fixturesDir: string;
  /** Seeds the kill moments, the workload and (with the round) the hub's own randomness. */
  seed: string;
  rounds: number;
  /**
   * The kill comes at a seeded moment in [killAfterMinMs, killAfterMaxMs) after the load is under way
   * (at least 5 submissions and 1 deletion acknowledged, or 30 s passed).
   */
  killAfterMinMs: number;
  killAfterMaxMs: number;
  submitters: number;
  /** LNSP workers: each lists, GETs and DELETEs. */
  receivers: number;
  /** SQLite `synchronous` of the hub. */
  synchronous?: 'NORMAL' | 'FULL';
  log?: (line: string) => void;
}

export interface CrashRoundResult {
  round: number;
  killedAfterMs: number;
  acknowledgedSubmissions: number;
  acknowledgedDeletes: number;
  retrievals: number;
  /** Acknowledged submissions missing after the restart. */
  lost: string[];
  /** Acknowledged deletions whose message came back. */
  resurrected: string[];
  /** Messages whose bytes differ from what was sent (at retrieval before the crash, or after it). */
  altered: string[];
}

const CLOCK_START = '2026-07-02T09:00:00.000+10:00';
const SENDER = 'MDPONE';
const RECEIVER = 'LNSPNORTH';

interface Hub {
  child: ChildProcess;
  url: string;
  stderr: string[];
}

async function startHub(o: CrashRoundsOptions, round: number, life: number): Promise<Hub> {
  const child = spawn(o.command.file, o.command.args, {
    cwd: o.command.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      IDX_SIM_HOST: '127.0.0.1', IDX_SIM_PORT: '0', IDX_SIM_DATA_DIR: join(o.dir, 'data'), IDX_SIM_CERTS_DIR: join(o.dir, 'certs'),
      IDX_SIM_FIXTURES_DIR: o.fixturesDir, IDX_SIM_PROFILE: 'ci', IDX_SIM_LOG_LEVEL: 'warn',
      IDX_SIM_CLOCK_START: CLOCK_START, IDX_SIM_CLOCK_FROZEN: 'true', IDX_SIM_SQLITE_SYNC: o.synchronous ?? 'NORMAL',
      IDX_SIM_SEED: `${o.seed}-${round}-${life}`,
      // The queue is never throttled by flow control here: what is tested is what a crash keeps.
      IDX_SIM_FC_PQD_LOW: '5000000', IDX_SIM_FC_PQD_WARN: '6000000', IDX_SIM_FC_PQD_HIGH: '7000000',
    },
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`hub did not start within 60 s: ${stderr.join('')}`)); }, 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`hub exited (${code ?? signal}) before listening: ${stderr.join('')}`)); });
  });
  child.removeAllListeners('exit');
  child.stdout!.resume();
  return { child, url, stderr };
}

async function killHard(hub: Hub): Promise<void> {
  if (hub.child.exitCode !== null || hub.child.signalCode !== null) return;
  const exited = new Promise((r) => hub.child.once('exit', r));
  hub.child.kill('SIGKILL');
  await exited;
}

async function stopGracefully(hub: Hub): Promise<void> {
  if (hub.child.exitCode !== null || hub.child.signalCode !== null) return;
  const exited = new Promise((r) => hub.child.once('exit', r));
  hub.child.kill('SIGTERM');
  const timer = setTimeout(() => hub.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** An mTLS client of a hub process, one keep-alive agent per participant (also test/postgres/operations.test.ts). */
export class Client {
  private readonly agents = new Map<string, Agent>();
  constructor(private readonly certsDir: string, private readonly url: string) {}

  private agent(participantId: string): Agent {
    let agent = this.agents.get(participantId);
    if (!agent) {
      const p = pkiPaths(this.certsDir);
      agent = new Agent({
        connections: 16,
        connect: { ca: readFileSync(p.caCert), cert: readFileSync(p.participantCert(participantId, 'primary')), key: readFileSync(p.participantKey(participantId, 'primary')), servername: 'localhost' },
        headersTimeout: 30_000, bodyTimeout: 30_000,
      });
      this.agents.set(participantId, agent);
    }
    return agent;
  }

  async call(participantId: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string) {
    const res = await request(`${this.url}${path}`, { method: method as 'GET', headers, body, dispatcher: this.agent(participantId) });
    return { status: res.statusCode, headers: res.headers, bytes: Buffer.from(await res.body.arrayBuffer()) };
  }

  async as(participantId: string): Promise<Record<string, string>> {
    const pid = participantId.toLowerCase();
    const res = await this.call(participantId, 'POST', '/oauth/v1/token', { 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ grant_type: 'client_credentials', client_id: `${pid}-api`, client_secret: `${pid}-secret`, scope: 'PQD_BPQD' }).toString());
    if (res.status !== 200) throw new Error(`token for ${participantId}: ${res.status} ${res.bytes.toString()}`);
    return { authorization: `Bearer ${JSON.parse(res.bytes.toString()).access_token}`, 'x-initiatingParticipantId': participantId, 'x-market': 'NEM' };
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.destroy()));
  }
}

/** One round: load, kill -9, restart, verify. */
async function round(o: CrashRoundsOptions, n: number, random: Random): Promise<CrashRoundResult> {
  const certsDir = join(o.dir, 'certs');
  const killedAfterMs = o.killAfterMinMs + Math.floor(random.next() * (o.killAfterMaxMs - o.killAfterMinMs));
  const hub = await startHub(o, n, 1);
  const client = new Client(certsDir, hub.url);
  const signer = new MessageSigner({
    certPem: readFileSync(pkiPaths(certsDir).participantCert(SENDER, 'primary'), 'utf8'),
    keyPem: readFileSync(pkiPaths(certsDir).participantKey(SENDER, 'primary'), 'utf8'),
  });
  const sent = new Map<string, Buffer>(); // acknowledged submissions → the gzip bytes sent
  const deleted = new Set<string>(); // acknowledged deletions
  // Deletions sent but not (yet) answered 204: one in flight at the kill may have committed without its
  // answer reaching us, so such a message may be present or gone after the restart — neither is a loss.
  const deleting = new Set<string>();
  const altered = new Set<string>();
  let retrievals = 0;
  let stopping = false;
  const senderHeaders = await client.as(SENDER);
  const receiverHeaders = await client.as(RECEIVER);

  const submitter = async (w: number) => {
    const rnd = createRandom(`${o.seed}-${n}-submitter-${w}`);
    for (let i = 0; !stopping; i++) {
      const id = `pqd~bpqd~l~mdpone~c${n}-${w}-${i}-${rnd.hex(4)}`;
      const json = Buffer.from(JSON.stringify(generateBpqdPayload(rnd, { sender: SENDER, recipients: [RECEIVER], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 3 })));
      const gz = gzipSync(json);
      try {
        const res = await client.call(SENDER, 'POST', '/pqd/v1/bpqd', {
          ...senderHeaders, 'x-messageContextId': id, 'content-type': 'application/json', 'content-encoding': 'gzip',
          'x-signature': signer.sign(json, { signingTime: new Date(Date.parse(CLOCK_START)) }),
        }, gz);
        if (res.status === 200) sent.set(id, gz);
        else if (!stopping) throw new Error(`submission refused: ${res.status} ${res.bytes.toString()}`);
      } catch (err) {
        if (!stopping) throw err;
      }
    }
  };
  const receiver = async (w: number) => {
    while (!stopping) {
      try {
        const list = await client.call(RECEIVER, 'GET', '/pqd/v1/bpqd?itemCount=50', receiverHeaders);
        if (list.status !== 200) throw new Error(`list: ${list.status} ${list.bytes.toString()}`);
        const ids = (JSON.parse(list.bytes.toString()).data as Array<{ messageContextId: string }>).map((m) => m.messageContextId)
          .filter((_id, i) => i % o.receivers === w);
        if (ids.length === 0) await new Promise((r) => setTimeout(r, 5));
        for (const id of ids.slice(0, 5)) {
          if (stopping) break;
          const got = await client.call(RECEIVER, 'GET', `/pqd/v1/bpqd/${id}`, receiverHeaders);
          if (got.status === 200) {
            retrievals++;
            const mine = sent.get(id);
            if (mine && !mine.equals(got.bytes)) altered.add(id);
          }
          deleting.add(id);
          const del = await client.call(RECEIVER, 'DELETE', `/pqd/v1/bpqd/${id}`, receiverHeaders);
          if (del.status === 204) deleted.add(id);
        }
      } catch (err) {
        if (!stopping) throw err;
      }
    }
  };

  const load = [
    ...Array.from({ length: o.submitters }, (_, w) => submitter(w)),
    ...Array.from({ length: o.receivers }, (_, w) => receiver(w)),
  ];
  const failed = Promise.all(load).then(() => undefined);
  let loadError: unknown;
  failed.catch((err) => { loadError = err; });
  const warmUntil = Date.now() + 30_000;
  while ((sent.size < 5 || deleted.size < 1) && loadError === undefined && Date.now() < warmUntil) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, killedAfterMs));
  stopping = true;
  await killHard(hub);
  await Promise.allSettled(load);
  await client.close();
  if (loadError) throw loadError;

  // Restart on the same directories and check every acknowledgement.
  const again = await startHub(o, n, 2);
  const check = new Client(certsDir, again.url);
  const lost: string[] = [];
  const resurrected: string[] = [];
  try {
    const headers = await check.as(RECEIVER);
    const ids = [...sent.keys()];
    const verify = async (id: string) => {
      const got = await check.call(RECEIVER, 'GET', `/pqd/v1/bpqd/${id}`, headers);
      if (deleted.has(id)) {
        if (got.status !== 404) resurrected.push(id);
      } else if (got.status !== 200) {
        if (!(got.status === 404 && deleting.has(id))) lost.push(id);
      } else if (!got.bytes.equals(sent.get(id)!)) {
        altered.add(id);
      }
    };
    for (let i = 0; i < ids.length; i += 16) await Promise.all(ids.slice(i, i + 16).map(verify));
    // Deletions of messages this round did not see acknowledged as sent (in flight at the kill) count too.
    for (const id of deleted) if (!sent.has(id)) await verify(id);
  } finally {
    await check.close();
    await stopGracefully(again);
  }
  const result = { round: n, killedAfterMs, acknowledgedSubmissions: sent.size, acknowledgedDeletes: deleted.size, retrievals, lost, resurrected, altered: [...altered] };
  o.log?.(JSON.stringify({ ...result, lost: lost.length, resurrected: resurrected.length, altered: altered.size }));
  return result;
}

export async function runCrashRounds(o: CrashRoundsOptions): Promise<CrashRoundResult[]> {
  const random = createRandom(o.seed);
  const results: CrashRoundResult[] = [];
  for (let n = 1; n <= o.rounds; n++) results.push(await round(o, n, random));
  return results;
}
