/** Control API: BPQD coverage per NMI and market day — owed by whom, arrived, late, wrong party, churn days; JSON and CSV. */
import { describe, expect, it } from 'vitest';
import type { components } from '../../src/contract/types/sim-admin.js';
import { useHarness } from '../helpers/harness.js';

const h = useHarness({ adminKey: 'k3y' });
const at = (instant: string) => h().clock.set(Date.parse(instant));
const send = async (sender: string, nmis: string[], date: string) => {
  const res = await h().submit(sender, h().payload({ sender, nmis, date }));
  expect(res.statusCode, res.body).toBe(200);
};
const report = async (query: string, headers: Record<string, string> = {}) =>
  h().app.inject({ method: 'GET', url: `/sim/v1/coverage?${query}`, headers: { ...h().admin(), ...headers } });

/** Three NMIs over three days: on time, missing, by the other sender, late, wrong party after a churn, a churn day. */
async function scenario(): Promise<void> {
  at('2026-07-15T09:00:00+10:00');
  await send('MDPONE', ['4102000001', '4102000099'], '2026-07-14');
  at('2026-07-17T09:00:00+10:00');
  await send('ACMEMC', ['4102000001'], '2026-07-16');
  await send('MDPONE', ['4102000002'], '2026-07-16');
  const churn = await h().app.inject({ method: 'POST', url: '/sim/v1/nmis/4102000002/churn', headers: { ...h().admin(), 'content-type': 'application/json' },
    payload: { fromDate: '2026-07-15', MDP: 'MDPTWO' } });
  expect(churn.statusCode).toBe(200);
  at('2026-07-18T10:00:00+10:00');
  await send('MDPTWO', ['4102000099'], '2026-07-16');
}

describe('coverage', () => {
  it('gives each NMI and day its status, owed parties, senders and lateness', async () => {
    await scenario();
    const res = await report('fromDate=2026-07-14&toDate=2026-07-16&nmi=4102000001,4102000002,4102000099');
    expect(res.statusCode).toBe(200);
    const rows = res.json().data as Array<components['schemas']['CoverageRow']>;
    expect(rows.map((r) => [r.nmi, r.marketDate, r.status, r.churnDay])).toEqual([
      ['4102000001', '2026-07-14', 'received', false], ['4102000001', '2026-07-15', 'missing', false], ['4102000001', '2026-07-16', 'received', false],
      ['4102000002', '2026-07-14', 'missing', false], ['4102000002', '2026-07-15', 'not-required', true], ['4102000002', '2026-07-16', 'wrong-party', false],
      ['4102000099', '2026-07-14', 'received', false], ['4102000099', '2026-07-15', 'not-required', true], ['4102000099', '2026-07-16', 'late', false],
    ]);
    const late = rows[8]!;
    expect(late).toMatchObject({ owedBy: ['ACMEMC', 'MDPTWO'], lnsp: ['LNSPNORTH'], required: true });
    expect(late.arrivals).toEqual([expect.objectContaining({ senderId: 'MDPTWO', late: true, wrongParty: false, receivedDateTime: '2026-07-18T10:00:00.000+10:00' })]);
    expect(rows[5]!.arrivals[0]).toMatchObject({ senderId: 'MDPONE', wrongParty: true });
    expect(rows[2]!.arrivals[0].senderId).toBe('ACMEMC');
    expect(res.json().meta).toMatchObject({ rows: 9, summary: { received: 3, missing: 2, late: 1, 'wrong-party': 1, 'not-required': 2, pending: 0 } });
  });

  it('marks a day not yet due as pending and an NMI without standing data as such; filters by participant and status', async () => {
    await scenario();
    const pending = (await report('fromDate=2026-07-17&nmi=4102000001,4109999990')).json().data;
    expect(pending.map((r: { status: string }) => r.status)).toEqual(['pending', 'no-standing-data']);
    const south = (await report('fromDate=2026-07-14&participantId=LNSPSOUTH')).json().data as Array<{ nmi: string }>;
    expect(south.length).toBeGreaterThan(0);
    expect(south.every((r) => r.nmi.startsWith('61'))).toBe(true);
    const problems = (await report('fromDate=2026-07-14&toDate=2026-07-16&status=late,wrong-party')).json().data;
    expect(problems.map((r: { nmi: string; status: string }) => `${r.nmi} ${r.status}`)).toEqual(['4102000002 wrong-party', '4102000099 late']);
  });

  it('answers CSV for Accept: text/csv and ?format=csv', async () => {
    await scenario();
    const viaAccept = await report('fromDate=2026-07-16&nmi=4102000099,4102000002', { accept: 'text/csv' });
    expect(viaAccept.headers['content-type']).toMatch(/^text\/csv/);
    expect(viaAccept.body.split('\r\n')).toEqual([
      'nmi,marketDate,status,required,churnDay,lnsp,owedBy,senders,firstReceivedDateTime,late,wrongParty,messageContextIds',
      expect.stringMatching(/^4102000002,2026-07-16,wrong-party,true,false,LNSPNORTH,ACMEMC;MDPTWO,MDPONE,2026-07-17T09:00:00.000\+10:00,false,true,pqd~bpqd~l~mdpone~/),
      expect.stringMatching(/^4102000099,2026-07-16,late,true,false,LNSPNORTH,ACMEMC;MDPTWO,MDPTWO,2026-07-18T10:00:00.000\+10:00,true,false,pqd~bpqd~l~mdptwo~/),
      '',
    ]);
    expect((await report('fromDate=2026-07-16&nmi=4102000099,4102000002&format=csv')).body).toBe(viaAccept.body);
    expect((await report('fromDate=2026-07-16&nmi=4102000099&format=json', { accept: 'text/csv' })).json().data).toHaveLength(1);
  });

  it.each([
    ['', 'fromDate'], ['fromDate=tomorrow', 'fromDate'], ['fromDate=2026-02-30', 'fromDate'], ['fromDate=2026-07-16&toDate=2026-07-15', 'toDate'],
    ['fromDate=2026-01-01&toDate=2026-12-31', 'toDate'], ['fromDate=2026-07-16&nmi=short', 'nmi'], ['fromDate=2026-07-16&status=fine', 'status'], ['fromDate=2026-07-16&format=xml', 'format'],
  ])('refuses ?%s with 400 naming %s', async (query, name) => {
    const res = await report(query);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ in: 'query', name });
  });

  it('needs the admin key (401)', async () => {
    expect((await h().app.inject({ method: 'GET', url: '/sim/v1/coverage?fromDate=2026-07-16' })).json().code).toBe('IDX_ERR_ADMIN_KEY');
  });
});
