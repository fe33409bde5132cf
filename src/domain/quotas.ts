/**
 * Quotas and rate limits (spec §4.1, §4.2, §4.4, §8): what each published limit counts, over which
 * window, and what a refusal says. Pure: counts live behind CounterStore (src/store/quota-counters.ts)
 * and the time is passed in, so the limits move with the simulated clock.
 *
 * Windows are fixed and calendar-aligned: a minute is a clock minute (hh:mm:00 to hh:mm:59.999), a
 * day is a market day (AEST midnight to midnight, spec §3), so a refusal can say exactly when the
 * window resets (docs/spec-variance.md).
 */
import { SETTINGS, type Config } from '../config.js';
import { IdxError, type ProblemItem } from './errors.js';
import { formatMarketDateTime, marketDate, nextMarketMidnight } from './market-time.js';
import { PRIORITY_WORD, type PriorityLetter } from './message-context-id.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export type WindowKind = 'minute' | 'day';

/** A fixed counting window [start, end), epoch ms. */
export interface Window {
  readonly kind: WindowKind;
  readonly start: number;
  readonly end: number;
}

export function windowAt(kind: WindowKind, now: number): Window {
  if (kind === 'minute') {
    const start = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    return { kind, start, end: start + MINUTE_MS };
  }
  const end = nextMarketMidnight(now);
  return { kind, start: end - DAY_MS, end };
}

/** Whole seconds until the window ends (Retry-After, RFC 9110 §10.2.3); at least 1. */
export function retryAfterSeconds(window: Window, now: number): number {
  return Math.max(1, Math.ceil((window.end - now) / 1000));
}

/**
 * Hit counters, one fixed window per key at a time (the model is @fastify/rate-limit's store).
 *   incr(key, window)  counts one hit for `key` in `window` and returns the count including it; when the
 *                      key's stored window is another one, that count is dropped first (a new window
 *                      starts at 1).
 *   count(key, window) the count of `key` in `window`, without adding one (0 when none).
 * A store may forget any key whose window ended at or before the latest window start it has been given.
 */
export interface CounterStore {
  incr(key: string, window: Window): number;
  count(key: string, window: Window): number;
}

/** The limit settings, so a refusal can name the one to change. */
type LimitSetting = 'pqdRequestsPerMinute' | 'fctrlRequestsPerDay' | 'fctrlPatchRequestsPerDay' | 'bfinfoRequestsPerDay'
  | 'dailyMessagesHigh' | 'dailyMessagesMedium' | 'dailyMessagesLow';
export type QuotaConfig = Pick<Config, LimitSetting | 'profile'>;

interface RequestQuota {
  /** The API, as the refusal names it. */
  readonly api: string;
  readonly window: WindowKind;
  /**
   * Who shares one count, besides the participant: each operation (endpoint) counts on its own, or
   * each business function named by the `businessFunctionId` path parameter.
   */
  readonly per: 'operation' | 'businessFunction';
  readonly setting: LimitSetting;
  readonly source: string;
}

/**
 * The request quotas an operation can carry in its OpenAPI `x-idx-quota` list. AEMO publishes them per
 * participant ID; every refusal is 429 (spec §7) with IDX_ERR_RATE_LIMITED.
 */
export const REQUEST_QUOTAS = {
  'pqd-requests-per-minute': { api: 'PQD API', window: 'minute', per: 'operation', setting: 'pqdRequestsPerMinute', source: 'spec §4.1' },
  'fctrl-requests-per-day': { api: 'Flow Control API', window: 'day', per: 'operation', setting: 'fctrlRequestsPerDay', source: 'spec §4.2' },
  'fctrl-patch-requests-per-day': {
    api: 'Flow Control API', window: 'day', per: 'businessFunction', setting: 'fctrlPatchRequestsPerDay',
    source: 'spec §4.2: outbound delivery can be switched off and on once per day',
  },
  'bfinfo-requests-per-day': { api: 'Business Function Information API', window: 'day', per: 'operation', setting: 'bfinfoRequestsPerDay', source: 'spec §4.4' },
} as const satisfies Record<string, RequestQuota>;

export type RequestQuotaName = keyof typeof REQUEST_QUOTAS;

export function isRequestQuotaName(name: string): name is RequestQuotaName {
  return Object.hasOwn(REQUEST_QUOTAS, name);
}

/** One request, as the quotas see it. */
export interface RequestSubject {
  participantId: string;
  operationId: string;
  /** `GET /pqd/v1/bpqd`, for the refusal's detail. */
  route: string;
  /** Path parameters as received (`businessFunctionId` for a per-business-function quota). */
  params: Readonly<Record<string, string | undefined>>;
}

const windowWords = (window: Window): { per: string; span: string; reset: string } => window.kind === 'minute'
  ? {
    per: 'per minute',
    span: `in the minute ${formatMarketDateTime(window.start).slice(11, 19)}–${formatMarketDateTime(window.end).slice(11, 19)} (+10:00)`,
    reset: `at ${formatMarketDateTime(window.end)}`,
  }
  : { per: 'per market day', span: `on market day ${marketDate(window.start)}`, reset: `at AEST midnight, ${formatMarketDateTime(window.end)}` };

function settingNote(config: QuotaConfig, setting: LimitSetting): string {
  return `idx-sim: ${SETTINGS[setting].env}=${config[setting]}, profile ${config.profile}`;
}

/** Counts requests against the quotas named by their operation, refusing the first one over its limit. */
export class RequestLimiter {
  constructor(private readonly config: QuotaConfig, private readonly stores: Readonly<Record<WindowKind, CounterStore>>) {}

  /**
   * Counts one request against each quota; throws 429 IDX_ERR_RATE_LIMITED at the first quota whose
   * limit the request exceeds. Refused requests count too, as on a gateway: they do not move the window.
   */
  admit(quotas: readonly RequestQuotaName[], subject: RequestSubject, now: number): void {
    for (const name of quotas) {
      const quota: RequestQuota = REQUEST_QUOTAS[name];
      const window = windowAt(quota.window, now);
      const businessFunctionId = (subject.params.businessFunctionId ?? '').toLowerCase();
      const count = this.stores[quota.window].incr(this.key(name, subject), window);
      const limit = this.config[quota.setting];
      if (count <= limit) continue;

      const words = windowWords(window);
      const retryAfter = retryAfterSeconds(window, now);
      const what = quota.per === 'operation'
        ? `${limit} requests per participant per endpoint ${words.per}`
        : `${limit} requests per participant per business function ${words.per}`;
      const on = quota.per === 'operation' ? `${subject.operationId} (${subject.route})` : `business function "${businessFunctionId}" (${subject.route})`;
      const problem: ProblemItem = quota.per === 'operation'
        ? { in: 'header', name: 'x-initiatingParticipantId', code: 'RATE_LIMITED', message: `${limit} ${subject.operationId} requests ${words.per} used` }
        : { in: 'path', name: 'businessFunctionId', code: 'RATE_LIMITED', message: `${limit} requests ${words.per} used for ${businessFunctionId}` };
      throw new IdxError('IDX_ERR_RATE_LIMITED',
        `${subject.participantId} is over the ${quota.api} limit of ${what} (${quota.source}): this was request ${count} on ${on} ${words.span}. ` +
        `The window resets ${words.reset}; retry after ${retryAfter} s. (${settingNote(this.config, quota.setting)})`,
        { errors: [problem], headers: { 'retry-after': String(retryAfter) } });
    }
  }

  /** Requests the quota still allows this subject in the current window, without counting one (the Flow Control page's "switches left"). */
  remaining(name: RequestQuotaName, subject: Pick<RequestSubject, 'participantId' | 'operationId' | 'params'>, now: number): number {
    const quota: RequestQuota = REQUEST_QUOTAS[name];
    return Math.max(0, this.config[quota.setting] - this.stores[quota.window].count(this.key(name, subject), windowAt(quota.window, now)));
  }

  private key(name: RequestQuotaName, subject: Pick<RequestSubject, 'participantId' | 'operationId' | 'params'>): string {
    const quota: RequestQuota = REQUEST_QUOTAS[name];
    const scope = quota.per === 'operation' ? subject.operationId : `businessFunctionId=${(subject.params.businessFunctionId ?? '').toLowerCase()}`;
    return `${name}|${subject.participantId}|${scope}`;
  }
}

const DAILY_MESSAGE_SETTING: Record<PriorityLetter, LimitSetting> = { h: 'dailyMessagesHigh', m: 'dailyMessagesMedium', l: 'dailyMessagesLow' };

/**
 * Daily BPQD message quotas by priority, per participant per market day (spec §4.1, §8, draft [S~]):
 * High 180,000, Medium 35,000, Low 18,000. Only accepted messages count (docs/spec-variance.md).
 */
export class DailyMessageQuota {
  constructor(private readonly config: QuotaConfig, private readonly store: CounterStore) {}

  /** Throws 429 IDX_ERR_QUOTA_EXCEEDED when the participant has no message of this priority left today. */
  check(participantId: string, priority: PriorityLetter, now: number, messageContextId: string): void {
    const window = windowAt('day', now);
    const setting = DAILY_MESSAGE_SETTING[priority];
    const limit = this.config[setting];
    const used = this.store.count(this.key(participantId, priority), window);
    if (used < limit) return;
    const word = PRIORITY_WORD[priority];
    const retryAfter = retryAfterSeconds(window, now);
    throw new IdxError('IDX_ERR_QUOTA_EXCEEDED',
      `${participantId} has used its daily quota of ${limit} ${word}-priority messages on market day ${marketDate(window.start)} ` +
      `(spec §4.1, §8: per participant per day; only accepted messages count). The quota resets at AEST midnight, ` +
      `${formatMarketDateTime(window.end)}; retry after ${retryAfter} s. (${settingNote(this.config, setting)})`,
      {
        errors: [{ in: 'header', name: 'x-messageContextId', code: 'DAILY_QUOTA', message: `no ${word}-priority messages left on ${marketDate(window.start)} (${used} of ${limit} used)` }],
        headers: { 'retry-after': String(retryAfter) },
        messageContextId,
      });
  }

  /** Counts one accepted message. */
  record(participantId: string, priority: PriorityLetter, now: number): void {
    this.store.incr(this.key(participantId, priority), windowAt('day', now));
  }

  private key(participantId: string, priority: PriorityLetter): string {
    return `pqd-messages-per-day|${participantId}|${priority}`;
  }
}

/**
 * Refuses a second request while one from the same participant is in flight on the same API (spec
 * §4.1: "AEMO may reject concurrent requests for the same participantId"). Off unless
 * IDX_SIM_REJECT_CONCURRENT_REQUESTS is set; in memory, as in-flight requests do not survive a restart.
 */
export class ConcurrencyGuard {
  private readonly inFlight = new Set<string>();

  /** Claims the participant's slot on an API; returns its release (safe to call twice). Throws 429 IDX_ERR_CONCURRENT_REQUEST. */
  enter(participantId: string, api: string, route: string): () => void {
    const key = `${participantId}|${api}`;
    if (this.inFlight.has(key)) {
      throw new IdxError('IDX_ERR_CONCURRENT_REQUEST',
        `${participantId} already has a request in flight on ${api}; this simulator is set to refuse concurrent requests from one participant ` +
        `(spec §4.1: "AEMO may reject concurrent requests"). Send ${route} after the other request has been answered. ` +
        `(idx-sim: ${SETTINGS.rejectConcurrentRequests.env}=true)`,
        { errors: [{ in: 'header', name: 'x-initiatingParticipantId', code: 'CONCURRENT', message: `another ${api} request is in flight` }], headers: { 'retry-after': '1' } });
    }
    this.inFlight.add(key);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight.delete(key);
    };
  }
}

/** The largest uncompressed payload of a priority (spec §4.1, §8 [I]: High ≤ 1 MB, Medium ≤ 5 MB, Low ≤ 10 MB). */
export function priorityPayloadCap(config: Pick<Config, 'maxPayloadBytesHigh' | 'maxPayloadBytesMedium' | 'maxPayloadBytesLow'>, priority: PriorityLetter): number {
  return { h: config.maxPayloadBytesHigh, m: config.maxPayloadBytesMedium, l: config.maxPayloadBytesLow }[priority];
}
