import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/context.js';
import { dateTimeParameter, formatMarketDateTime, IDX_DATE_TIME_MS_PATTERN, IDX_DATE_TIME_PATTERN, isIdxDateTimePattern, marketDate, nextMarketMidnight, parseIdxDateTime, readIdxDateTime } from '../../src/domain/market-time.js';
import { refusal } from '../helpers/refusal.js';
import { AdjustableClock } from '../../src/domain/clock.js';
import { SeededRandom } from '../../src/domain/random.js';

describe('market time (AEST, +10:00, spec §3)', () => {
  it('formats instants in +10:00 with milliseconds', () => {
    expect(formatMarketDateTime(Date.parse('2026-07-01T14:30:00.123Z'))).toBe('2026-07-02T00:30:00.123+10:00');
  });

  it('takes the market date, not the UTC date', () => {
    expect(marketDate(Date.parse('2026-06-30T14:00:00Z'))).toBe('2026-07-01');
    expect(marketDate(Date.parse('2026-06-30T13:59:59.999Z'))).toBe('2026-06-30');
  });

  it('finds the next AEST midnight (daily quota reset)', () => {
    expect(new Date(nextMarketMidnight(Date.parse('2026-07-01T23:59:00+10:00'))).toISOString()).toBe('2026-07-01T14:00:00.000Z');
    expect(new Date(nextMarketMidnight(Date.parse('2026-07-02T00:00:00+10:00'))).toISOString()).toBe('2026-07-02T14:00:00.000Z');
  });

  it('parses IDX date-times with and without milliseconds, and refuses others', () => {
    expect(parseIdxDateTime('2025-08-26T05:02:46.088+10:00')).toBe(Date.parse('2025-08-25T19:02:46.088Z'));
    expect(parseIdxDateTime('2025-10-16T08:56:45+00:00')).toBe(Date.parse('2025-10-16T08:56:45Z'));
    for (const bad of ['2025-10-16T08:56:45Z', '2025-10-16 08:56:45+00:00', '2026-02-30T00:00:00.000+10:00', 'yesterday']) {
      expect(parseIdxDateTime(bad)).toBeUndefined();
    }
  });
});

describe('the one IDX date-time parser', () => {
  const reason = (text: string, millisecondsRequired = false) => {
    const r = readIdxDateTime(text, { millisecondsRequired });
    return r.ok ? `ok ${new Date(r.epochMs).toISOString()}` : r.reason;
  };

  it('reads real instants, with any offset RFC 3339 allows', () => {
    expect(reason('2026-07-01T00:00:00.000+10:00')).toBe('ok 2026-06-30T14:00:00.000Z');
    expect(reason('2028-02-29T23:59:59.999-09:30')).toBe('ok 2028-03-01T09:29:59.999Z');
    expect(reason('2026-07-01T00:00:00+23:59')).toBe('ok 2026-06-30T00:01:00.000Z');
  });

  it.each([
    ['2026-07-01T25:00:00+10:00', /hour 25 does not exist/],
    ['2026-07-01T24:00:00+10:00', /hour 24 does not exist/],
    ['2026-13-01T00:00:00+10:00', /month 13 does not exist/],
    ['2026-00-01T00:00:00+10:00', /month 00 does not exist/],
    ['2026-02-30T00:00:00+10:00', /day 30 does not exist: 2026-02 has 28 days/],
    ['2026-02-29T00:00:00+10:00', /day 29 does not exist: 2026-02 has 28 days/],
    ['2026-04-31T00:00:00+10:00', /day 31 does not exist: 2026-04 has 30 days/],
    ['2026-07-01T10:60:00+10:00', /minute 60 does not exist/],
    ['2026-12-31T23:59:60+10:00', /second 60 does not exist/],
    ['2026-07-01T00:00:00+99:99', /offset \+99:99 is not an offset/],
    ['2026-07-01T00:00:00+10:60', /offset \+10:60 is not an offset/],
    ['2026-07-01T00:00:00Z', /is not YYYY-MM-DDTHH:mm:ss\[\.SSS\]±HH:MM/],
    ['yesterday', /is not YYYY-MM-DDTHH:mm:ss/],
  ])('refuses %s, saying why', (text, why) => {
    expect(reason(text)).toMatch(why);
    expect(parseIdxDateTime(text)).toBeUndefined();
  });

  it('parseIdxDateTime (the rules\' allocation-free path, issue #13) reads exactly what readIdxDateTime reads', () => {
    const bases = ['2026-07-01T00:00:00', '2026-07-01T23:59:59.999', '2028-02-29T12:30:00.000', '2100-02-29T00:00:00', '2000-02-29T00:00:00.500',
      '1900-02-29T00:00:00', '0099-12-31T23:59:59', '0100-03-01T00:00:00', '0000-02-29T00:00:00.000', '9999-12-31T23:59:59.999',
      '2026-02-30T00:00:00', '2026-04-31T00:00:00', '2026-13-01T00:00:00', '2026-00-10T00:00:00', '2026-07-00T00:00:00', '2026-07-01T24:00:00',
      '2026-07-01T10:60:00', '2026-07-01T10:00:60', '2026-07-01T10:00:00.12', '2026-07-01T10:00:00.1234', '2026-07-01 10:00:00', '2026-07-01t10:00:00',
      '2026-7-01T10:00:00', '2026-07-01T10:00:00,000', '2026/07/01T10:00:00', '２０２６-07-01T10:00:00', '2026-07-01T1a:00:00', '-026-07-01T10:00:00'];
    const offsets = ['+10:00', '-09:30', '+00:00', '+23:59', '-23:59', '+24:00', '+10:60', '+99:99', ' 10:00', 'Z', '+1000', '+10:00\n', '+10:0', '+10:00:00', ''];
    let compared = 0;
    for (const base of bases) {
      for (const offset of offsets) {
        const text = base + offset;
        const reading = readIdxDateTime(text);
        expect(parseIdxDateTime(text), text).toBe(reading.ok ? reading.epochMs : undefined);
        compared++;
      }
    }
    for (const odd of ['', 'x', '2026-07-01T00:00:00.000+10:00 ', ' 2026-07-01T00:00:00.000+10:00', '2026-07-01T00:00:00.000+10:00Z']) {
      expect(parseIdxDateTime(odd), odd).toBeUndefined();
    }
    expect(compared).toBe(bases.length * offsets.length);
  });

  it('parseIdxDateTime counts days as Date.UTC does, on the first and last day of every month, years 0100–9999', () => {
    let mismatches = 0;
    // Every 7th year (all residues mod 4, 100 and 400 come round) and the century years either side of a rule.
    const years = [...Array.from({ length: 1415 }, (_, k) => 100 + 7 * k), 1600, 1700, 1800, 1900, 2000, 2100, 2400, 9999];
    for (const year of years) {
      for (let month = 1; month <= 12; month++) {
        const last = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 1 : 0);
        for (const day of [1, last]) {
          const text = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T23:59:59.999+10:00`;
          const utc = new Date(0);
          utc.setUTCFullYear(year, month - 1, day);
          utc.setUTCHours(13, 59, 59, 999);
          if (parseIdxDateTime(text) !== utc.getTime()) mismatches++;
        }
      }
    }
    expect(mismatches).toBe(0);
  });

  it('says to percent-encode a "+" that arrived as a space (an unencoded + in a query string, as in AEMO\'s example URL, spec §2)', () => {
    expect(reason('2025-10-16T08:56:45 00:00')).toBe(
      '"2025-10-16T08:56:45 00:00" has a space where the offset\'s sign belongs: an unencoded "+" in a query string arrives as a space; percent-encode it as %2B (e.g. 2025-10-16T08:56:45%2B00:00)');
  });

  it('requires milliseconds where the API does (TL-OAS, ARCH-OAS)', () => {
    expect(reason('2026-07-01T00:00:00+10:00', true)).toMatch(/has no milliseconds/);
    expect(reason('2026-07-01T00:00:00.000+10:00', true)).toMatch(/^ok/);
  });

  it('as a query parameter: the instant, undefined when absent, or 400 IDX_ERR_QUERY_INVALID naming the parameter', () => {
    expect(dateTimeParameter('fromDateTime', '2026-07-01T00:00:00+10:00')).toBe(Date.parse('2026-06-30T14:00:00Z'));
    expect(dateTimeParameter('fromDateTime', undefined)).toBeUndefined();
    const err = refusal(() => dateTimeParameter('toDateTime', '2026-02-30T00:00:00+10:00'));
    expect(err).toMatchObject({ code: 'IDX_ERR_QUERY_INVALID', status: 400, errors: [{ in: 'query', name: 'toDateTime', code: 'DATE_TIME' }] });
    expect(err.detail).toMatch(/^toDateTime: "2026-02-30T00:00:00\+10:00" is not a real date-time/);
  });

  it('knows the date-time patterns the OpenAPI documents use, so a shape failure is explained by the parser', () => {
    const documents = ['common.yaml', 'pqd.yaml', 'archive.yaml'].map((f) => readFileSync(join(PROJECT_ROOT, 'openapi', f), 'utf8')).join('\n');
    const patterns = [...documents.matchAll(/pattern: '(\^\\d\{4\}-[^']+)'/g)].map((m) => m[1]!);
    expect(patterns.length).toBeGreaterThanOrEqual(3);
    for (const p of patterns) expect(isIdxDateTimePattern(p), p).toBe(true);
    expect(new Set(patterns)).toEqual(new Set([IDX_DATE_TIME_PATTERN, IDX_DATE_TIME_MS_PATTERN]));
  });
});

describe('clock', () => {
  it('refuses a non-finite instant and keeps its time', () => {
    const clock = new AdjustableClock({ now: () => 1_000 });
    clock.freeze(5_000);
    expect(() => clock.set(Number.NaN)).toThrow(RangeError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => clock.advance(1e308 * 10)).toThrow(RangeError);
    expect(clock.now()).toBe(5_000);
  });

  it('freezes, sets and advances without waiting', () => {
    const clock = new AdjustableClock({ now: () => 1_000 });
    clock.freeze(5_000);
    clock.advance(10 * 86_400_000);
    expect(clock.now()).toBe(5_000 + 10 * 86_400_000);
    clock.set(42);
    expect(clock.now()).toBe(42);
  });

  it('runs with its source from an offset when not frozen', () => {
    let real = 1_000;
    const clock = new AdjustableClock({ now: () => real });
    clock.set(100_000);
    real += 500;
    expect(clock.now()).toBe(100_500);
  });
});

describe('seeded random', () => {
  it('repeats for the same seed and differs for another', () => {
    const a = new SeededRandom('x');
    const b = new SeededRandom('x');
    const c = new SeededRandom('y');
    const seqA = [a.uuid(), a.hex(16)];
    expect([b.uuid(), b.hex(16)]).toEqual(seqA);
    expect(c.uuid()).not.toBe(seqA[0]);
    expect(seqA[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
