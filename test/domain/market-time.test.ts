import { describe, expect, it } from 'vitest';
import { formatMarketDateTime, marketDate, nextMarketMidnight, parseIdxDateTime } from '../../src/domain/market-time.js';
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
