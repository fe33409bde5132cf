/**
 * The scenario runner engine (issue #11): plays loaded scenarios against a target and returns the run's
 * evidence as a RunResult (src/scenario/result-model.ts). Each scenario starts from a reset hub (or a
 * snapshot) unless it says `fresh: false`; a failed setup step fails the scenario and leaves its steps not
 * run; teardown always runs; `bail` stops after the first failed scenario; tags filter. Randomness (payload
 * generation, unique ids) is seeded per scenario from the run's seed and the scenario id, so filtering or
 * reordering does not change what a scenario sends.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { WebSocket } from 'undici';
import { IdxClient, newMessageContextId, priorityOf, type Reply } from '../client/idx-client.js';
import { ControlError } from '../cli/control-client.js';
import { SETTINGS, type Config } from '../config.js';
import { generateBpqdPayload } from '../domain/bpqd-generator.js';
import { systemClock } from '../domain/clock.js';
import { formatMarketDateTime } from '../domain/market-time.js';
import type { PriorityLetter } from '../domain/message-context-id.js';
import { URM_ENTITIES } from '../domain/participants.js';
import { createRandom, type SeededRandom } from '../domain/random.js';
import { MessageSigner } from '../security/message-signature.js';
import { capture, evaluate, jsonPath, matchValue, type Observation } from './expectations.js';
import { actionOf, PARTICIPANT_ACTIONS, type ActionName, type DeleteAction, type LoadedScenario, type Scenario, type Step, type WaitCondition } from './format.js';
import { exchangeOf, RecordingTransport, traceIdOf } from './recorder.js';
import type { Exchange, RunResult, ScenarioResult, StepResult } from './result-model.js';
import type { Target } from './target.js';
import { addDays, parseIsoDuration, substitute, VariableError, type VariableScope } from './variables.js';
import { stepLabel } from './step-label.js';

export interface RunOptions {
  target: Target;
  /** What was asked for, recorded in the result. */
  paths: string[];
  tags: string[];
  bail: boolean;
  seed: string;
  /** Overrides every participant-under-test scenario's subject participant (`--subject`). */
  subject?: string;
  runId: string;
  idxSimVersion: string;
  /** Live progress (the CLI's display). */
  onProgress?: (event: ProgressEvent) => void;
  /** Real time between polls of expectEvent (default 25 ms) — tests shorten nothing else. */
  pollMs?: number;
  /**
   * Starts a hub with these settings for one scenario (`settings:`), closed after it; absent (a --url run),
   * such scenarios are not run.
   */
  targetFor?: (overrides: Partial<Config>) => Promise<Target>;
}

export type ProgressEvent =
  | { kind: 'scenario-start'; scenario: LoadedScenario; index: number; total: number }
  | { kind: 'step-start'; scenario: LoadedScenario; step: { phase: StepResult['phase']; index: number; name: string } }
  | { kind: 'step-end'; scenario: LoadedScenario; step: StepResult }
  | { kind: 'scenario-end'; scenario: LoadedScenario; result: ScenarioResult; index: number; total: number };

/** Every URM entity: the hub grants the ones the participant's URM user holds (src/domain/participants.ts). */
const ALL_SCOPES = URM_ENTITIES.join(' ');

/** IdxClient with a token for every entity the user holds, so one client serves PQD, fctrl, translog and archive. */
class ScenarioClient extends IdxClient {
  override async headers(scope: string = ALL_SCOPES): Promise<Record<string, string>> {
    return super.headers(scope);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A step that cannot go on: its message is the step's failure reason. */
class StepFailure extends Error {}

interface ReceivedEvent { frame: Record<string, unknown>; consumed: boolean }

interface Participant {
  client: ScenarioClient;
  transport: RecordingTransport;
  signer?: MessageSigner;
  socket?: WebSocket;
  events: ReceivedEvent[];
}

/** One scenario's state while it runs. */
class ScenarioRun {
  readonly participants = new Map<string, Participant>();
  readonly vars = new Map<string, unknown>();
  readonly random: SeededRandom;
  readonly seen = new Set<string>();
  exchanges: Exchange[] = [];
  today = '';
  /** The simulated clock when the current step started. */
  now = '';
  private uniqueSeq = 0;

  constructor(readonly loaded: LoadedScenario, readonly options: RunOptions, readonly subject: Scenario['subject']) {
    this.random = createRandom(`${options.seed}:${loaded.scenario.id}`);
  }

  get scenario(): Scenario {
    return this.loaded.scenario;
  }

  get target(): Target {
    return this.options.target;
  }

  scope(): VariableScope {
    return {
      values: this.vars,
      builtin: (name) => {
        switch (name) {
          case 'run.id': return this.options.runId;
          case 'run.seed': return this.options.seed;
          case 'scenario.id': return this.scenario.id;
          case 'uniqueId': return `u${this.random.hex(6)}${(++this.uniqueSeq).toString(36)}`;
          case 'today': return this.today;
          case 'now': return this.now || undefined;
          case 'subject.participantId': return this.subject?.participantId;
          case 'subject.role': return this.subject?.role;
          default: {
            const m = /^today\s*([+-])\s*(\d+)$/.exec(name);
            if (m) return addDays(this.today, (m[1] === '-' ? -1 : 1) * Number(m[2]));
            return undefined;
          }
        }
      },
    };
  }

  participant(id: string, certificate: 'primary' | 'secondary' = 'primary'): Participant {
    this.seen.add(id);
    const key = `${id}/${certificate}`;
    let p = this.participants.get(key);
    if (!p) {
      const identity = this.target.identity(id, certificate);
      const transport = new RecordingTransport(identity, this.target.url);
      transport.sink = this.exchanges;
      p = { client: new ScenarioClient(identity, transport), transport, events: [] };
      this.participants.set(key, p);
    }
    p.transport.sink = this.exchanges;
    return p;
  }

  /** A control API call, recorded as evidence; a problem answer is an observation, not an exception. */
  async control(method: string, path: string, body?: unknown, record = true): Promise<Observation> {
    const started = performance.now();
    const url = `${this.target.url}/sim/v1${path}`;
    const headers = { authorization: 'Bearer [redacted]', accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const requestBody = body === undefined ? undefined : JSON.stringify(body);
    try {
      const res = await this.target.control.call(method, path, body);
      let json: unknown;
      try { json = res.text ? JSON.parse(res.text) : undefined; } catch { json = res.text; }
      if (record) this.exchanges.push(exchangeOf(method, url, headers, requestBody, fakeReply(res.status, res.headers, res.text, json), performance.now() - started));
      return { status: res.status, headers: res.headers, json };
    } catch (err) {
      if (!(err instanceof ControlError)) throw err;
      const json = err.problem;
      if (record) this.exchanges.push(exchangeOf(method, url, headers, requestBody, fakeReply(err.status, {}, JSON.stringify(json ?? {}), json), performance.now() - started));
      return { status: err.status, headers: {}, json };
    }
  }

  /** The simulated clock now (epoch ms), read without recording. */
  async clockNow(): Promise<{ ms: number; iso: string }> {
    const obs = await this.control('GET', '/clock', undefined, false);
    const iso = (obs.json as { now: string }).now;
    return { ms: Date.parse(iso), iso };
  }

  async close(): Promise<void> {
    for (const p of this.participants.values()) {
      try { p.socket?.close(); } catch { /* already closed */ }
      await p.client.close().catch(() => undefined);
    }
  }
}

function fakeReply(status: number, headers: Record<string, string | string[] | undefined>, text: string, json: unknown): Reply {
  return { status, headers, body: Buffer.from(text ?? ''), ms: 0, json: () => json };
}

const replyObservation = (r: Reply): Observation => ({ status: r.status, headers: r.headers, json: r.json() });
const query = (q: Record<string, unknown> | undefined) => {
  const entries = Object.entries(q ?? {}).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, String(v)] as [string, string]);
  return entries.length ? `?${new URLSearchParams(entries)}` : '';
};
const enc = encodeURIComponent;

/** The step kinds whose default expectation is "status 2xx" (they make one main HTTP exchange). */
const HTTP_ACTIONS = new Set<ActionName>([...PARTICIPANT_ACTIONS.filter((a) => a !== 'subscribe' && a !== 'expectEvent'), 'clock', 'churn', 'counterparty', 'fault', 'outage', 'reset', 'snapshot', 'journal', 'control']);

// ------------------------------------------------------------------------------------- participant steps

async function participantStep(run: ScenarioRun, action: ActionName, step: Step, as: string, sourceFile: string): Promise<Observation> {
  const p = run.participant(as, step.certificate);
  const c = p.client;
  switch (action) {
    case 'token': {
      const t = step.token && typeof step.token === 'object' ? step.token : {};
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: t.clientId ?? c.identity.clientId, client_secret: t.clientSecret ?? c.identity.clientSecret, scope: t.scope ?? ALL_SCOPES });
      return replyObservation(await p.transport.send('POST', c.identity.tokenPath ?? '/oauth/v1/token', { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, form.toString()));
    }
    case 'submit': {
      const s = step.submit!;
      let json: string;
      if (s.generate) {
        const g = s.generate;
        const date = g.date ?? run.today;
        const recipients = g.recipients ?? await lnspsOf(run, g.nmis.map(String), date);
        json = JSON.stringify(generateBpqdPayload(run.random, {
          sender: as, recipients, nmis: g.nmis.map(String), date, intervalLength: numberOr(g.intervalLength), intervalCount: numberOr(g.intervalCount),
          priority: g.priority ?? s.priority, phases: g.phases, messageDateTime: g.messageDateTime,
        }));
      } else if (s.file !== undefined) {
        const path = resolve(dirname(sourceFile), s.file);
        try {
          json = readFileSync(path, 'utf8');
        } catch (err) {
          throw new StepFailure(`submit file ${s.file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `no such file (${path})` : (err as Error).message}`);
        }
      } else json = typeof s.payload === 'string' ? s.payload : JSON.stringify(s.payload);
      const bytes = Buffer.from(json);
      const priority: PriorityLetter = s.priority ?? priorityOf(bytes) ?? 'l';
      const messageContextId = s.messageContextId ?? newMessageContextId(as, priority, `${run.scope().builtin('uniqueId')}`);
      let signature = s.signature;
      if (signature === undefined && s.sign !== false) {
        p.signer ??= new MessageSigner({ certPem: c.identity.cert.toString(), keyPem: c.identity.key.toString() });
        signature = p.signer.sign(bytes);
      }
      const reply = await c.call('POST', '/pqd/v1/bpqd', {
        'content-type': 'application/json', 'content-encoding': 'gzip', 'x-messageContextId': messageContextId,
        ...(signature ? { 'x-signature': signature } : {}), ...(s.schemaVersion ? { 'x-schemaVersion': s.schemaVersion } : {}), ...s.headers,
      }, gzipSync(bytes));
      run.vars.set('last.messageContextId', messageContextId);
      return replyObservation(reply);
    }
    case 'list': {
      const l = step.list && typeof step.list === 'object' ? step.list : {};
      return replyObservation(await c.call('GET', `/pqd/v1/bpqd${query(l as Record<string, unknown>)}`));
    }
    case 'get': {
      const id = typeof step.get === 'string' ? step.get : step.get!.messageContextId;
      return replyObservation(await c.get(id));
    }
    case 'delete': {
      const d = step.delete! as string | DeleteAction;
      if (typeof d === 'object' && d.all) return deleteAll(c, d.priority);
      const id = typeof d === 'string' ? d : d.messageContextId;
      if (!id) throw new StepFailure('delete needs a messageContextId (or all: true)');
      return replyObservation(await c.delete(id));
    }
    case 'flowControl': {
      const f = step.flowControl && typeof step.flowControl === 'object' ? step.flowControl : {};
      const path = `/fctrl/v1/businessFunctions/${enc(f.businessFunctionId ?? 'pqd')}`;
      if (f.manualStop === undefined) return replyObservation(await c.call('GET', `${path}${f.expand ? '?expand=true' : ''}`));
      return replyObservation(await c.call('PATCH', path, { 'content-type': 'application/json' }, JSON.stringify({ outboundDelivery: f.manualStop ? 'Stopped' : 'Started' })));
    }
    case 'participantStatus': {
      const q = step.participantStatus && typeof step.participantStatus === 'object' ? step.participantStatus.query : undefined;
      return replyObservation(await c.call('GET', `/fctrl/v1/participants${query(q)}`));
    }
    case 'translog': {
      const t = step.translog && typeof step.translog === 'object' ? step.translog : {};
      if (t.messageId) return replyObservation(await c.call('GET', `/translog/v1/messages/${enc(t.messageId)}${t.payload ? '/payload' : ''}`));
      return replyObservation(await c.call('GET', `/translog/v1/messages${query(t.query)}`));
    }
    case 'archive': {
      const a = step.archive && typeof step.archive === 'object' ? step.archive : {};
      if (a.messageContextId) return replyObservation(await c.call('GET', `/archive/v1/messages/${enc(a.messageContextId)}`));
      return replyObservation(await c.call('GET', `/archive/v1/messages${query(a.query)}`));
    }
    case 'request': {
      const r = step.request!;
      const body = r.body === undefined ? undefined : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      const headers = { ...(body !== undefined && typeof r.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...r.headers };
      const path = `${r.path}${query(r.query)}`;
      const reply = r.auth === false ? await p.transport.send(r.method, path, headers, body) : await c.call(r.method, path, headers, body);
      return replyObservation(reply);
    }
    case 'subscribe': {
      const s = step.subscribe && typeof step.subscribe === 'object' ? step.subscribe : {};
      const started = performance.now();
      const url = `${run.target.url.replace(/^http/, 'ws')}/events/v1`;
      try {
        p.socket?.close();
        p.socket = await c.events((frame) => {
          if (frame && typeof frame === 'object') p.events.push({ frame: frame as Record<string, unknown>, consumed: false });
        }, s.businessFunctionIds ? { businessFunctionIds: s.businessFunctionIds } : {});
      } catch (err) {
        run.exchanges.push({ method: 'GET', url, requestHeaders: { upgrade: 'websocket', authorization: 'Bearer [redacted]' }, responseBody: (err as Error).message, durationMs: performance.now() - started });
        throw new StepFailure(`could not subscribe as ${as}: ${(err as Error).message}`);
      }
      run.exchanges.push({ method: 'GET', url, requestHeaders: { upgrade: 'websocket', authorization: 'Bearer [redacted]' }, status: 101, durationMs: Math.round(performance.now() - started) });
      return { json: { subscribed: as } };
    }
    case 'expectEvent':
      return expectEvent(run, p, step);
    default:
      throw new StepFailure(`${action} is not a participant action`);
  }
}

const numberOr = (v: unknown) => (v === undefined ? undefined : Number(v));

/** The LNSPs of these NMIs on a market date (standing data through the control API). */
async function lnspsOf(run: ScenarioRun, nmis: string[], date: string): Promise<string[]> {
  const found = new Set<string>();
  for (const nmi of nmis) {
    const obs = await run.control('GET', `/nmis/${enc(nmi)}`, undefined, false);
    const roles = (obs.json as { data?: { roles?: Array<{ role: string; participantId: string; fromDate: string; toDate: string | null }> } })?.data?.roles ?? [];
    for (const r of roles) if (r.role === 'LNSP' && r.fromDate <= date && (r.toDate === null || r.toDate >= date)) found.add(r.participantId);
  }
  if (!found.size) throw new StepFailure(`no LNSP on ${date} for NMI ${nmis.join(', ')} in the standing data: name generate.recipients`);
  return [...found];
}

async function deleteAll(c: IdxClient, priority: string | undefined): Promise<Observation> {
  const deleted: string[] = [];
  for (let page = 0; page < 100; page++) {
    const list = await c.list({ itemCount: 500, ...(priority ? { priority } : {}) });
    if (list.status !== 200) return { ...replyObservation(list), json: { ...(list.json() as object), deleted: deleted.length, messageContextIds: deleted } };
    const items = ((list.json() as { data?: Array<{ messageContextId: string }> }).data ?? []);
    if (!items.length) break;
    for (const item of items) {
      const r = await c.delete(item.messageContextId);
      if (r.status >= 300) return { ...replyObservation(r), json: { ...(r.json() as object), deleted: deleted.length, messageContextIds: deleted } };
      deleted.push(item.messageContextId);
    }
  }
  return { status: 200, headers: {}, json: { deleted: deleted.length, messageContextIds: deleted } };
}

async function expectEvent(run: ScenarioRun, p: Participant, step: Step): Promise<Observation> {
  const e = step.expectEvent!;
  if (!p.socket) throw new StepFailure(`expectEvent: ${step.as} has no event subscription; add a "subscribe" step as ${step.as} first`);
  const start = await run.clockNow();
  const deadline = start.ms + parseIsoDuration(e.within ?? 'PT0S');
  const want = e.count ?? 1;
  const capMs = parseIsoDuration(e.realTimeCap ?? 'PT5S');
  const began = performance.now();
  const matches = (ev: ReceivedEvent) => ev.frame.eventType === e.type && Object.entries(e.match ?? {}).every(([path, m]) => {
    const nodes = jsonPath(ev.frame, path);
    return matchValue(nodes.length === 1 ? nodes[0] : nodes.length ? nodes : undefined, m, nodes.length > 0).ok;
  });
  for (;;) {
    const found = p.events.filter((ev) => !ev.consumed && matches(ev));
    if (found.length >= want) {
      const chosen = found.slice(0, want);
      for (const ev of chosen) ev.consumed = true;
      const late = chosen.find((ev) => typeof ev.frame.eventDateTime === 'string' && Date.parse(ev.frame.eventDateTime) > deadline);
      if (late) throw new StepFailure(`${e.type} arrived at ${late.frame.eventDateTime as string}, after the simulated deadline ${formatMarketDateTime(deadline)} (within ${e.within ?? 'PT0S'})`);
      return { json: { events: chosen.map((ev) => ev.frame) } };
    }
    if (performance.now() - began > capMs) {
      const other = p.events.filter((ev) => !ev.consumed).map((ev) => String(ev.frame.eventType));
      throw new StepFailure(`no ${e.type} event${e.match ? ` matching ${JSON.stringify(e.match)}` : ''} reached ${step.as} by ${formatMarketDateTime(deadline)} (simulated; waited ${e.realTimeCap ?? 'PT5S'} real)` +
        `; received meanwhile: ${other.length ? other.join(', ') : 'nothing'}`);
    }
    await sleep(run.options.pollMs ?? 25);
  }
}

// --------------------------------------------------------------------------------------- simulator steps

async function simulatorStep(run: ScenarioRun, action: ActionName, step: Step): Promise<Observation> {
  switch (action) {
    case 'clock': {
      const c = step.clock!;
      const body: Record<string, unknown> = {};
      if (c.freeze !== undefined) body.frozen = c.freeze;
      if (c.set !== undefined) body.dateTime = c.set;
      if (c.advance !== undefined) body.advanceSeconds = parseIsoDuration(c.advance) / 1000;
      return run.control('PUT', '/clock', body);
    }
    case 'churn': {
      const c = step.churn!;
      const body = Object.fromEntries(Object.entries({ fromDate: c.from, MDP: c.MDP, MC: c.MC, LNSP: c.LNSP }).filter(([, v]) => v !== undefined));
      for (const id of [c.MDP, c.MC, c.LNSP]) if (id) run.seen.add(id);
      return run.control('POST', `/nmis/${enc(String(c.nmi))}/churn`, body);
    }
    case 'counterparty': {
      const c = step.counterparty!;
      if (c.start) return run.control('POST', '/counterparties', c.start);
      if (c.stop !== undefined) return run.control('DELETE', `/counterparties/${enc(String(c.stop))}`);
      if (c.update) {
        const { id, ...rest } = c.update;
        return run.control('PATCH', `/counterparties/${enc(String(id))}`, rest);
      }
      return run.control('POST', '/counterparties/tick');
    }
    case 'fault': {
      const f = step.fault!;
      if (f.inject) return run.control('POST', '/faults', f.inject);
      return f.clear === 'all' ? run.control('DELETE', '/faults') : run.control('DELETE', `/faults/${enc(String(f.clear))}`);
    }
    case 'outage': {
      const o = step.outage!;
      const now = (o.start === undefined || o.end === undefined) ? (await run.clockNow()).ms : 0;
      const start = o.start ?? formatMarketDateTime(now + parseIsoDuration(o.startsIn ?? 'PT0S'));
      const end = o.end ?? formatMarketDateTime(Date.parse(start) + parseIsoDuration(o.lasts ?? 'PT1H'));
      return run.control('POST', '/outages', {
        outageStart: start, outageEnd: end, description: o.description ?? `scenario ${run.scenario.id}`,
        ...(o.participants ? { participantIds: o.participants } : {}), ...(o.apis ? { apis: o.apis } : {}),
      });
    }
    case 'reset':
      return run.control('POST', '/reset');
    case 'snapshot': {
      const s = step.snapshot!;
      return s.save !== undefined ? run.control('PUT', `/snapshots/${enc(s.save)}`) : run.control('POST', `/snapshots/${enc(s.restore!)}/restore`);
    }
    case 'journal': {
      const q = step.journal && typeof step.journal === 'object' ? step.journal.query : undefined;
      const entries = await journal(run, q, true);
      return { status: 200, headers: {}, json: { data: entries } };
    }
    case 'control': {
      const c = step.control!;
      return run.control(c.method.toUpperCase(), `${c.path}${query(c.query)}`, c.body);
    }
    case 'waitFor':
      return waitFor(run, step);
    default:
      throw new StepFailure(`${action} is not a simulator action`);
  }
}

interface JournalEntry {
  participantId: string | null; method: string; path: string; operationId: string | null; status: number; code: string | null;
  messageContextId: string | null; traceId: string; at: string; response: { body: string; encoding: string } | null;
}

/** Every journal entry matching the query, following the cursor. */
async function journal(run: ScenarioRun, q: Record<string, unknown> | undefined, record = false): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 200; page++) {
    const obs: Observation = await run.control('GET', `/journal${query({ itemCount: 500, ...q, ...(cursor ? { cursor } : {}) })}`, undefined, record);
    if (obs.status !== 200) throw new StepFailure(`the journal query ${JSON.stringify(q ?? {})} was refused: ${obs.status} ${JSON.stringify(obs.json)}`);
    const body = obs.json as { data: JournalEntry[]; meta: { nextCursor: string | null } };
    out.push(...body.data);
    cursor = body.meta.nextCursor;
    if (!cursor) break;
  }
  return out;
}

const ok = (status: number) => status >= 200 && status < 300;

/**
 * Messages accepted for a participant (journal: accepted submissions naming it as a receiver), and how many
 * accepted submissions could not be read (journal bodies cut or switched off): those are not assumed away.
 */
function acceptedFor(submits: JournalEntry[], participantId: string): { ids: string[]; unreadable: number } {
  const ids: string[] = [];
  let unreadable = 0;
  for (const s of submits) {
    if (s.status !== 200 || !s.messageContextId) continue;
    try {
      if (s.response?.encoding !== 'utf8') throw new Error('not text');
      const receivers = (JSON.parse(s.response.body) as { data?: { receivingParticipantIds?: string[] } }).data?.receivingParticipantIds;
      if (!Array.isArray(receivers)) throw new Error('no receivers');
      if (receivers.includes(participantId)) ids.push(s.messageContextId);
    } catch {
      unreadable++;
    }
  }
  return { ids, unreadable };
}

interface Judgement { met: boolean; description: string; detail: string }

async function judge(run: ScenarioRun, c: WaitCondition): Promise<Judgement[]> {
  const out: Judgement[] = [];
  if (c.deletedAll !== undefined) {
    const p = c.deletedAll;
    run.seen.add(p);
    const { ids: accepted, unreadable } = acceptedFor(await journal(run, { operationId: 'submitBpqd', status: 200 }), p);
    const deleted = new Set((await journal(run, { operationId: 'deleteBpqd', participantId: p })).filter((e) => ok(e.status)).map((e) => e.messageContextId?.toLowerCase()));
    const missing = accepted.filter((id) => !deleted.has(id.toLowerCase()));
    out.push({ met: missing.length === 0 && unreadable === 0, description: `${p}'s queue is empty and every message accepted for it was deleted`,
      detail: `${accepted.length - missing.length} of ${accepted.length} accepted message(s) deleted${missing.length ? `; not deleted: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}` : ''}` +
        (unreadable ? `; ${unreadable} accepted submission(s) whose receivers the journal does not show (IDX_SIM_JOURNAL_BODY_BYTES too small?)` : '') });
  }
  if (c.submitted) {
    const { by, nmi, date } = c.submitted;
    run.seen.add(by);
    const obs = await run.control('GET', `/coverage${query({ fromDate: date, toDate: date, nmi: String(nmi) })}`, undefined, false);
    const row = (obs.json as { data?: Array<{ status: string; arrivals: Array<{ senderId: string }> }> } | undefined)?.data?.[0];
    const senders = [...new Set(row?.arrivals.map((a) => a.senderId) ?? [])];
    out.push({ met: senders.includes(by), description: `${by} submitted market day ${date} for NMI ${nmi}`,
      detail: obs.status !== 200 ? `coverage query refused: ${obs.status} ${JSON.stringify(obs.json)}` : row ? `coverage ${row.status}; received from ${senders.join(', ') || 'nobody'}` : 'no coverage row (no standing data for that NMI and day?)' });
  }
  if (c.journal) {
    const n = (await journal(run, c.journal.query)).length;
    const min = c.journal.min ?? 1;
    const met = n >= min && (c.journal.max === undefined || n <= c.journal.max);
    out.push({ met, description: `journal entries matching ${JSON.stringify(c.journal.query ?? {})}: at least ${min}${c.journal.max !== undefined ? `, at most ${c.journal.max}` : ''}`, detail: `${n} found` });
  }
  if (c.noLoss !== undefined) {
    const p = c.noLoss;
    run.seen.add(p);
    // As a sender: every submission refused for a passing reason (429, 5xx, or no answer) was later accepted under
    // the same messageContextId (a 409 duplicate means an earlier try was accepted). As a receiver: nothing it
    // deleted was deleted before it was fetched (GET 200) — a delete before a successful get loses the payload.
    const sent = await journal(run, { operationId: 'submitBpqd', participantId: p });
    const acceptedIds = new Set(sent.filter((e) => e.status === 200 || e.status === 409).map((e) => e.messageContextId?.toLowerCase()));
    const lostSends = [...new Set(sent.filter((e) => (e.status === 0 || e.status === 429 || e.status >= 500) && e.messageContextId && !acceptedIds.has(e.messageContextId.toLowerCase())).map((e) => e.messageContextId!))];
    const reads = await journal(run, { participantId: p, path: '/pqd/v1/bpqd' });
    const fetched = new Set<string>();
    const lostReads: string[] = [];
    for (const e of reads) {
      const id = e.messageContextId?.toLowerCase();
      if (!id) continue;
      if (e.method === 'GET' && e.status === 200) fetched.add(id);
      if (e.method === 'DELETE' && ok(e.status) && !fetched.has(id)) lostReads.push(e.messageContextId!);
    }
    const lost = [...lostSends.map((id) => `${id} (refused, never accepted)`), ...lostReads.map((id) => `${id} (deleted before it was fetched)`)];
    out.push({ met: lost.length === 0, description: `no message of ${p} was lost`, detail: lost.length ? `lost: ${lost.slice(0, 5).join(', ')}${lost.length > 5 ? ` and ${lost.length - 5} more` : ''}` : `${acceptedIds.size} accepted submission(s), ${fetched.size} fetched message(s) accounted for` });
  }
  return out;
}

/**
 * Waits for the participant under test (docs/scenarios.md "Waiting for the participant under test"): judges
 * the condition, and while it does not hold advances the simulated clock by `tick` (default PT1M) every
 * `tickEveryMs` real milliseconds (default 1000) until the simulated deadline `within` or the real-time cap.
 */
async function waitFor(run: ScenarioRun, step: Step): Promise<Observation> {
  const w = step.waitFor!;
  const start = await run.clockNow();
  const deadline = start.ms + parseIsoDuration(w.within);
  const tick = parseIsoDuration(w.tick ?? 'PT1M');
  const every = w.tickEveryMs ?? 1000;
  const cap = parseIsoDuration(w.realTimeCap ?? 'PT2M');
  const began = performance.now();
  let ticks = 0;
  for (;;) {
    const judged = await judge(run, w.condition);
    const now = await run.clockNow();
    const summary = { condition: judged, simulatedStart: start.iso, simulatedNow: now.iso, deadline: formatMarketDateTime(deadline), ticks };
    if (judged.every((j) => j.met)) return { status: 200, headers: {}, json: { met: true, ...summary } };
    const unmet = judged.filter((j) => !j.met).map((j) => `${j.description} (${j.detail})`).join('; ');
    if (now.ms >= deadline) throw new StepFailure(`not met by the simulated deadline ${formatMarketDateTime(deadline)} (within ${w.within} of ${start.iso}): ${unmet}`);
    if (performance.now() - began >= cap) throw new StepFailure(`not met within the real-time cap ${w.realTimeCap ?? 'PT2M'} (simulated clock at ${now.iso}, deadline ${formatMarketDateTime(deadline)}): ${unmet}`);
    await sleep(every);
    if (tick > 0) {
      const by = Math.max(1, Math.round(Math.min(tick, deadline - now.ms) / 1000));
      await run.control('PUT', '/clock', { advanceSeconds: by }, ticks === 0);
      ticks++;
    }
  }
}

// -------------------------------------------------------------------------------------------- the steps

function stepName(step: Step, action: ActionName): string {
  if (step.name) return step.name;
  return step.as ? `${action} as ${step.as}` : action;
}

async function runStep(run: ScenarioRun, raw: Step, phase: StepResult['phase'], index: number): Promise<StepResult> {
  const action = actionOf(raw);
  const began = performance.now();
  run.exchanges = [];
  const result: StepResult = { index, phase, name: stepName(raw, action), action, ...(raw.as ? { as: raw.as } : {}), outcome: 'passed', durationMs: 0, exchanges: run.exchanges, assertions: [] };
  try {
    result.simulatedStart = (await run.clockNow()).iso;
    run.now = result.simulatedStart;
  } catch { /* the clock read failing is reported by the step itself */ }
  try {
    const step = substitute({ ...raw, capture: undefined }, run.scope()) as Step;
    if (step.as) result.as = step.as;
    result.name = stepName(step, action);
    const isParticipant = (PARTICIPANT_ACTIONS as readonly string[]).includes(action);
    const obs = isParticipant ? await participantStep(run, action, step, step.as!, run.loaded.absoluteFile) : await simulatorStep(run, action, step);
    result.exchanges = run.exchanges;
    if (action === 'waitFor') {
      for (const j of (obs.json as { condition: Judgement[] }).condition) result.assertions.push({ description: `${j.description}: ${j.detail}`, passed: j.met });
    } else if (action === 'expectEvent') {
      result.assertions.push({ description: `${step.expectEvent!.type} event received by ${step.as}`, passed: true, actual: (obs.json as { events: unknown[] }).events });
    }
    result.assertions.push(...evaluate(obs, step.expect, HTTP_ACTIONS.has(action) ? '2xx' : undefined));
    const last = run.exchanges[run.exchanges.length - 1];
    if (obs.status !== undefined) run.vars.set('last.status', obs.status);
    const traceId = traceIdOf(obs.headers, obs.json) ?? last?.traceId;
    if (traceId) run.vars.set('last.traceId', traceId);
    if (result.assertions.every((a) => a.passed) && raw.capture) {
      const captured = capture(obs, raw.capture);
      for (const [k, v] of Object.entries(captured)) run.vars.set(k, v);
      result.captured = captured;
    }
  } catch (err) {
    result.exchanges = run.exchanges;
    const e = err as Error;
    const known = err instanceof StepFailure || err instanceof VariableError || /^capture |^JSONPath /.test(e.message);
    result.assertions.push({ description: known ? e.message : `${action} could not run: ${describe(err)}`, passed: false });
  }
  const failed = result.assertions.filter((a) => !a.passed);
  if (failed.length) {
    result.outcome = 'failed';
    const where = `${stepLabel({ phase, index })} "${result.name}"`;
    result.message = `${where}: ${failed.map((a) => a.description).join('; ')}`;
  }
  try {
    result.simulatedEnd = (await run.clockNow()).iso;
  } catch { /* as above */ }
  result.durationMs = Math.round(performance.now() - began);
  return result;
}

function describe(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { message?: string; code?: string } };
  const cause = e.cause?.message && e.cause.message !== e.message ? ` (${e.cause.code ?? ''}${e.cause.code ? ': ' : ''}${e.cause.message})` : e.code ? ` (${e.code})` : '';
  return `${e.message ?? String(err)}${cause}`;
}

function notRunStep(raw: Step, phase: StepResult['phase'], index: number, reason: string): StepResult {
  const action = actionOf(raw);
  return { index, phase, name: stepName(raw, action), action, ...(raw.as ? { as: raw.as } : {}), outcome: 'not-run', message: reason, durationMs: 0, exchanges: [], assertions: [] };
}

function scenarioShell(l: LoadedScenario, subject: Scenario['subject']): ScenarioResult {
  const s = l.scenario;
  return {
    id: s.id, title: s.title, file: l.file, tags: s.tags ?? [], priority: s.priority ?? 'medium', trace: s.trace ?? {},
    mode: s.mode ?? 'hub', ...(subject ? { subject } : {}), participants: [], outcome: 'not-run', durationMs: 0, steps: [], defectIds: [],
  };
}

function allNotRun(l: LoadedScenario, subject: Scenario['subject'], reason: string): ScenarioResult {
  const r = scenarioShell(l, subject);
  r.notRunReason = reason;
  for (const phase of ['setup', 'steps', 'teardown'] as const) (l.scenario[phase] ?? []).forEach((s, i) => r.steps.push(notRunStep(s, phase, i, reason)));
  r.participants = participantsOf(l.scenario, subject);
  return r;
}

function participantsOf(s: Scenario, subject: Scenario['subject']): string[] {
  const ids = new Set<string>();
  if (subject) ids.add(subject.participantId);
  for (const phase of ['setup', 'steps', 'teardown'] as const) for (const st of s[phase] ?? []) if (st.as && !st.as.includes('${')) ids.add(st.as);
  return [...ids].sort();
}

/** Runs one scenario: clean start, variables, setup, steps, teardown. */
export async function runScenario(l: LoadedScenario, options: RunOptions): Promise<ScenarioResult> {
  const s = l.scenario;
  const subject = s.subject && options.subject ? { ...s.subject, participantId: options.subject } : s.subject;
  const result = scenarioShell(l, subject);
  const run = new ScenarioRun(l, options, subject);
  const began = performance.now();
  try {
    // A clean hub unless the scenario continues from the previous one.
    let startProblem: string | undefined;
    if (s.fromSnapshot) {
      const obs = await run.control('POST', `/snapshots/${enc(s.fromSnapshot)}/restore`, undefined, false);
      if (obs.status !== 200) startProblem = `could not restore snapshot "${s.fromSnapshot}": ${obs.status} ${(obs.json as { detail?: string })?.detail ?? ''}`;
    } else if (s.fresh !== false) {
      const obs = await run.control('POST', '/reset', undefined, false);
      if (obs.status !== 200) startProblem = `could not reset the hub: ${obs.status} ${(obs.json as { detail?: string })?.detail ?? ''}`;
    }
    run.today = (await run.clockNow()).iso.slice(0, 10);
    if (!startProblem) {
      try {
        for (const [k, v] of Object.entries(s.variables ?? {})) run.vars.set(k, substitute(v, run.scope()));
      } catch (err) {
        startProblem = `variables: ${(err as Error).message}`;
      }
    }
    let failedAt: string | undefined = startProblem;
    const phases = [['setup', s.setup ?? []], ['steps', s.steps]] as const;
    for (const [phase, steps] of phases) {
      for (let i = 0; i < steps.length; i++) {
        if (failedAt) {
          result.steps.push(notRunStep(steps[i]!, phase, i, phase === 'steps' && result.steps.some((r) => r.phase === 'setup' && r.outcome === 'failed') ? 'setup failed' : failedAt === startProblem ? startProblem! : 'an earlier step failed'));
          continue;
        }
        options.onProgress?.({ kind: 'step-start', scenario: l, step: { phase, index: i, name: steps[i]!.name ?? actionOf(steps[i]!) } });
        const r = await runStep(run, steps[i]!, phase, i);
        result.steps.push(r);
        options.onProgress?.({ kind: 'step-end', scenario: l, step: r });
        if (r.outcome === 'failed') failedAt = r.message;
      }
    }
    // Teardown always runs, whatever happened before.
    for (let i = 0; i < (s.teardown ?? []).length; i++) {
      const st = s.teardown![i]!;
      options.onProgress?.({ kind: 'step-start', scenario: l, step: { phase: 'teardown', index: i, name: st.name ?? actionOf(st) } });
      const r = await runStep(run, st, 'teardown', i);
      result.steps.push(r);
      options.onProgress?.({ kind: 'step-end', scenario: l, step: r });
    }
    const firstFailure = result.steps.find((r) => r.outcome === 'failed');
    result.outcome = startProblem || firstFailure ? 'failed' : 'passed';
    if (startProblem) {
      result.notRunReason = undefined;
      result.steps.unshift({ index: 0, phase: 'setup', name: 'start from a clean hub', action: s.fromSnapshot ? 'snapshot' : 'reset', outcome: 'failed', message: startProblem, durationMs: 0, exchanges: [], assertions: [{ description: startProblem, passed: false }] });
    }
  } finally {
    await run.close();
  }
  result.participants = [...new Set([...participantsOf(s, subject), ...run.seen])].sort();
  result.durationMs = Math.round(performance.now() - began);
  return result;
}

/** Why a scenario's outcome is what it is, in one line: the first failed step's message. */
export function failureReason(r: ScenarioResult): string | undefined {
  if (r.outcome === 'not-run') return r.notRunReason;
  return r.steps.find((s) => s.outcome === 'failed')?.message;
}

/** A scenario's `settings:` as configuration overrides (the loader checked names and values). */
function settingsOf(s: Scenario): Partial<Config> | undefined {
  const entries = Object.entries(s.settings ?? {});
  if (!entries.length) return undefined;
  return Object.fromEntries(entries.map(([k, v]) => [k, (SETTINGS as Record<string, { parse(raw: string): unknown }>)[k]!.parse(String(v))])) as Partial<Config>;
}

const ROLE_WORDS = { lnsp: 'an LNSP receiver', sender: 'an MC/MDP sender' } as const;

/**
 * Why a participant-under-test scenario cannot run: no --subject (the participant's own system is not there), or
 * a subject of another role. Hub scenarios always run.
 */
async function subjectProblem(s: Scenario, options: RunOptions, roles: () => Promise<Map<string, string>>): Promise<string | undefined> {
  if (s.mode !== 'participant-under-test' || !s.subject) return undefined;
  const wanted = s.subject.role;
  if (!options.subject) return `participant under test: start ${ROLE_WORDS[wanted]} pointed at idx-sim and pass --subject <its participant ID>`;
  const role = (await roles()).get(options.subject);
  if (!role) return `--subject ${options.subject} is not a participant of the hub`;
  const is = role === 'LNSP' ? 'lnsp' : 'sender';
  return is === wanted ? undefined : `this scenario judges ${ROLE_WORDS[wanted]}; --subject ${options.subject} is ${role === 'LNSP' ? 'an LNSP' : `an ${role}, a sender`}`;
}

function matchesTags(s: Scenario, tags: string[]): boolean {
  return !tags.length || (s.tags ?? []).some((t) => tags.includes(t));
}

/** Runs scenarios in order and returns the whole run's evidence. */
export async function runScenarios(loaded: LoadedScenario[], options: RunOptions): Promise<RunResult> {
  const startedAt = new Date(systemClock.now()).toISOString(); // wall-clock time of the run (not the simulated clock)
  const began = performance.now();
  const clockAt = async () => {
    const res = await options.target.control.call('GET', '/clock');
    return (res.json() as { now: string }).now;
  };
  const simulatedClockStart = await clockAt();
  const scenarios: ScenarioResult[] = [];
  let bailed: string | undefined;
  let roleMap: Map<string, string> | undefined;
  const roles = async () => {
    if (!roleMap) {
      const res = await options.target.control.call('GET', '/participants');
      roleMap = new Map((res.json() as { data: Array<{ participantId: string; role: string }> }).data.map((p) => [p.participantId, p.role]));
    }
    return roleMap;
  };
  for (let i = 0; i < loaded.length; i++) {
    const l = loaded[i]!;
    const subject = l.scenario.subject && options.subject ? { ...l.scenario.subject, participantId: options.subject } : l.scenario.subject;
    const settings = settingsOf(l.scenario);
    let r: ScenarioResult;
    let reason: string | undefined;
    if (!matchesTags(l.scenario, options.tags)) r = allNotRun(l, subject, `filtered: no tag of ${options.tags.join(', ')}`);
    else if (bailed) r = allNotRun(l, subject, `--bail: not run after ${bailed} failed`);
    else if ((reason = await subjectProblem(l.scenario, options, roles))) r = allNotRun(l, subject, reason);
    else if (settings && !options.targetFor) {
      r = allNotRun(l, subject, `needs hub settings (${Object.keys(settings).join(', ')}) that a running hub cannot change: run it in-process (without --url)`);
    } else {
      options.onProgress?.({ kind: 'scenario-start', scenario: l, index: i, total: loaded.length });
      if (settings) {
        let own: Target | undefined;
        try {
          own = await options.targetFor!(settings);
          r = await runScenario(l, { ...options, target: own });
        } catch (err) {
          if (own) throw err;
          const message = `could not start a hub with the scenario's settings: ${(err as Error).message}`;
          r = allNotRun(l, subject, message);
          r.outcome = 'failed';
          r.notRunReason = undefined;
          r.steps.unshift({ index: 0, phase: 'setup', name: 'start a hub with the scenario settings', action: 'reset', outcome: 'failed', message, durationMs: 0, exchanges: [], assertions: [{ description: message, passed: false }] });
        } finally {
          await own?.close();
        }
        r.settings = Object.fromEntries(Object.entries(l.scenario.settings!).map(([k, v]) => [k, String(v)]));
      } else r = await runScenario(l, options);
      if (r.outcome === 'failed' && options.bail) bailed = r.id;
    }
    scenarios.push(r);
    options.onProgress?.({ kind: 'scenario-end', scenario: l, result: r, index: i, total: loaded.length });
  }
  const simulatedClockEnd = await clockAt();
  const count = (o: ScenarioResult['outcome']) => scenarios.filter((s) => s.outcome === o).length;
  const high = scenarios.filter((s) => s.priority === 'high');
  const highPassed = high.filter((s) => s.outcome === 'passed').length;
  return {
    schemaVersion: 1,
    runId: options.runId,
    startedAt,
    finishedAt: new Date(systemClock.now()).toISOString(),
    durationMs: Math.round(performance.now() - began),
    environment: {
      idxSimVersion: options.idxSimVersion, node: process.version, platform: `${process.platform} ${process.arch}`,
      target: options.target.kind === 'in-process' ? { kind: 'in-process' } : { kind: 'url', url: options.target.url },
      profile: options.target.profile, seed: options.seed, settings: options.target.settings, simulatedClockStart, simulatedClockEnd,
    },
    selection: { paths: options.paths, tags: options.tags, bail: options.bail },
    scenarios,
    defects: [],
    summary: {
      total: scenarios.length, passed: count('passed'), failed: count('failed'), notRun: count('not-run'),
      highPriority: { total: high.length, passed: highPassed },
      entryCriteria: [
        { description: 'The test environment (idx-sim) is up and answers the control API', met: true, detail: `${options.target.kind === 'in-process' ? 'in-process' : options.target.url}` },
        { description: 'Scenarios are loaded and valid', met: true, detail: `${loaded.length} scenario(s)` },
      ],
      exitCriteria: [
        { description: 'All high-priority scenarios pass', met: high.length > 0 && highPassed === high.length, detail: `${highPassed} of ${high.length} high-priority scenario(s) passed` },
        { description: 'No scenario failed', met: count('failed') === 0, detail: `${count('failed')} failed, ${count('not-run')} not run` },
      ],
      openDefects: 0,
    },
  };
}
