import { describe, expect, it } from 'vitest';
import { checkContentRules, checkContextAgreement, checkNmiChecksums, checkRouting, type NmiRolesOnDate, type StandingDataLookup } from '../../src/domain/bpqd-rules.js';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { parseMessageContextId } from '../../src/domain/message-context-id.js';
import { SeededRandom } from '../../src/domain/random.js';
import { refusal } from '../helpers/refusal.js';

const random = new SeededRandom('rules');
const payload = (over: Partial<Parameters<typeof generateBpqdPayload>[1]> = {}) =>
  generateBpqdPayload(random, { sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 3, ...over });


/** Standing data like the fixtures: 41… → LNSPNORTH, MDP changes on 2026-07-15 for …99. */
const standing: StandingDataLookup = {
  rolesOn(nmi: string, date: string): NmiRolesOnDate {
    if (!nmi.startsWith('4102')) return { LNSP: [], MC: [], MDP: [] };
    const mdp = nmi === '4102000099' && date >= '2026-07-15' ? 'MDPTWO' : 'MDPONE';
    return { LNSP: ['LNSPNORTH'], MC: ['ACMEMC'], MDP: [mdp] };
  },
};

describe('content rules', () => {
  it('accepts a generated payload', () => {
    const p = payload();
    expect(() => checkNmiChecksums(p)).not.toThrow();
    expect(() => checkContentRules(p)).not.toThrow();
  });

  it('points at every wrong check digit', () => {
    const p = payload({ nmis: ['4102000001', '4102000002'] });
    for (const d of p.data.transactions[0]!.nmiDetails) d.nmiChecksum = String((Number(d.nmiChecksum) + 5) % 10);
    const err = refusal(() => checkNmiChecksums(p));
    expect(err.code).toBe('IDX_ERR_NMI_CHECKSUM');
    expect(err.errors.map((e) => e.in === 'body' && e.pointer)).toEqual([
      '/data/transactions/0/nmiDetails/0/nmiChecksum', '/data/transactions/0/nmiDetails/1/nmiChecksum',
    ]);
    expect(err.detail).toMatch(/NMI 4102000001 has check digit 0/);
  });

  it('refuses intervals that are not intervalLength long, not aligned, duplicated, or not in market time', () => {
    const p = payload();
    const meter = p.data.transactions[0]!.nmiDetails[0]!.meters[0]!;
    meter.intervals[0]!.intervalEndDateTime = '2026-07-01T00:10:00.000+10:00';
    meter.intervals[1]!.intervalStartDateTime = '2026-07-01T00:00:00.000+10:00';
    meter.intervals[2]!.intervalStartDateTime = '2026-07-01T00:11:00.000+10:00';
    meter.intervals[2]!.intervalEndDateTime = '2026-07-01T00:16:00.000+09:00';
    const err = refusal(() => checkContentRules(p));
    expect(err.code).toBe('IDX_ERR_PAYLOAD_RULE');
    // [0] spans 10 min; [1] spans 10 min and repeats [0]'s start; [2] starts off-boundary and ends in +09:00 (65 min later).
    expect(err.errors.map((e) => e.code)).toEqual([
      'INTERVAL_LENGTH_MISMATCH',
      'INTERVAL_LENGTH_MISMATCH', 'INTERVAL_DUPLICATE',
      'INTERVAL_NOT_MARKET_TIME', 'INTERVAL_LENGTH_MISMATCH', 'INTERVAL_NOT_ALIGNED',
    ]);
    expect(err.errors.some((e) => e.in === 'body' && e.pointer === '/data/transactions/0/nmiDetails/0/meters/0/intervals/1/intervalStartDateTime' && e.code === 'INTERVAL_DUPLICATE')).toBe(true);
  });

  it('refuses intervals missing between a meter\'s first and last (INTERVAL_GAP), accepts a partial day, and accepts gaps when told to', () => {
    const p = payload({ intervalCount: 12 });
    const meter = p.data.transactions[0]!.nmiDetails[0]!.meters[0]!;
    meter.intervals.splice(5, 2);
    const err = refusal(() => checkContentRules(p));
    expect(err.code).toBe('IDX_ERR_PAYLOAD_RULE');
    expect(err.errors).toEqual([expect.objectContaining({ code: 'INTERVAL_GAP', pointer: '/data/transactions/0/nmiDetails/0/meters/0/intervals/5/intervalStartDateTime' })]);
    expect(err.detail).toMatch(/2 interval\(s\) missing before 2026-07-01T00:35:00\.000\+10:00/);
    expect(() => checkContentRules(p, undefined, { allowGaps: true })).not.toThrow();
    const partial = payload({ intervalCount: 12 });
    partial.data.transactions[0]!.nmiDetails[0]!.meters[0]!.intervals.splice(0, 4);
    expect(() => checkContentRules(partial)).not.toThrow();
  });

  it('refuses readings for undeclared or repeated phases, and min > avg', () => {
    const p = payload({ phases: ['A'] });
    const interval = p.data.transactions[0]!.nmiDetails[0]!.meters[0]!.intervals[0]!;
    interval.readings.push({ ...structuredClone(interval.readings[0]!), phase: 'B' }, structuredClone(interval.readings[0]!));
    interval.readings[0]!.voltage.min = interval.readings[0]!.voltage.avg + 1;
    const err = refusal(() => checkContentRules(p));
    expect(err.errors.map((e) => e.code).sort()).toEqual(['MEASUREMENT_RANGE', 'PHASE_DUPLICATE', 'PHASE_NOT_DECLARED']);
  });

  it('lists at most 100 problems and says how many more there were', () => {
    const p = payload({ nmis: Array.from({ length: 150 }, (_, i) => `41020${String(i).padStart(5, '0')}`) });
    for (const d of p.data.transactions[0]!.nmiDetails) d.nmiChecksum = String((Number(d.nmiChecksum) + 1) % 10);
    const err = refusal(() => checkNmiChecksums(p));
    expect(err.errors).toHaveLength(100);
    expect(err.detail).toMatch(/and 149 more problems, 50 not listed/);
  });
});

describe('context agreement', () => {
  const ctx = (raw: string) => { const r = parseMessageContextId(raw); if (!r.ok) throw new Error(r.reason); return r.value; };

  it('refuses a priority letter that disagrees with the payload priority', () => {
    const err = refusal(() => checkContextAgreement(ctx('pqd~bpqd~h~mdpone~a'), 'MDPONE', payload({ priority: 'l' })));
    expect(err.code).toBe('IDX_ERR_CONTEXT_ID_MISMATCH');
    expect(err.errors[0]).toMatchObject({ in: 'body', pointer: '/data/header/priority', code: 'PRIORITY_MISMATCH' });
  });

  it('refuses a payload whose initiating participant is not the header participant', () => {
    const err = refusal(() => checkContextAgreement(ctx('pqd~bpqd~l~mdpone~a'), 'MDPONE', payload({ sender: 'ACMEMC' })));
    expect(err.errors[0]).toMatchObject({ pointer: '/data/header/initiatingParticipantId', code: 'PARTICIPANT_MISMATCH' });
  });
});

describe('routing (spec §12)', () => {
  it('returns the LNSP as recipient when the MDP of the day sends', () => {
    expect(checkRouting(payload(), 'MDPONE', standing)).toEqual(['LNSPNORTH']);
    expect(checkRouting(payload({ sender: 'ACMEMC' }), 'ACMEMC', standing)).toEqual(['LNSPNORTH']);
  });

  it('follows meter churn: the old MDP is refused after the change date, the new one before it', () => {
    const after = payload({ nmis: ['4102000099'], date: '2026-07-15' });
    expect(checkRouting(after, 'MDPTWO', standing)).toEqual(['LNSPNORTH']);
    const err = refusal(() => checkRouting(after, 'MDPONE', standing));
    expect(err.code).toBe('IDX_ERR_SENDER_NOT_RESPONSIBLE');
    expect(err.detail).toMatch(/MDPONE is neither the MC \(ACMEMC\) nor the MDP \(MDPTWO\) of NMI 4102000099 on 2026-07-15/);
    expect(refusal(() => checkRouting(payload({ nmis: ['4102000099'], date: '2026-07-14' }), 'MDPTWO', standing)).code).toBe('IDX_ERR_SENDER_NOT_RESPONSIBLE');
  });

  it('refuses a recipient that is not the LNSP, pointing at it', () => {
    const err = refusal(() => checkRouting(payload({ recipients: ['LNSPNORTH', 'LNSPSOUTH'] }), 'MDPONE', standing));
    expect(err.code).toBe('IDX_ERR_RECIPIENT_NOT_LNSP');
    expect(err.errors).toEqual([expect.objectContaining({ pointer: '/data/header/receivingParticipantId/1', code: 'RECIPIENT_NOT_LNSP' })]);
  });

  it('refuses a payload that leaves out the LNSP', () => {
    const err = refusal(() => checkRouting(payload({ recipients: ['LNSPSOUTH'] }), 'MDPONE', standing));
    expect(err.errors.map((e) => e.code)).toContain('RECIPIENT_MISSING');
  });

  it('refuses NMIs without standing data', () => {
    expect(refusal(() => checkRouting(payload({ nmis: ['6102000001'] }), 'MDPONE', standing)).code).toBe('IDX_ERR_NMI_UNKNOWN');
  });
});
