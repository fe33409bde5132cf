/**
 * The data generator's model and grouping (issue #10; docs/spec-variance.md rows 230–235): plausible
 * values, reproducible per seed, grouped as the hub routes, CSV values taken as given.
 */
import { describe, expect, it } from 'vitest';
import { readValuesCsv } from '../../src/cli/generate.js';
import { generateDataset, largestPayload, smallPayload, type StandingDataEntry } from '../../src/domain/bpqd-dataset.js';
import type { BpqdPayload } from '../../src/domain/bpqd-payload.js';
import { meterIntervals, siteProfile } from '../../src/domain/pq-model.js';

const standing: StandingDataEntry[] = [
  { nmis: '4102000001..4102000004', roles: [{ role: 'LNSP', participantId: 'LNSPNORTH', from: '2026-01-01' }, { role: 'MC', participantId: 'ACMEMC', from: '2026-01-01' }, { role: 'MDP', participantId: 'MDPONE', from: '2026-01-01' }] },
  { nmis: '4102000099', roles: [{ role: 'LNSP', participantId: 'LNSPNORTH', from: '2026-01-01' }, { role: 'MC', participantId: 'ACMEMC', from: '2026-01-01' },
    { role: 'MDP', participantId: 'MDPONE', from: '2026-01-01', to: '2026-07-01' }, { role: 'MDP', participantId: 'MDPTWO', from: '2026-07-02' }] },
];
const base = { seed: 's', nmiCount: 5, days: 2, from: '2026-07-01', intervalLength: 30 as const, standingData: standing, priority: 'l' as const,
  maxPayloadBytes: 10_000_000, hubMaxPayloadBytes: 10_000_000, variants: [] };

describe('the PQ model', () => {
  it('keeps voltage within the LV band, sags in the evening and rises with midday export, with export angles near 180°', () => {
    // Find a household with PV among the first NMIs of a seed.
    const nmi = Array.from({ length: 200 }, (_, i) => `41020${String(i).padStart(5, '0')}`).find((n) => { const p = siteProfile('m', n); return p.pvKw > 5 && p.kind === 'household'; })!;
    const intervals = meterIntervals('m', nmi, '2026-07-01', 30);
    expect(intervals).toHaveLength(48);
    const volts = intervals.flatMap((i) => i.readings.map((r) => r.voltage.avg));
    expect(Math.min(...volts)).toBeGreaterThanOrEqual(207);
    expect(Math.max(...volts)).toBeLessThanOrEqual(258);
    const at = (hhmm: string) => intervals.find((i) => i.intervalStartDateTime.slice(11, 16) === hhmm)!.readings[0]!;
    expect(at('19:00').voltage.avg).toBeLessThan(at('03:00').voltage.avg);
    expect(at('19:00').current.avg).toBeGreaterThan(at('03:00').current.avg);
    const midday = ['11:30', '12:00', '12:30'].map((t) => at(t).phaseAngle.avg);
    expect(midday.some((a) => a > 150)).toBe(true);
    expect(at('03:00').phaseAngle.avg).toBeLessThan(40);
    for (const r of intervals.flatMap((i) => i.readings)) {
      expect(r.voltage.min! <= r.voltage.avg && r.voltage.avg <= r.voltage.max!).toBe(true);
      expect(r.current.min! <= r.current.avg && r.current.avg <= r.current.max!).toBe(true);
    }
  });

  it('draws single- and three-phase meters, households and businesses', () => {
    const profiles = Array.from({ length: 300 }, (_, i) => siteProfile('mix', `41020${String(i).padStart(5, '0')}`));
    expect(new Set(profiles.map((p) => p.phases.length))).toEqual(new Set([1, 3]));
    expect(new Set(profiles.map((p) => p.kind))).toEqual(new Set(['household', 'business']));
  });
});

describe('generateDataset', () => {
  it('is reproducible, independent of what else is generated, and groups per sender, LNSP and day following churn', () => {
    const a = generateDataset(base);
    expect(generateDataset(base).files.map((f) => f.json)).toEqual(a.files.map((f) => f.json));
    const groups = a.files.map((f) => [f.marketDate, f.sender, f.expect.recipients]);
    expect(groups).toEqual([
      ['2026-07-01', 'MDPONE', ['LNSPNORTH']],
      ['2026-07-02', 'MDPONE', ['LNSPNORTH']], ['2026-07-02', 'MDPTWO', ['LNSPNORTH']],
    ]);
    const nmisOf = (json: string) => (JSON.parse(json) as BpqdPayload).data.transactions[0]!.nmiDetails.map((d) => d.nmi);
    expect(nmisOf(a.files[2]!.json)).toEqual(['4102000099']);
    // The same NMI and day reads the same whichever set it is part of.
    const alone = generateDataset({ ...base, nmiCount: 1, days: 1 });
    expect((JSON.parse(alone.files[0]!.json) as BpqdPayload).data.transactions[0]!.nmiDetails[0])
      .toEqual((JSON.parse(a.files[0]!.json) as BpqdPayload).data.transactions[0]!.nmiDetails[0]);
  });

  it('invents NMIs beyond the standing data, with standing data for them', () => {
    const d = generateDataset({ ...base, nmiCount: 8, days: 1 });
    expect(d.addedNmis).toBe(3);
    expect(d.standingData.at(-1)).toMatchObject({ nmis: '4102100000..4102100002', roles: expect.arrayContaining([{ role: 'MDP', participantId: 'MDPONE', from: '2026-01-01' }]) });
  });

  it('splits a group below the size cap, and makes the named variants with the answers they provoke', () => {
    const d = generateDataset({ ...base, days: 1, maxPayloadBytes: 60_000, variants: ['bad-checksum', 'wrong-party-after-churn', 'oversize'], hubMaxPayloadBytes: 200_000 });
    const valid = d.files.filter((f) => !f.variant);
    expect(valid.length).toBeGreaterThan(1);
    for (const f of valid) expect(Buffer.byteLength(f.json)).toBeLessThanOrEqual(60_000);
    const variants = Object.fromEntries(d.files.filter((f) => f.variant).map((f) => [f.variant, f]));
    expect(variants['bad-checksum']!.expect).toEqual({ status: 400, code: 'IDX_ERR_NMI_CHECKSUM', problem: 'NMI_CHECKSUM' });
    // MDPONE's MDP role of 4102000099 ended 2026-07-01; on the churn date it may still send, the day after not.
    expect(variants['wrong-party-after-churn']).toMatchObject({ sender: 'MDPONE', marketDate: '2026-07-03', expect: { status: 422, code: 'IDX_ERR_SENDER_NOT_RESPONSIBLE' } });
    expect(Buffer.byteLength(variants.oversize!.json)).toBeGreaterThan(200_000);
  });

  it('takes values from a CSV', () => {
    const { lookup, nmis } = readValuesCsv('nmi,intervalStartDateTime,phase,voltage,current,phaseAngle\n4102000003,2026-07-01T00:30:00.000+10:00,A,250.5,12.25,30\n');
    expect(nmis).toEqual(['4102000003']);
    const d = generateDataset({ ...base, nmiCount: 1, days: 1, overrides: lookup, preferredNmis: nmis });
    const detail = (JSON.parse(d.files[0]!.json) as BpqdPayload).data.transactions[0]!.nmiDetails[0]!;
    expect(detail.nmi).toBe('4102000003');
    expect(detail.meters[0]!.intervals[1]!.readings[0]).toMatchObject({ voltage: { avg: 250.5 }, current: { avg: 12.25 }, phaseAngle: { avg: 30 } });
    expect(() => readValuesCsv('nmi,when\n')).toThrow(/needs a "intervalStartDateTime" column/);
  });

  it('makes the doctor\'s small and maximum-size probes', () => {
    const probe = { seed: 'd', nmi: '4102000001', sender: 'MDPONE', lnsp: 'LNSPNORTH', date: '2026-07-01', priority: 'l' as const, maxBytes: 2_000_000 };
    expect((JSON.parse(smallPayload(probe)) as BpqdPayload).data.transactions[0]!.nmiDetails[0]!.meters[0]!.intervals).toHaveLength(12);
    const large = largestPayload(probe);
    expect(Buffer.byteLength(large)).toBeLessThanOrEqual(2_000_000);
    expect(Buffer.byteLength(large)).toBeGreaterThan(2_000_000 - 2000);
    const intervals = (JSON.parse(large) as BpqdPayload).data.transactions[0]!.nmiDetails[0]!.meters[0]!.intervals;
    expect(intervals.at(-1)!.intervalEndDateTime).toBe('2026-07-02T00:00:00.000+10:00');
  });
});
