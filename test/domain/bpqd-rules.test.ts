import { describe, expect, it } from 'vitest';
import { checkContentRules, checkContextAgreement, checkNmiChecksums, checkRouting, DEFAULT_ROUTING_RULES, describeChurnDays, type NmiRolesOnDate, type RoutingRules, type StandingDataLookup } from '../../src/domain/bpqd-rules.js';
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

/** Standing data like the fixtures: 41… → LNSPNORTH, 61… → LNSPSOUTH; …99 churn on 2026-07-15 (4…: MDP; 6…: MC and MDP). */
const twoLnsps: StandingDataLookup = {
  rolesOn(nmi: string, date: string): NmiRolesOnDate {
    if (nmi.startsWith('4102')) return standing.rolesOn(nmi, date);
    if (!nmi.startsWith('6102')) return { LNSP: [], MC: [], MDP: [] };
    const churned = nmi === '6102000099' && date >= '2026-07-15';
    return { LNSP: ['LNSPSOUTH'], MC: [churned ? 'OTHERMC' : 'ACMEMC'], MDP: [churned ? 'MDPTWO' : 'MDPONE'] };
  },
};

const rules = (over: Partial<RoutingRules> = {}): RoutingRules => ({ ...DEFAULT_ROUTING_RULES, ...over });

describe('routing (spec §12)', () => {
  it('returns the LNSP as recipient when the MDP of the day sends', () => {
    expect(checkRouting(payload(), 'MDPONE', standing).recipients).toEqual(['LNSPNORTH']);
    expect(checkRouting(payload({ sender: 'ACMEMC' }), 'ACMEMC', standing).recipients).toEqual(['LNSPNORTH']);
    expect(checkRouting(payload(), 'MDPONE', standing).churnDays).toEqual([]);
  });

  it('follows meter churn: the old MDP is refused after the churn day, the new one before it', () => {
    const after = payload({ nmis: ['4102000099'], date: '2026-07-16' });
    expect(checkRouting(after, 'MDPTWO', standing).recipients).toEqual(['LNSPNORTH']);
    const err = refusal(() => checkRouting(after, 'MDPONE', standing));
    expect(err.code).toBe('IDX_ERR_SENDER_NOT_RESPONSIBLE');
    expect(err.detail).toMatch(/MDPONE is neither the MC \(ACMEMC\) nor the MDP \(MDPTWO\) of NMI 4102000099 on 2026-07-16/);
    expect(refusal(() => checkRouting(payload({ nmis: ['4102000099'], date: '2026-07-14' }), 'MDPTWO', standing)).code).toBe('IDX_ERR_SENDER_NOT_RESPONSIBLE');
  });

  it('accepts the churn day from the outgoing and from the incoming MDP, and says which party each was', () => {
    const churnDay = payload({ nmis: ['4102000099'], date: '2026-07-15' });
    const outgoing = checkRouting(churnDay, 'MDPONE', standing);
    expect(outgoing.recipients).toEqual(['LNSPNORTH']);
    expect(outgoing.churnDays).toEqual([{ nmi: '4102000099', date: '2026-07-15', role: 'MDP', party: 'outgoing', outgoing: ['MDPONE'], incoming: ['MDPTWO'] }]);
    expect(describeChurnDays('MDPONE', outgoing.churnDays)).toBe('churn day: MDPONE sent as the outgoing MDP of NMI 4102000099 on 2026-07-15 (incoming MDPTWO)');
    const incoming = checkRouting(churnDay, 'MDPTWO', standing);
    expect(incoming.churnDays).toEqual([expect.objectContaining({ party: 'incoming', role: 'MDP' })]);
    // The MC did not change: it sends as usual, no churn remark.
    expect(checkRouting(payload({ nmis: ['4102000099'], date: '2026-07-15', sender: 'ACMEMC' }), 'ACMEMC', standing).churnDays).toEqual([]);
  });

  it('accepts the churn day of an MC change from the outgoing MC and from the incoming MC', () => {
    const churnDay = (sender: string) => payload({ nmis: ['6102000099'], date: '2026-07-15', sender, recipients: ['LNSPSOUTH'] });
    expect(checkRouting(churnDay('ACMEMC'), 'ACMEMC', twoLnsps).churnDays).toEqual([expect.objectContaining({ role: 'MC', party: 'outgoing', incoming: ['OTHERMC'] })]);
    expect(checkRouting(churnDay('OTHERMC'), 'OTHERMC', twoLnsps).churnDays).toEqual([expect.objectContaining({ role: 'MC', party: 'incoming', outgoing: ['ACMEMC'] })]);
    expect(checkRouting(churnDay('OTHERMC'), 'OTHERMC', twoLnsps).recipients).toEqual(['LNSPSOUTH']);
  });

  it('with churnDay=strict refuses the outgoing party on the churn day, as before', () => {
    const churnDay = payload({ nmis: ['4102000099'], date: '2026-07-15' });
    const err = refusal(() => checkRouting(churnDay, 'MDPONE', standing, rules({ churnDay: 'strict' })));
    expect(err.code).toBe('IDX_ERR_SENDER_NOT_RESPONSIBLE');
    expect(checkRouting(churnDay, 'MDPTWO', standing, rules({ churnDay: 'strict' })).churnDays).toEqual([]);
  });

  it('a payload spanning the eve and the churn day is the outgoing party\'s to send, and the day after is not', () => {
    const twoDays = payload({ nmis: ['4102000099'], date: '2026-07-14' });
    const next = payload({ nmis: ['4102000099'], date: '2026-07-15' });
    twoDays.data.transactions[0]!.nmiDetails[0]!.meters[0]!.intervals.push(...next.data.transactions[0]!.nmiDetails[0]!.meters[0]!.intervals);
    expect(checkRouting(twoDays, 'MDPONE', standing).churnDays.map((c) => c.date)).toEqual(['2026-07-15']);
    const err = refusal(() => checkRouting(twoDays, 'MDPTWO', standing));
    expect(err.detail).toMatch(/on 2026-07-14/);
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

  describe('routing rule', () => {
    const mixed = () => payload({ nmis: ['4102000001', '6102000001'], recipients: ['LNSPNORTH', 'LNSPSOUTH'] });

    it('strict (default) refuses NMIs of two LNSPs addressed to both: each would see the other\'s NMIs', () => {
      const err = refusal(() => checkRouting(mixed(), 'MDPONE', twoLnsps));
      expect(err.code).toBe('IDX_ERR_RECIPIENT_NOT_LNSP');
      expect(err.errors.map((e) => e.in === 'body' && e.pointer).sort()).toEqual(['/data/header/receivingParticipantId/0', '/data/header/receivingParticipantId/1']);
    });

    it('fanout delivers to every addressed LNSP that owns at least one NMI', () => {
      expect(checkRouting(mixed(), 'MDPONE', twoLnsps, rules({ routing: 'fanout' })).recipients).toEqual(['LNSPNORTH', 'LNSPSOUTH']);
    });

    it('fanout still refuses an NMI whose LNSP is not addressed, and an addressed participant that owns none', () => {
      const missing = payload({ nmis: ['4102000001', '6102000001'], recipients: ['LNSPNORTH'] });
      expect(refusal(() => checkRouting(missing, 'MDPONE', twoLnsps, rules({ routing: 'fanout' }))).errors.map((e) => e.code)).toEqual(['RECIPIENT_MISSING']);
      const extra = payload({ nmis: ['4102000001'], recipients: ['LNSPNORTH', 'LNSPSOUTH'] });
      const err = refusal(() => checkRouting(extra, 'MDPONE', twoLnsps, rules({ routing: 'fanout' })));
      expect(err.errors).toEqual([expect.objectContaining({ pointer: '/data/header/receivingParticipantId/1', code: 'RECIPIENT_NOT_LNSP' })]);
    });

    it('off delivers to any registered LNSP addressed, whatever the standing data says', () => {
      const isRegisteredLnsp = (p: string) => ['LNSPNORTH', 'LNSPSOUTH'].includes(p);
      const elsewhere = payload({ nmis: ['4102000001'], recipients: ['LNSPSOUTH'] });
      expect(checkRouting(elsewhere, 'MDPONE', twoLnsps, rules({ routing: 'off', isRegisteredLnsp })).recipients).toEqual(['LNSPSOUTH']);
      expect(checkRouting(mixed(), 'MDPONE', twoLnsps, rules({ routing: 'off', isRegisteredLnsp })).recipients).toEqual(['LNSPNORTH', 'LNSPSOUTH']);
      const err = refusal(() => checkRouting(payload({ recipients: ['MDPTWO'] }), 'MDPONE', twoLnsps, rules({ routing: 'off', isRegisteredLnsp })));
      expect(err.errors).toEqual([expect.objectContaining({ pointer: '/data/header/receivingParticipantId/0', code: 'RECIPIENT_NOT_LNSP', message: 'MDPTWO is not a registered LNSP' })]);
      // Who may send is still checked against standing data.
      expect(refusal(() => checkRouting(elsewhere, 'MDPTWO', twoLnsps, rules({ routing: 'off', isRegisteredLnsp }))).code).toBe('IDX_ERR_SENDER_NOT_RESPONSIBLE');
    });
  });
});
