/**
 * The quota limiter at unit level (spec §4.1, §4.2, §4.4, §8), with the published limits of the `aemo`
 * profile. The Flow Control and Business Function Information endpoints come later; their quotas are
 * proved here on the limiter the routes will use through `x-idx-quota`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CI_QUOTA, loadConfig, type Config } from '../../src/config.js';
import { IdxError } from '../../src/domain/errors.js';
import {
  ConcurrencyGuard, DailyMessageQuota, REQUEST_QUOTAS, RequestLimiter, retryAfterSeconds, windowAt,
  type RequestQuotaName, type RequestSubject,
} from '../../src/domain/quotas.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { MemoryCounterStore, SqliteCounterStore } from '../../src/store/quota-counters.js';
import { refusal } from '../helpers/refusal.js';

const at = (text: string) => Date.parse(text);
const T0 = at('2026-07-02T09:00:00.000+10:00');


let db: Db;
beforeEach(() => {
  db = openDatabase({ path: ':memory:' });
});
afterEach(() => db.close());

function limiter(overrides: Partial<Config> = {}): RequestLimiter {
  return new RequestLimiter(loadConfig({ profile: 'aemo', ...overrides }, {}), { minute: new MemoryCounterStore(), day: new SqliteCounterStore(db) });
}

const fcRead: RequestSubject = { participantId: 'LNSPNORTH', operationId: 'listFlowControlBreaches', route: 'GET /fctrl/v1/businessFunctions', params: {} };
const fcPatch = (businessFunctionId: string, participantId = 'LNSPNORTH'): RequestSubject =>
  ({ participantId, operationId: 'manageOutboundDelivery', route: 'PATCH /fctrl/v1/businessFunctions/{businessFunctionId}', params: { businessFunctionId } });
const bfinfo: RequestSubject = { participantId: 'MDPONE', operationId: 'listBusinessFunctions', route: 'GET /bfinfo/v1/businessFunctions', params: {} };
const pqdList: RequestSubject = { participantId: 'LNSPNORTH', operationId: 'listBpqd', route: 'GET /pqd/v1/bpqd', params: {} };

/** Admits `times` requests, all of which must pass. */
function admitAll(l: RequestLimiter, quota: RequestQuotaName, subject: RequestSubject, times: number, now: number): void {
  for (let i = 0; i < times; i++) l.admit([quota], subject, now);
}

describe('windows', () => {
  it('a minute is the clock minute; a day is the market day, midnight to midnight AEST', () => {
    expect(windowAt('minute', at('2026-07-02T09:00:59.999+10:00'))).toEqual({ kind: 'minute', start: at('2026-07-02T09:00:00+10:00'), end: at('2026-07-02T09:01:00+10:00') });
    expect(windowAt('day', at('2026-07-02T23:59:59.999+10:00'))).toEqual({ kind: 'day', start: at('2026-07-02T00:00:00+10:00'), end: at('2026-07-03T00:00:00+10:00') });
    expect(windowAt('day', at('2026-07-03T00:00:00.000+10:00')).start).toBe(at('2026-07-03T00:00:00+10:00'));
    // 23:30 UTC is already the next market day.
    expect(windowAt('day', at('2026-07-02T14:30:00Z')).start).toBe(at('2026-07-03T00:00:00+10:00'));
  });

  it('Retry-After rounds up to whole seconds and is never 0', () => {
    const w = windowAt('minute', T0);
    expect(retryAfterSeconds(w, T0)).toBe(60);
    expect(retryAfterSeconds(w, T0 + 59_001)).toBe(1);
    expect(retryAfterSeconds(w, T0 + 59_999)).toBe(1);
  });
});

describe('Flow Control quotas (spec §4.2)', () => {
  it('refuses the 289th read of a market day per participant and endpoint: 429 IDX_ERR_RATE_LIMITED, Retry-After until AEST midnight', () => {
    const l = limiter();
    admitAll(l, 'fctrl-requests-per-day', fcRead, 288, T0);
    const err = refusal(() => l.admit(['fctrl-requests-per-day'], fcRead, T0));
    expect(err).toMatchObject({ status: 429, code: 'IDX_ERR_RATE_LIMITED' });
    expect(err.headers['retry-after']).toBe(String(15 * 3600));
    expect(err.detail).toMatch(/LNSPNORTH is over the Flow Control API limit of 288 requests per participant per endpoint per market day \(spec §4\.2\)/);
    expect(err.detail).toMatch(/request 289 on listFlowControlBreaches .* market day 2026-07-02/);
    expect(err.detail).toMatch(/resets at AEST midnight, 2026-07-03T00:00:00\.000\+10:00; retry after 54000 s/);
    expect(err.detail).toMatch(/IDX_SIM_FCTRL_REQUESTS_PER_DAY=288, profile aemo/);
    expect(err.errors).toEqual([expect.objectContaining({ in: 'header', name: 'x-initiatingParticipantId', code: 'RATE_LIMITED' })]);
    // Another endpoint and another participant have their own counts.
    l.admit(['fctrl-requests-per-day'], { ...fcRead, operationId: 'getFlowControlInformation' }, T0);
    l.admit(['fctrl-requests-per-day'], { ...fcRead, participantId: 'LNSPSOUTH' }, T0);
  });

  it('refuses the 3rd outbound-delivery PATCH of a business function in a day; other business functions and participants are unaffected', () => {
    const l = limiter();
    admitAll(l, 'fctrl-patch-requests-per-day', fcPatch('pqd'), 2, T0);
    const err = refusal(() => l.admit(['fctrl-patch-requests-per-day'], fcPatch('pqd'), T0 + 3_600_000));
    expect(err).toMatchObject({ status: 429, code: 'IDX_ERR_RATE_LIMITED' });
    expect(err.headers['retry-after']).toBe(String(14 * 3600));
    expect(err.detail).toMatch(/limit of 2 requests per participant per business function per market day \(spec §4\.2: outbound delivery can be switched off and on once per day\)/);
    expect(err.detail).toMatch(/request 3 on business function "pqd"/);
    expect(err.errors).toEqual([expect.objectContaining({ in: 'path', name: 'businessFunctionId', code: 'RATE_LIMITED' })]);
    // The business function id is compared as the IDX grammar writes it, lower-case.
    expect(() => l.admit(['fctrl-patch-requests-per-day'], fcPatch('PQD'), T0)).toThrow(IdxError);
    admitAll(l, 'fctrl-patch-requests-per-day', fcPatch('sord'), 2, T0);
    admitAll(l, 'fctrl-patch-requests-per-day', fcPatch('pqd', 'LNSPSOUTH'), 2, T0);
  });

  it('the daily counters reset at AEST midnight: refused at 23:59:59 +10:00, admitted at 00:00:00 +10:00', () => {
    const l = limiter();
    admitAll(l, 'fctrl-patch-requests-per-day', fcPatch('pqd'), 2, at('2026-07-02T00:00:00.000+10:00'));
    const late = refusal(() => l.admit(['fctrl-patch-requests-per-day'], fcPatch('pqd'), at('2026-07-02T23:59:59.000+10:00')));
    expect(late.headers['retry-after']).toBe('1');
    admitAll(l, 'fctrl-patch-requests-per-day', fcPatch('pqd'), 2, at('2026-07-03T00:00:00.000+10:00'));
    expect(() => l.admit(['fctrl-patch-requests-per-day'], fcPatch('pqd'), at('2026-07-03T00:00:00.000+10:00'))).toThrow(IdxError);
  });
});

describe('Business Function Information quota (spec §4.4)', () => {
  it('refuses the 1,441st request of a market day with 429, Retry-After and the limit in the detail; the next day admits again', () => {
    const l = limiter();
    const day = at('2026-07-02T12:00:00.000+10:00');
    admitAll(l, 'bfinfo-requests-per-day', bfinfo, 1440, day);
    const err = refusal(() => l.admit(['bfinfo-requests-per-day'], bfinfo, day));
    expect(err).toMatchObject({ status: 429, code: 'IDX_ERR_RATE_LIMITED' });
    expect(err.headers['retry-after']).toBe(String(12 * 3600));
    expect(err.detail).toMatch(/MDPONE is over the Business Function Information API limit of 1440 requests per participant per endpoint per market day \(spec §4\.4\): this was request 1441/);
    expect(err.detail).toMatch(/IDX_SIM_BFINFO_REQUESTS_PER_DAY=1440/);
    expect(() => l.admit(['bfinfo-requests-per-day'], bfinfo, at('2026-07-03T00:00:00.000+10:00'))).not.toThrow();
  });
});

describe('PQD rate limit (spec §4.1)', () => {
  it('refuses the 51st request of a clock minute, with Retry-After until the minute ends; the next minute admits again', () => {
    const l = limiter();
    admitAll(l, 'pqd-requests-per-minute', pqdList, 50, T0);
    const err = refusal(() => l.admit(['pqd-requests-per-minute'], pqdList, T0 + 45_500));
    expect(err).toMatchObject({ status: 429, code: 'IDX_ERR_RATE_LIMITED' });
    expect(err.headers['retry-after']).toBe('15');
    expect(err.detail).toMatch(/limit of 50 requests per participant per endpoint per minute \(spec §4\.1\): this was request 51 on listBpqd \(GET \/pqd\/v1\/bpqd\) in the minute 09:00:00–09:01:00/);
    expect(() => l.admit(['pqd-requests-per-minute'], pqdList, T0 + 60_000)).not.toThrow();
  });

  it('counts an operation against every quota it names', () => {
    const l = limiter({ pqdRequestsPerMinute: 1 });
    l.admit(['pqd-requests-per-minute', 'bfinfo-requests-per-day'], bfinfo, T0);
    const err = refusal(() => l.admit(['bfinfo-requests-per-day', 'pqd-requests-per-minute'], bfinfo, T0));
    expect(err.detail).toMatch(/PQD API limit of 1 request/);
  });

  it('a limit of 0 refuses every request (to rehearse a client\'s 429 handling)', () => {
    expect(() => limiter({ pqdRequestsPerMinute: 0 }).admit(['pqd-requests-per-minute'], pqdList, T0)).toThrow(/limit of 0 requests/);
  });
});

describe('profile ci (relaxed quotas)', () => {
  it('admits what aemo refuses: the 51st PQD request, the 289th FC read, the 3rd FC PATCH, the 1,441st BFI request', () => {
    const l = limiter({ profile: 'ci' });
    admitAll(l, 'pqd-requests-per-minute', pqdList, 51, T0);
    admitAll(l, 'fctrl-requests-per-day', fcRead, 289, T0);
    admitAll(l, 'fctrl-patch-requests-per-day', fcPatch('pqd'), 3, T0);
    admitAll(l, 'bfinfo-requests-per-day', bfinfo, 1441, T0);
  });

  it('keeps an explicit limit: a profile only chooses defaults', () => {
    const l = new RequestLimiter(loadConfig({ profile: 'ci' }, { IDX_SIM_FCTRL_PATCH_REQUESTS_PER_DAY: '2' }), { minute: new MemoryCounterStore(), day: new SqliteCounterStore(db) });
    admitAll(l, 'fctrl-patch-requests-per-day', fcPatch('pqd'), 2, T0);
    expect(refusal(() => l.admit(['fctrl-patch-requests-per-day'], fcPatch('pqd'), T0)).detail).toMatch(/IDX_SIM_FCTRL_PATCH_REQUESTS_PER_DAY=2, profile ci/);
  });
});

describe('daily BPQD message quotas by priority (spec §4.1, §8)', () => {
  const quota = (overrides: Partial<Config> = {}) => new DailyMessageQuota(loadConfig({ profile: 'aemo', ...overrides }, {}), new SqliteCounterStore(db));

  it('allows 18,000 Low-priority messages per participant per market day, then refuses with 429 IDX_ERR_QUOTA_EXCEEDED until AEST midnight', () => {
    const q = quota();
    for (let i = 0; i < 18_000; i++) {
      q.check('MDPONE', 'l', T0, 'pqd~bpqd~l~mdpone~x');
      q.record('MDPONE', 'l', T0);
    }
    const err = refusal(() => q.check('MDPONE', 'l', T0, 'pqd~bpqd~l~mdpone~x18001'));
    expect(err).toMatchObject({ status: 429, code: 'IDX_ERR_QUOTA_EXCEEDED', messageContextId: 'pqd~bpqd~l~mdpone~x18001' });
    expect(err.headers['retry-after']).toBe('54000');
    expect(err.detail).toMatch(/MDPONE has used its daily quota of 18000 Low-priority messages on market day 2026-07-02/);
    expect(err.detail).toMatch(/resets at AEST midnight, 2026-07-03T00:00:00\.000\+10:00; retry after 54000 s/);
    expect(err.detail).toMatch(/IDX_SIM_DAILY_MESSAGES_LOW=18000/);
    expect(err.errors).toEqual([expect.objectContaining({ in: 'header', name: 'x-messageContextId', code: 'DAILY_QUOTA' })]);
    // Each priority and each participant has its own quota.
    expect(() => q.check('MDPONE', 'h', T0, 'pqd~bpqd~h~mdpone~y')).not.toThrow();
    expect(() => q.check('ACMEMC', 'l', T0, 'pqd~bpqd~l~acmemc~y')).not.toThrow();
    expect(() => q.check('MDPONE', 'l', at('2026-07-03T00:00:00.000+10:00'), 'pqd~bpqd~l~mdpone~z')).not.toThrow();
  });

  it('publishes High 180,000 and Medium 35,000 under aemo, and relaxes all three under ci', () => {
    expect(loadConfig({}, {})).toMatchObject({ dailyMessagesHigh: 180_000, dailyMessagesMedium: 35_000, dailyMessagesLow: 18_000 });
    expect(loadConfig({ profile: 'ci' }, {})).toMatchObject({ dailyMessagesHigh: CI_QUOTA, dailyMessagesMedium: CI_QUOTA, dailyMessagesLow: CI_QUOTA });
    const q = quota({ dailyMessagesMedium: 1 });
    q.record('MDPONE', 'm', T0);
    expect(refusal(() => q.check('MDPONE', 'm', T0, 'pqd~bpqd~m~mdpone~a')).detail).toMatch(/daily quota of 1 Medium-priority messages/);
  });

  it('resets at AEST midnight: 23:59:59 +10:00 refused (Retry-After 1), 00:00:00 +10:00 accepted', () => {
    const q = quota({ dailyMessagesHigh: 1 });
    q.record('MDPONE', 'h', at('2026-07-02T08:00:00.000+10:00'));
    expect(refusal(() => q.check('MDPONE', 'h', at('2026-07-02T23:59:59.000+10:00'), 'c')).headers['retry-after']).toBe('1');
    expect(() => q.check('MDPONE', 'h', at('2026-07-03T00:00:00.000+10:00'), 'c')).not.toThrow();
  });
});

describe('counter stores', () => {
  it('daily counts survive a restart (SQLite), and a new window starts from 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idx-sim-quota-'));
    try {
      const path = join(dir, 'idx-sim.db');
      const day = windowAt('day', T0);
      let file = openDatabase({ path });
      new SqliteCounterStore(file).incr('k', day);
      new SqliteCounterStore(file).incr('k', day);
      file.close();
      file = openDatabase({ path });
      const store = new SqliteCounterStore(file);
      expect(store.count('k', day)).toBe(2);
      expect(store.incr('k', day)).toBe(3);
      const next = windowAt('day', day.end);
      expect(store.count('k', next)).toBe(0);
      expect(store.incr('k', next)).toBe(1);
      expect(store.count('k', day)).toBe(0);
      file.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['memory', () => new MemoryCounterStore()],
    ['SQLite', () => new SqliteCounterStore(db)],
  ])('%s: forgets keys whose window ended once a later window starts (bounded by the active keys)', (_name, make) => {
    const store = make();
    const first = windowAt('minute', T0);
    store.incr('a', first);
    store.incr('b', first);
    const second = windowAt('minute', first.end);
    store.incr('a', second);
    expect(store.count('b', first)).toBe(0);
    expect(store.count('a', second)).toBe(1);
    if (store instanceof SqliteCounterStore) {
      expect(db.prepare('SELECT counter_key FROM quota_counters').pluck().all()).toEqual(['a']);
    }
  });
});

describe('concurrency guard (spec §4.1 "AEMO may reject concurrent requests")', () => {
  it('refuses a second request of the same participant on the same API with 429 IDX_ERR_CONCURRENT_REQUEST until the first is released', () => {
    const guard = new ConcurrencyGuard();
    const release = guard.enter('MDPONE', '/pqd/v1', 'POST /pqd/v1/bpqd');
    const err = refusal(() => guard.enter('MDPONE', '/pqd/v1', 'GET /pqd/v1/bpqd'));
    expect(err).toMatchObject({ status: 429, code: 'IDX_ERR_CONCURRENT_REQUEST' });
    expect(err.headers['retry-after']).toBe('1');
    expect(err.detail).toMatch(/MDPONE already has a request in flight on \/pqd\/v1.*IDX_SIM_REJECT_CONCURRENT_REQUESTS=true/);
    // Other participants and other APIs are independent.
    guard.enter('ACMEMC', '/pqd/v1', 'POST /pqd/v1/bpqd');
    guard.enter('MDPONE', '/fctrl/v1', 'GET /fctrl/v1/businessFunctions');
    release();
    const again = guard.enter('MDPONE', '/pqd/v1', 'GET /pqd/v1/bpqd');
    // A release called twice must not free the slot of the request that came after.
    release();
    expect(() => guard.enter('MDPONE', '/pqd/v1', 'GET /pqd/v1/bpqd')).toThrow(IdxError);
    again();
    expect(() => guard.enter('MDPONE', '/pqd/v1', 'GET /pqd/v1/bpqd')).not.toThrow();
  });
});

describe('quota definitions', () => {
  it('name an existing limit setting for every quota', () => {
    const config = loadConfig({}, {});
    for (const [name, q] of Object.entries(REQUEST_QUOTAS)) expect(config[q.setting], name).toBeGreaterThan(0);
    expect(config).toMatchObject({ pqdRequestsPerMinute: 50, fctrlRequestsPerDay: 288, fctrlPatchRequestsPerDay: 2, bfinfoRequestsPerDay: 1440 });
  });
});
