/**
 * Virtual counterparties driven by the simulated clock (issue #10): senders that post BPQD for their
 * NMIs, and LNSPs that drain their queues by a policy. Every call goes through the real API — the same
 * client a participant would use (src/client), over the participant's certificate and token — so the
 * same checks, quotas, flow control and transaction log apply; nothing is written around the API.
 *
 * `tick()` does whatever is due at the simulated now (catching up when the clock jumped); the server
 * calls it every IDX_SIM_COUNTERPARTY_TICK_MS of real time, and `POST /sim/v1/counterparties/tick` on demand.
 */
import { drainQueue } from '../client/drain.js';
import type { IdxClient } from '../client/idx-client.js';
import { MESSAGE_VARIANTS, MessageWriter, type InvalidVariant } from '../domain/bpqd-dataset.js';
import type { Interval, NmiDetail } from '../domain/bpqd-payload.js';
import type { StandingDataLookup } from '../domain/bpqd-rules.js';
import type { Clock } from '../domain/clock.js';
import {
  addMarketDays, describeInstant, firstDailyRun, marketMidnightOf, pickPriority, slowAllowance, specProblems,
  type CounterpartySpec, type LnspSpec, type SenderSpec,
} from '../domain/counterparties.js';
import { IdxError } from '../domain/errors.js';
import { marketDate } from '../domain/market-time.js';
import type { PriorityLetter } from '../domain/message-context-id.js';
import { SeededRandom } from '../domain/random.js';
import type { MessageSigner } from '../security/message-signature.js';
import type { NmiRoleQueries } from '../store/nmi-role-queries.js';

/** How a counterparty reaches the hub: a client and a signer for its participant. */
export type Connector = (spec: CounterpartySpec) => { client: IdxClient; signer: MessageSigner };

export interface CounterpartyDeps {
  clock: Clock;
  standing: StandingDataLookup;
  nmiRoles: NmiRoleQueries;
  participants: () => ReadonlyMap<string, string>;
  settings: { maxPayloadBytes: number; payloadCap: (p: PriorityLetter) => number; signatureOver: 'json' | 'gzip'; seed: string };
  log?: { warn(obj: object, msg: string): void };
}

interface Activity {
  at: string;
  action: string;
  messageContextId?: string;
  status?: number;
  code?: string;
  variant?: InvalidVariant;
  detail?: string;
}

export interface CounterpartyView {
  id: string;
  spec: CounterpartySpec;
  state: 'running' | 'paused';
  startedAt: string;
  nextDueAt: string | null;
  /** Sender: the market day its next daily run sends. */
  nextMarketDate: string | null;
  stats: { sent: number; accepted: number; refused: number; refusedByCode: Record<string, number>; invalidSent: number; listed: number; retrieved: number; deleted: number; failed: number; errors: number };
  recent: Activity[];
}

interface Entry {
  id: string;
  spec: CounterpartySpec;
  startedAt: number;
  nextDueAt: number | null;
  nextDate: string | null;
  /** slow: messages taken since `startedAt`. */
  taken: number;
  random: SeededRandom;
  writer: MessageWriter;
  connection?: ReturnType<Connector>;
  stats: CounterpartyView['stats'];
  recent: Activity[];
}

const RECENT = 50;
/** A tick catches up at most this many runs of one counterparty (a clock moved a year does not send a year at once). */
const MAX_RUNS_PER_TICK = 31;
/** Largest number of messages one LNSP run handles. */
const MAX_DRAIN_PER_RUN = 5000;

function badRequest(problems: Array<[string, string]>): never {
  throw new IdxError('IDX_ERR_SCHEMA_INVALID', problems.map(([, m]) => m).join('; '),
    { errors: problems.map(([pointer, message]) => ({ in: 'body', pointer, code: 'COUNTERPARTY', message })) });
}

export class CounterpartyService {
  private readonly entries = new Map<string, Entry>();
  private connector: Connector | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;

  constructor(private readonly deps: CounterpartyDeps) {}

  /** Set once the hub can be reached (after listen, or by a test harness). */
  useConnector(connector: Connector): void {
    this.connector = connector;
  }

  list(): CounterpartyView[] {
    return [...this.entries.values()].map((e) => this.view(e));
  }

  get(id: string): CounterpartyView {
    return this.view(this.entry(id));
  }

  add(spec: CounterpartySpec): CounterpartyView {
    const problems = specProblems(spec, this.deps.participants());
    const id = spec.id ?? `${spec.kind === 'lnsp' ? 'lnsp' : 'sender'}-${spec.participantId.toLowerCase()}-${++this.sequence}`;
    if (this.entries.has(id)) problems.push(['/id', `a counterparty ${id} exists already`]);
    if (problems.length) badRequest(problems);
    const now = this.deps.clock.now();
    const seed = spec.kind === 'sender' ? spec.seed ?? `${this.deps.settings.seed}:${id}` : id;
    const entry: Entry = {
      id, spec: { ...spec, id }, startedAt: now, nextDueAt: null, nextDate: null, taken: 0,
      random: new SeededRandom(`${seed}:choices`),
      writer: new MessageWriter({ seed, intervalLength: spec.kind === 'sender' ? spec.intervalLength ?? 5 : 5, hubMaxPayloadBytes: this.deps.settings.maxPayloadBytes, idPrefix: 'v' }),
      stats: { sent: 0, accepted: 0, refused: 0, refusedByCode: {}, invalidSent: 0, listed: 0, retrieved: 0, deleted: 0, failed: 0, errors: 0 },
      recent: [],
    };
    this.schedule(entry, now);
    this.entries.set(id, entry);
    return this.view(entry);
  }

  /** Changes what may change while running: policy and rate, mix and share of invalid messages, paused. */
  update(id: string, patch: Partial<Omit<SenderSpec, 'kind' | 'participantId'>> & Partial<Omit<LnspSpec, 'kind' | 'participantId'>>): CounterpartyView {
    const entry = this.entry(id);
    const next = { ...entry.spec, ...patch } as CounterpartySpec;
    const problems = specProblems(next, this.deps.participants());
    if (problems.length) badRequest(problems);
    const wasSlow = entry.spec.kind === 'lnsp' && entry.spec.policy === 'slow';
    entry.spec = next;
    const now = this.deps.clock.now();
    // A new rate starts counting now; a changed schedule is planned again from now.
    if (next.kind === 'lnsp' && next.policy === 'slow' && (!wasSlow || patch.perMinute !== undefined)) {
      entry.startedAt = now;
      entry.taken = 0;
    }
    if (next.kind === 'sender' && (patch.schedule !== undefined || patch.from !== undefined)) this.schedule(entry, now);
    return this.view(entry);
  }

  remove(id: string): void {
    this.entry(id);
    this.entries.delete(id);
  }

  /** Does whatever is due now; ticks never overlap. */
  tick(): Promise<CounterpartyView[]> {
    const run = this.running.then(() => this.runDue());
    this.running = run.catch(() => undefined);
    return run;
  }

  /** Ticks every `ms` of real time (0: only on demand). */
  start(ms: number): void {
    if (ms <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.tick().catch((err) => this.deps.log?.warn({ err }, 'counterparty tick failed'));
    }, ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await Promise.all([...this.entries.values()].map((e) => e.connection?.client.close()));
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) {
      throw new IdxError('IDX_ERR_COUNTERPARTY_NOT_FOUND', `no counterparty ${id}; GET /sim/v1/counterparties lists them`,
        { errors: [{ in: 'path', name: 'id', code: 'NOT_FOUND', message: 'no such counterparty' }] });
    }
    return e;
  }

  private schedule(entry: Entry, now: number): void {
    const spec = entry.spec;
    if (spec.kind !== 'sender') return;
    const minutes = everyMinutesOf(spec);
    if (minutes === undefined) {
      const first = firstDailyRun(now, spec.from, (spec.schedule as { sendAtMinutes?: number }).sendAtMinutes ?? 60);
      entry.nextDate = first.date;
      entry.nextDueAt = first.dueAt;
    } else {
      entry.nextDate = null;
      entry.nextDueAt = now + minutes * 60_000;
    }
  }

  private async runDue(): Promise<CounterpartyView[]> {
    for (const entry of [...this.entries.values()]) {
      if (entry.spec.paused || !this.entries.has(entry.id)) continue;
      try {
        if (entry.spec.kind === 'lnsp') await this.drain(entry, entry.spec);
        else await this.send(entry, entry.spec);
      } catch (err) {
        entry.stats.errors++;
        this.remember(entry, { action: 'error', detail: (err as Error).message });
      }
    }
    return this.list();
  }

  private connection(entry: Entry): ReturnType<Connector> {
    if (!this.connector) throw new Error('the hub is not reachable yet (no connector)');
    entry.connection ??= this.connector(entry.spec);
    return entry.connection;
  }

  private remember(entry: Entry, a: Omit<Activity, 'at'>): void {
    entry.recent.push({ at: describeInstant(this.deps.clock.now())!, ...a });
    if (entry.recent.length > RECENT) entry.recent.splice(0, entry.recent.length - RECENT);
  }

  private async drain(entry: Entry, spec: LnspSpec): Promise<void> {
    if (spec.policy === 'stopped') return;
    const now = this.deps.clock.now();
    const max = spec.policy === 'slow' ? slowAllowance(spec.perMinute ?? 1, entry.startedAt, now, entry.taken) : MAX_DRAIN_PER_RUN;
    if (max <= 0) return;
    const { client } = this.connection(entry);
    const result = await drainQueue(client, { keep: spec.policy === 'get-only', skipRetrieved: spec.policy === 'get-only', page: 100, max: Math.min(max, MAX_DRAIN_PER_RUN) });
    entry.taken += result.retrieved + result.failed.length;
    entry.stats.listed += result.listed;
    entry.stats.retrieved += result.retrieved;
    entry.stats.deleted += result.deleted;
    entry.stats.failed += result.failed.length;
    if (result.retrieved || result.failed.length) {
      this.remember(entry, { action: spec.policy === 'get-only' ? 'get' : 'drain', detail: `${result.retrieved} retrieved, ${result.deleted} deleted, ${result.failed.length} failed` });
    }
  }

  private async send(entry: Entry, spec: SenderSpec): Promise<void> {
    for (let runs = 0; runs < MAX_RUNS_PER_TICK && entry.nextDueAt !== null && entry.nextDueAt <= this.deps.clock.now(); runs++) {
      const minutes = everyMinutesOf(spec);
      if (minutes === undefined) {
        const date = entry.nextDate!;
        await this.sendWindow(entry, spec, date, marketMidnightOf(date), marketMidnightOf(addMarketDays(date, 1)));
        entry.nextDate = addMarketDays(date, 1);
        entry.nextDueAt += 86_400_000;
      } else {
        const to = entry.nextDueAt;
        const from = to - minutes * 60_000;
        // A window may straddle market midnight: each day's part goes in that day's messages.
        for (let date = marketDate(from); marketMidnightOf(date) < to; date = addMarketDays(date, 1)) {
          await this.sendWindow(entry, spec, date, Math.max(from, marketMidnightOf(date)), Math.min(to, marketMidnightOf(addMarketDays(date, 1))));
        }
        entry.nextDueAt += minutes * 60_000;
      }
    }
  }

  /** Sends the sender's data for one market day, intervals starting in [from, to): one message per LNSP (split at the size cap). */
  private async sendWindow(entry: Entry, spec: SenderSpec, date: string, from: number, to: number): Promise<void> {
    const pid = spec.participantId;
    const candidates = spec.nmis ?? this.deps.nmiRoles.nmisOf(pid, ['MC', 'MDP'], date);
    const byLnsp = new Map<string, string[]>();
    for (const nmi of candidates) {
      const roles = this.deps.standing.rolesOn(nmi, date);
      // A faithful sender sends only what it is responsible for that day (spec §12 routing).
      if (!roles.MC.includes(pid) && !roles.MDP.includes(pid)) continue;
      const lnsp = roles.LNSP[0];
      if (!lnsp) continue;
      if (!byLnsp.has(lnsp)) byLnsp.set(lnsp, []);
      byLnsp.get(lnsp)!.push(nmi);
    }
    const whole = from === marketMidnightOf(date) && to === marketMidnightOf(addMarketDays(date, 1));
    const lnsps = [...byLnsp.keys()];
    for (const [lnsp, nmis] of byLnsp) {
      const priority = pickPriority(entry.random, spec.priorityMix);
      const cap = Math.min(this.deps.settings.payloadCap(priority), this.deps.settings.maxPayloadBytes);
      const messages = whole ? entry.writer.pack(pid, lnsp, date, nmis, priority, cap)
        : [entry.writer.message(pid, [lnsp], date, nmis.map((n) => windowed(entry.writer.detail(n, date), from, to)).filter((d): d is string => d !== undefined), priority)];
      for (const m of messages) {
        if (m.nmiCount === 0) continue;
        const variants = spec.invalidVariants?.length ? spec.invalidVariants : MESSAGE_VARIANTS;
        let json = m.json;
        let variant: InvalidVariant | undefined;
        let messageContextId = m.messageContextId;
        if ((spec.invalidShare ?? 0) > 0 && entry.random.next() < spec.invalidShare!) {
          variant = variants[Math.floor(entry.random.next() * variants.length)]!;
          if (variant !== 'wrong-party-after-churn') {
            const v = entry.writer.variant(variant, { sender: pid, lnsp, date, nmis: nmis.slice(0, 3), priority, otherLnsp: lnsps.find((l) => l !== lnsp) ?? 'NOTLNSP' });
            json = v.json;
            messageContextId = v.messageContextId;
          }
        }
        await this.submit(entry, json, messageContextId, priority, variant, `${date} → ${lnsp}`);
      }
    }
  }

  private async submit(entry: Entry, json: string, messageContextId: string, priority: PriorityLetter, variant: InvalidVariant | undefined, about: string): Promise<void> {
    const { client, signer } = this.connection(entry);
    const bytes = Buffer.from(json);
    const { constants, gzipSync } = await import('node:zlib');
    // The fastest level: this runs on the hub's event loop, and the bytes only cross loopback (a day of a
    // big sender is megabytes; level 1 compresses ~4x faster than the default 6, ~40% larger).
    const gzip = gzipSync(bytes, { level: constants.Z_BEST_SPEED });
    const reply = await client.submit(bytes, { messageContextId, priority, gzip, signature: signer.sign(this.deps.settings.signatureOver === 'gzip' ? gzip : bytes) });
    const code = reply.status === 200 ? undefined : (reply.json() as { code?: string } | undefined)?.code ?? `HTTP_${reply.status}`;
    entry.stats.sent++;
    if (variant) entry.stats.invalidSent++;
    if (reply.status === 200) entry.stats.accepted++;
    else {
      entry.stats.refused++;
      entry.stats.refusedByCode[code!] = (entry.stats.refusedByCode[code!] ?? 0) + 1;
    }
    this.remember(entry, { action: 'submit', messageContextId, status: reply.status, ...(code ? { code } : {}), ...(variant ? { variant } : {}), detail: about });
  }

  private view(e: Entry): CounterpartyView {
    return {
      id: e.id, spec: e.spec, state: e.spec.paused ? 'paused' : 'running', startedAt: describeInstant(e.startedAt)!,
      nextDueAt: e.spec.kind === 'sender' ? describeInstant(e.nextDueAt) : null, nextMarketDate: e.nextDate,
      stats: { ...e.stats, refusedByCode: { ...e.stats.refusedByCode } }, recent: [...e.recent],
    };
  }
}

/** Minutes between runs of an every-N-minutes sender; undefined for a daily one. */
function everyMinutesOf(spec: SenderSpec): number | undefined {
  return (spec.schedule as { everyMinutes?: number }).everyMinutes;
}

/** An NMI detail cut to the intervals starting in [from, to); undefined when none do. */
function windowed(detailJson: string, from: number, to: number): string | undefined {
  const d = JSON.parse(detailJson) as NmiDetail;
  for (const m of d.meters) m.intervals = m.intervals.filter((i: Interval) => {
    const start = Date.parse(i.intervalStartDateTime);
    return start >= from && start < to;
  });
  return d.meters.every((m) => m.intervals.length) ? JSON.stringify(d) : undefined;
}
