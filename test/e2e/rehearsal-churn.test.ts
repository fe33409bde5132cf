/**
 * Issue #10, Done-when 2, end to end over real TLS sockets: a virtual MC/MDP pair sends three market days of
 * BPQD on the simulated clock while a churn of 4102000099 is added at run time for day 2; an LNSP client
 * drains with `idx-sim poll`; the coverage report shows the right party per day with nothing missing; a
 * GET-only virtual LNSP reaches High and the sender sees QUEUE_FULL on its event channel.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pollCommand } from '../../src/cli/poll.js';
import { connect } from '../../src/cli/connection.js';
import { useE2eServer } from '../helpers/e2e.js';

const DAY1 = '2026-07-20';
const DAY2 = '2026-07-21';
const DAY3 = '2026-07-22';
const e2e = useE2eServer('rehearsal-churn', {
  profile: 'ci', fcCountMode: 'queued', fcPqdLow: 2, fcPqdWarn: 3, fcPqdHigh: 4, counterpartyTickMs: 0,
  clockStart: `${DAY1}T09:00:00.000+10:00`, clockFrozen: true,
});

const admin = async (method: string, path: string, body?: object) => {
  const res = await e2e.call(undefined, method, `/sim/v1${path}`, { authorization: 'Bearer idx-sim-admin', ...(body ? { 'content-type': 'application/json' } : {}) },
    body ? JSON.stringify(body) : undefined);
  expect(res.status, `${method} ${path}: ${res.bytes.toString()}`).toBeLessThan(300);
  return res.bytes.length ? res.json() : undefined;
};

async function poll(): Promise<{ retrieved: number; deleted: number; messages: Array<{ initiatingParticipantId: string }> }> {
  const out: string[] = [];
  const code = await pollCommand(['--as', 'LNSPNORTH', '--url', e2e.server.url, '--certs-dir', join(e2e.dir, 'certs'), '--json'], (t) => { out.push(t); });
  expect(code).toBe(0);
  return JSON.parse(out.join(''));
}

describe('three market days with a run-time churn, drained by idx-sim poll, checked by coverage', () => {
  it('sends, routes and reports the right party per day, and a GET-only LNSP makes the sender hear QUEUE_FULL', async () => {
    // The senders: each MDP sends what it serves that day; the LNSPSOUTH side never deletes.
    await admin('POST', '/counterparties', { id: 'mdpone', kind: 'sender', participantId: 'MDPONE', from: DAY1, intervalLength: 30 });
    await admin('POST', '/counterparties', { id: 'mdptwo', kind: 'sender', participantId: 'MDPTWO', from: DAY1, intervalLength: 30 });
    await admin('POST', '/counterparties', { id: 'gridco', kind: 'sender', participantId: 'GRIDCOMDP', from: DAY1, intervalLength: 30 });
    await admin('POST', '/counterparties', { id: 'south', kind: 'lnsp', participantId: 'LNSPSOUTH', policy: 'get-only' });
    // The MC's side listens to its event channel.
    const { client } = connect({ as: 'MDPONE', url: e2e.server.url, 'certs-dir': join(e2e.dir, 'certs') });
    const frames: Array<{ eventType: string; subType?: string; participantId?: string }> = [];
    const ws = await client.events((f) => { frames.push(f as (typeof frames)[number]); });

    // Meter churn added at run time for day 2: 4102000099's MDP passes from MDPTWO to MDPONE.
    await admin('POST', '/nmis/4102000099/churn', { fromDate: DAY2, MDP: 'MDPONE' });

    const senders: Record<string, string[]> = {};
    for (const [date, next] of [[DAY1, DAY2], [DAY2, DAY3], [DAY3, '2026-07-23']] as const) {
      await admin('PUT', '/clock', { dateTime: `${next}T01:00:00.000+10:00` });
      await admin('POST', '/counterparties/tick');
      const drained = await poll();
      senders[date] = [...new Set(drained.messages.map((m) => m.initiatingParticipantId))].sort();
      expect(drained.deleted).toBe(drained.retrieved);
    }
    // Day 1: 4102000099 is still MDPTWO's; from day 2 everything north is MDPONE's.
    expect(senders).toEqual({ [DAY1]: ['GRIDCOMDP', 'MDPONE', 'MDPTWO'], [DAY2]: ['GRIDCOMDP', 'MDPONE'], [DAY3]: ['GRIDCOMDP', 'MDPONE'] });

    const coverage = await admin('GET', `/coverage?fromDate=${DAY1}&toDate=${DAY3}`);
    const rows = coverage.data as Array<{ nmi: string; marketDate: string; status: string; arrivals: Array<{ senderId: string; wrongParty: boolean }> }>;
    expect(rows.filter((r) => ['missing', 'wrong-party', 'late'].includes(r.status))).toEqual([]);
    const churned = Object.fromEntries(rows.filter((r) => r.nmi === '4102000099').map((r) => [r.marketDate, r.arrivals.map((a) => a.senderId)]));
    expect(churned).toEqual({ [DAY1]: ['MDPTWO'], [DAY2]: ['MDPONE'], [DAY3]: ['MDPONE'] });
    expect(rows.filter((r) => r.nmi.startsWith('6102000') && r.nmi !== '6102000099').every((r) => r.status === 'received')).toBe(true);

    // LNSPSOUTH only ever GETs: two messages a day pile up to the High watermark; delivery stops and the senders hear it.
    const south = (await admin('GET', '/counterparties/south')).data;
    expect(south.stats.deleted).toBe(0);
    const status = await e2e.call('LNSPSOUTH', 'GET', '/fctrl/v1/businessFunctions/pqd', await e2e.as('LNSPSOUTH', 'FCTRL_STATUS FCTRL_FCTRL'));
    expect(status.json().data).toMatchObject({ messageStatus: 'Stopped' });
    const deadline = Date.now() + 5000;
    while (!frames.some((f) => f.subType === 'QUEUE_FULL') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(frames).toContainEqual(expect.objectContaining({ eventType: 'FLOW_CONTROL', subType: 'QUEUE_FULL', participantId: 'LNSPSOUTH' }));
    ws.close();
    await client.close();
  }, 120_000);
});
