/**
 * The SQL of the submission and drain paths alone, in one process (issue #13, perf-store): what a small
 * submission and a drained message (GET + DELETE) cost in the stores and the group commit, without HTTP,
 * TLS, payload checks or signatures. Load on a shared machine disturbs this far less than the suite, so a
 * change to a statement or an index can be judged here first; the suite (bench/suite.ts) stays the measure
 * of record.
 *
 *   npm run build && node dist/bench/store-micro.js [--rounds 5] [--submissions 4000] [--batch 16] [--fill 20000]
 *
 * Per round: `--submissions` submissions in batches of `--batch` per event-loop turn (one group commit each:
 * quota check ×2, duplicate check, DeliveryService.accept with the quota count, then the request's journal
 * row, written inside the next turn's batch as under load), then as many GET + DELETE of filled messages, 8 GETs
 * per turn then their 8 DELETEs (retrieve, remove, a journal row each).
 * Prints CPU µs per submission and per drained message, commits, and WAL frames per commit (the main
 * connection checkpoints only between phases).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AdjustableClock } from '../src/domain/clock.js';
import { parseMessageContextId } from '../src/domain/message-context-id.js';
import { createRandom } from '../src/domain/random.js';
import { loadConfig } from '../src/config.js';
import { createContext, PROJECT_ROOT } from '../src/context.js';
import { ensureDevPki } from '../src/pki/dev-ca.js';
import { registerCertificatesFromDir } from '../src/security/certificate-registry.js';
import { openDatabase } from '../src/store/database.js';
import { loadFixtures, readFixtures } from '../src/store/fixtures.js';
import type { NewMessage } from '../src/store/message-store.js';
import type { JournalAppend, JournalBody, StoredPayloadBody } from '../src/store/journal-store.js';
import { submission } from './lib/common.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' }, submissions: { type: 'string', default: '4000' }, batch: { type: 'string', default: '16' },
    fill: { type: 'string', default: '20000' }, keep: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const submissions = Number(values.submissions);
const batch = Number(values.batch);
const fillCount = Number(values.fill);

const dir = mkdtempSync(join(tmpdir(), 'idx-sim-store-micro-'));
const fixturesDir = join(PROJECT_ROOT, 'fixtures');
const fixtures = readFixtures(fixturesDir);
const certsDir = join(dir, 'certs');
const pki = ensureDevPki(certsDir, fixtures.participants.map((p) => p.participantId));
const config = loadConfig({ dataDir: join(dir, 'data'), certsDir, fixturesDir, logLevel: 'silent', profile: 'ci', fcPqdLow: 8_000_000, fcPqdWarn: 9_000_000, fcPqdHigh: 10_000_000, ...(process.env.MICRO_NO_JOURNAL ? { journalMaxEntries: 0 } : {}) }, {});
const db = openDatabase({ path: config.databasePath });
const clock = new AdjustableClock();
const random = createRandom('store-micro');
const ctx = createContext({
  config, db, clock, random, caCertPem: pki.ca.certPem, tokenSigningKeyPem: pki.tokenSigningKeyPem,
  hubSigning: { certPem: pki.hub.certPem, keyPem: pki.hub.keyPem },
  seed: (c) => {
    const loaded = loadFixtures(c.participants, fixturesDir);
    registerCertificatesFromDir(c.certificates, certsDir, loaded.participants.map((p) => p.participantId), c.clock.now());
  },
});
ctx.seed();

const RECIPIENT = 'LNSPNORTH';
const body = submission(certsDir, { intervals: 12, recipient: RECIPIENT });
const small = submission(certsDir, { intervals: 1, recipient: RECIPIENT });
const walFrames = () => (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]!.log;
const checkpoint = () => db.pragma('wal_checkpoint(TRUNCATE)');
db.pragma('wal_autocheckpoint = 0');

function messageOf(raw: string, messageId: string, payload: { gzip: Buffer; json: Buffer; signature: string }): NewMessage {
  const context = parseMessageContextId(raw);
  if (!context.ok) throw new Error(context.reason);
  return {
    messageId, messageContextId: raw, contextKey: context.value.key, senderId: 'MDPONE', businessFunctionId: 'pqd', resourceId: 'bpqd',
    priority: 'l', messageDateTime: '2026-07-02T01:00:00.000+10:00', receivedAt: clock.now(), sizeBytes: payload.json.length,
    schemaVersion: config.schemaVersions.at(-1)!, transactionCount: 12, signature: payload.signature, traceId: random.hex(16), payloadGzip: payload.gzip,
  };
}

/**
 * MICRO_JOURNAL_COPY=1: the accepted POST's body and the GET's gzip answer copied into the journal row as
 * base64, as before the rows referred to the stored message (issue #13, perf-drain 2026-12-01).
 */
const JOURNAL_COPY = !!process.env.MICRO_JOURNAL_COPY;
function bodyOf(bytes: Buffer, messagePk: number | undefined): JournalBody | StoredPayloadBody {
  if (messagePk !== undefined && !JOURNAL_COPY) return { bytes: bytes.length, encoding: 'base64', messagePk, keptBytes: Math.min(bytes.length, config.journalBodyBytes) };
  return { bytes: bytes.length, encoding: 'base64', body: bytes.subarray(0, config.journalBodyBytes).toString('base64') };
}

/** `messagePk`: the message whose stored gzip bytes the Buffer body is (the server's journal refers to them). */
function journal(method: string, path: string, contextId: string, request: Buffer | null, response: Buffer | string, messagePk?: number): JournalAppend {
  const res = typeof response === 'string' ? { bytes: response.length, encoding: 'utf8' as const, body: response } : bodyOf(response, messagePk);
  return {
    at: clock.now(), participantId: method === 'POST' ? 'MDPONE' : RECIPIENT, method, path, query: null, operationId: 'op', status: 200, code: null,
    traceId: random.hex(16), messageContextId: contextId, durationMs: 1.5, faultRuleId: null,
    request: request ? bodyOf(request, messagePk) : null, response: res,
  };
}

let filled = 0;
function fill(count: number): number {
  const first = filled + 1;
  ctx.messages.transaction(() => {
    for (let n = first; n < first + count; n++) {
      const raw = `pqd~bpqd~l~mdpone~drain-${n}`;
      const message = messageOf(raw, `MSG-${random.uuid()}`, small);
      const messagePk = ctx.messages.insertMessage(message);
      ctx.messages.enqueue(message, messagePk, RECIPIENT, clock.now(), 'delivered');
      ctx.transactionLog.appendWithinTransaction({
        loggedAt: clock.now(), traceId: 'fill', messageId: message.messageId, messagePk, messageContextId: raw, businessFunctionId: 'pqd', resourceId: 'bpqd',
        fromParticipant: 'MDPONE', toParticipant: RECIPIENT, messageType: 'message', priority: 'l', status: 'delivery_pending', reasonCode: null, detail: null,
      });
    }
    const state = ctx.flowControlStore.get(RECIPIENT, 'pqd', clock.now());
    ctx.flowControlStore.save({ ...state, messageCount: state.messageCount + count, queuedCount: (state.queuedCount ?? 0) + count, updatedAt: clock.now() });
  });
  filled += count;
  return first;
}

/**
 * A request's journal row is written after its answer went out (onResponse): under load, inside the batch
 * the next requests opened. Each turn below writes the previous turn's rows once its own batch is open.
 */
let journalDue: JournalAppend[] = [];
/**
 * MICRO_JOURNAL_AFTER_COMMIT=1: each turn's rows right after its batch committed, as when the answers
 * finish going out in the same turn (29 % of rows in the suite's drain before the journal waited for the
 * end of the turn): no transaction is open then.
 */
const JOURNAL_AFTER_COMMIT = !!process.env.MICRO_JOURNAL_AFTER_COMMIT;
function writeJournalDue(): void {
  for (const e of journalDue) ctx.journal.append(e);
  journalDue = [];
}

let submitted = 0;
async function submitOne(): Promise<void> {
  const n = ++submitted;
  const raw = `pqd~bpqd~l~mdpone~micro-${n}`;
  const context = parseMessageContextId(raw);
  if (!context.ok) throw new Error(context.reason);
  ctx.quotas.messages.check('MDPONE', 'l', clock.now(), raw);
  if (ctx.messages.isDuplicate('MDPONE', context.value.key)) throw new Error('duplicate');
  ctx.quotas.messages.check('MDPONE', 'l', clock.now(), raw);
  const messagePk = await ctx.delivery.accept(messageOf(raw, `MSG-${random.uuid()}`, body), [RECIPIENT], () => ctx.quotas.messages.record('MDPONE', 'l', clock.now()));
  journalDue.push(journal('POST', '/pqd/v1/bpqd', raw, body.gzip, '{"data":{"messageId":"x","status":"delivery_pending"}}', messagePk));
}

async function retrieveOne(n: number): Promise<void> {
  const raw = `pqd~bpqd~l~mdpone~drain-${n}`;
  const item = await ctx.bpqd.retrieve(RECIPIENT, raw, random.hex(16));
  journalDue.push(journal('GET', `/pqd/v1/bpqd/${raw}`, raw, null, item.payloadGzip, item.messagePk));
}

async function removeOne(n: number): Promise<void> {
  const raw = `pqd~bpqd~l~mdpone~drain-${n}`;
  await ctx.bpqd.remove(RECIPIENT, raw, random.hex(16));
  journalDue.push(journal('DELETE', `/pqd/v1/bpqd/${raw}`, raw, null, ''));
}

/** One turn: `count` requests started together (one group commit), then the previous turn's journal rows inside it. */
async function turn(count: number, start: (i: number) => Promise<void>): Promise<void> {
  const all = Array.from({ length: count }, (_, i) => start(i));
  if (!JOURNAL_AFTER_COMMIT) writeJournalDue();
  await Promise.all(all);
  if (JOURNAL_AFTER_COMMIT) writeJournalDue();
}

/** WAL frames since the last checkpoint, by the table or index whose page each one holds. */
function framesByTree(): Record<string, number> {
  const wal = readFileSync(`${config.databasePath}-wal`);
  const pageSize = wal.readUInt32BE(8);
  const owner = new Map((db.prepare('SELECT pageno, name FROM dbstat').all() as Array<{ pageno: number; name: string }>).map((r) => [r.pageno, r.name]));
  const counts: Record<string, number> = {};
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    const page = wal.readUInt32BE(at);
    if (page === 0) break;
    const name = owner.get(page) ?? 'free/other';
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

/** Counts COMMITs of the group commit: each resolves a batch. */
let commits = 0;
let commitNs = 0n;
const commitStmt = (ctx.commits as unknown as { sql: { commit: { run: () => unknown } } }).sql.commit;
const run = commitStmt.run.bind(commitStmt);
commitStmt.run = () => {
  commits++;
  const t = process.cpuUsage();
  try { return run(); } finally { const d = process.cpuUsage(t); commitNs += BigInt((d.user + d.system) * 1000); }
};

async function phase(name: string, work: () => Promise<void>, units: number) {
  checkpoint();
  const c0 = commits;
  const ns0 = commitNs;
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  await work();
  const used = process.cpuUsage(cpu);
  const wall = Number(process.hrtime.bigint() - t) / 1e3;
  const frames = walFrames();
  const byTree = framesByTree();
  const n = commits - c0;
  return { name, commitUsPerUnit: Number(commitNs - ns0) / 1e3 / units, cpuPerUnit: (used.user + used.system) / units, wallPerUnit: wall / units, commits: n, unitsPerCommit: units / Math.max(1, n), framesPerCommit: frames / Math.max(1, n), byTree: Object.fromEntries(Object.entries(byTree).map(([k, v]) => [k, +(v / units).toFixed(2)])) };
}

const results: Record<string, Array<Awaited<ReturnType<typeof phase>>>> = { submit: [], drain: [] };
fill(fillCount); // a standing backlog, as the drain case's
console.log(`submission: ${body.gzip.length} bytes gzip, ${body.json.length} bytes JSON; filled: ${small.gzip.length} bytes gzip`);
const DRAIN_TURN = 8;
for (let r = 0; r < rounds; r++) {
  results.submit!.push(await phase('submit', async () => {
    for (let i = 0; i < submissions; i += batch) await turn(Math.min(batch, submissions - i), () => submitOne());
    writeJournalDue();
  }, submissions));
  const first = fill(submissions);
  checkpoint();
  results.drain!.push(await phase('drain', async () => {
    for (let n = first; n < first + submissions; n += DRAIN_TURN) {
      const count = Math.min(DRAIN_TURN, first + submissions - n);
      await turn(count, (i) => retrieveOne(n + i));
      await turn(count, (i) => removeOne(n + i));
    }
    writeJournalDue();
  }, submissions));
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [name, rs] of Object.entries(results)) {
  console.log(`${name.padEnd(7)} CPU µs/unit median ${med(rs.map((r) => r.cpuPerUnit)).toFixed(1)} (min ${Math.min(...rs.map((r) => r.cpuPerUnit)).toFixed(1)}; rounds ${rs.map((r) => r.cpuPerUnit.toFixed(0)).join(' ')})` +
    `  units/commit ${med(rs.map((r) => r.unitsPerCommit)).toFixed(1)}  WAL frames/commit ${med(rs.map((r) => r.framesPerCommit)).toFixed(1)}  COMMIT CPU µs/unit ${med(rs.map((r) => r.commitUsPerUnit)).toFixed(1)}`);
}
for (const [name, rs] of Object.entries(results)) console.log(`${name} WAL frames per unit by B-tree (last round): ${JSON.stringify(rs.at(-1)!.byTree)}`);
console.log(`load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
db.close();
if (process.env.MICRO_KEEP) console.log(`kept ${dir}`);
else if (!values.keep) rmSync(dir, { recursive: true, force: true });
else console.log(`kept ${dir}`);
