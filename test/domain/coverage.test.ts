/** The coverage rules as pure functions: churn days, the outgoing party on a churn day, lateness, CSV quoting. */
import { describe, expect, it } from 'vitest';
import type { NmiRolesOnDate } from '../../src/domain/bpqd-rules.js';
import { coverage, coverageCsv, isChurnDay, marketMidnight } from '../../src/domain/coverage.js';
import { churn, checkSpans } from '../../src/domain/standing-data.js';

const roles = (mdp: string): NmiRolesOnDate => ({ LNSP: ['LN'], MC: ['MC1'], MDP: [mdp] });
const rolesOn = (_nmi: string, date: string) => roles(date < '2026-07-15' ? 'OLD' : 'NEW');

describe('coverage rules', () => {
  it('a churn day is one where a role changes hands; the outgoing MDP may send that day only when the rule allows it', () => {
    expect(isChurnDay(roles('OLD'), roles('NEW'))).toBe(true);
    expect(isChurnDay(roles('OLD'), roles('OLD'))).toBe(false);
    const arrival = { nmi: 'N', marketDate: '2026-07-15', senderId: 'OLD', messageContextId: 'c', receivedAt: marketMidnight('2026-07-16') };
    const base = { nmis: ['N'], dates: ['2026-07-15'], rolesOn, arrivals: [arrival], dueDays: 1, now: marketMidnight('2026-07-20') };
    expect(coverage({ ...base, outgoingMaySendOnChurnDay: true })[0]).toMatchObject({ status: 'received', churnDay: true, required: false });
    expect(coverage({ ...base, outgoingMaySendOnChurnDay: false })[0]).toMatchObject({ status: 'wrong-party' });
  });

  it('late means at or after the end of the due day; nothing yet before it is pending', () => {
    const at = (iso: string) => Date.parse(iso);
    const row = (receivedAt: number, now = at('2026-07-20T00:00:00+10:00')) => coverage({ nmis: ['N'], dates: ['2026-07-16'], rolesOn,
      arrivals: [{ nmi: 'N', marketDate: '2026-07-16', senderId: 'NEW', messageContextId: 'c', receivedAt }], dueDays: 1, now })[0]!;
    expect(row(at('2026-07-17T23:59:59.999+10:00')).status).toBe('received');
    expect(row(at('2026-07-18T00:00:00+10:00')).status).toBe('late');
    expect(coverage({ nmis: ['N'], dates: ['2026-07-16'], rolesOn, arrivals: [], dueDays: 1, now: at('2026-07-17T12:00:00+10:00') })[0]!.status).toBe('pending');
  });

  it('CSV quotes cells that need it', () => {
    const rows = coverage({ nmis: ['N'], dates: ['2026-07-16'], rolesOn, arrivals: [{ nmi: 'N', marketDate: '2026-07-16', senderId: 'NEW', messageContextId: 'a,"b"', receivedAt: 0 }], dueDays: 1, now: 0 });
    expect(coverageCsv(rows, String).split('\r\n')[1]).toMatch(/,"a,""b"""$/);
  });

  it('churn ends the old span the day before and refuses a later change already scheduled; spans may not overlap', () => {
    const spans = [{ role: 'MDP' as const, participantId: 'OLD', fromDate: '2026-01-01', toDate: null }];
    expect(churn(spans, '2026-07-15', { MDP: 'NEW' })).toEqual({ spans: [
      { role: 'MDP', participantId: 'OLD', fromDate: '2026-01-01', toDate: '2026-07-14' }, { role: 'MDP', participantId: 'NEW', fromDate: '2026-07-15', toDate: null }] });
    expect(churn([{ role: 'MDP', participantId: 'X', fromDate: '2026-08-01', toDate: null }], '2026-07-15', { MDP: 'NEW' })).toHaveProperty('conflict');
    expect(checkSpans([{ role: 'MC', participantId: 'A', fromDate: '2026-01-01', toDate: null }, { role: 'MC', participantId: 'B', fromDate: '2026-03-01', toDate: null }]))
      .toEqual([expect.objectContaining({ index: 1, field: 'fromDate' })]);
  });
});
