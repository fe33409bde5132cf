import { describe, expect, it } from 'vitest';
import { isoDurationSeconds } from '../../src/domain/iso-duration.js';

describe('ISO 8601 durations of the console clock form', () => {
  it('reads weeks, days, hours, minutes and seconds', () => {
    expect(isoDurationSeconds('PT1H')).toBe(3600);
    expect(isoDurationSeconds('P1D')).toBe(86_400);
    expect(isoDurationSeconds('P2DT3H30M')).toBe(2 * 86_400 + 3 * 3600 + 30 * 60);
    expect(isoDurationSeconds('P1W')).toBe(604_800);
    expect(isoDurationSeconds('pt90s')).toBe(90);
    expect(isoDurationSeconds('-PT15M')).toBe(-900);
  });

  it('refuses what is not a duration, and years and months (their length depends on where they start)', () => {
    for (const bad of ['', 'P', 'PT', '1h', 'P1Y', 'P1M', 'PT1H2D', 'P1DT', 'tomorrow']) expect(isoDurationSeconds(bad), bad).toBeUndefined();
  });
});
