/**
 * What idx-sim keeps in memory instead of reading on every request (issue #13): participants, NMI role
 * spans (ParticipantStore) and outages (FlowControlService). Each test reads first (so the copy is made),
 * changes the data one way, and checks the very next read sees it — one test per way the data can change
 * in one instance: the control API, the fixtures and a snapshot restore (a reset clears through the same
 * `forgetCaches`). Another instance's changes (the hub bus) are in test/helpers/two-instances.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { T0, useHarness } from '../helpers/harness.js';

const snapshotDir = mkdtempSync(join(tmpdir(), 'idx-sim-views-'));
afterAll(() => rmSync(snapshotDir, { recursive: true, force: true }));
const h = useHarness({ snapshotDir });

const json = { 'content-type': 'application/json' };
const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
  h().app.inject({ method, url, headers: { ...h().admin(), ...(payload === undefined ? {} : json) }, ...(payload === undefined ? {} : { payload: payload as object }) });
const NMI = '4102000001';
const DAY = '2026-07-02';
const lnspOf = () => h().ctx.participants.rolesOn(NMI, DAY).LNSP;
const listQueue = async () => (await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as('LNSPNORTH') })).statusCode;
const outageNow = () => call('POST', '/sim/v1/outages', {
  outageStart: new Date(T0 - 60_000).toISOString(), outageEnd: new Date(T0 + 3_600_000).toISOString(), description: 'maintenance', participantIds: ['LNSPNORTH'], apis: ['pqd'],
});

describe('participants, NMI standing data and outages kept in memory', () => {
  it('participants and NMI role spans changed through the control API are used from the next read; callers get copies', async () => {
    expect(h().ctx.participants.participant('NEWLNSP')).toBeUndefined();
    expect((await call('PUT', '/sim/v1/participants/NEWLNSP', { name: 'New LNSP', role: 'LNSP' })).statusCode).toBe(201);
    expect(h().ctx.participants.participant('NEWLNSP')).toEqual({ participantId: 'NEWLNSP', name: 'New LNSP', role: 'LNSP' });
    expect((await call('PUT', '/sim/v1/participants/NEWLNSP', { name: 'Renamed', role: 'LNSP' })).statusCode).toBe(200);
    expect(h().ctx.participants.participant('NEWLNSP')?.name).toBe('Renamed');
    expect((await call('DELETE', '/sim/v1/participants/NEWLNSP')).statusCode).toBe(204);
    expect(h().ctx.participants.participant('NEWLNSP')).toBeUndefined();

    // Changing an answer changes nothing kept.
    const first = h().ctx.participants.participant('LNSPNORTH')!;
    (first as { name: string }).name = 'changed by a caller';
    h().ctx.participants.rolesOn(NMI, DAY).LNSP.push('SOMEONE');
    expect(h().ctx.participants.participant('LNSPNORTH')!.name).not.toBe('changed by a caller');
    expect(lnspOf()).toEqual(['LNSPNORTH']);

    const put = await call('PUT', `/sim/v1/nmis/${NMI}`, { roles: [
      { role: 'LNSP', participantId: 'LNSPNORTH', fromDate: '2026-01-01', toDate: '2026-07-01' },
      { role: 'LNSP', participantId: 'LNSPSOUTH', fromDate: '2026-07-02' },
      { role: 'MC', participantId: 'ACMEMC', fromDate: '2026-01-01' }, { role: 'MDP', participantId: 'MDPONE', fromDate: '2026-01-01' },
    ] });
    expect(put.statusCode, put.body).toBeLessThan(300);
    expect(lnspOf()).toEqual(['LNSPSOUTH']);
    expect(h().ctx.participants.rolesOn(NMI, '2026-07-01')).toEqual({ LNSP: ['LNSPNORTH'], MC: ['ACMEMC'], MDP: ['MDPONE'] });
    expect(h().ctx.participants.rolesOn(NMI, '2025-12-31')).toEqual({ LNSP: [], MC: [], MDP: [] });
    expect((await call('DELETE', `/sim/v1/nmis/${NMI}`)).statusCode).toBe(204);
    expect(h().ctx.participants.rolesOn(NMI, DAY)).toEqual({ LNSP: [], MC: [], MDP: [] });
  });

  it('fixtures loaded again replace what was kept', () => {
    expect(lnspOf()).toEqual(['LNSPNORTH']);
    h().ctx.participants.replaceFromSource('fixture', {
      participants: [{ participantId: 'LNSPNORTH', name: 'North', role: 'LNSP' }, { participantId: 'LNSPSOUTH', name: 'South', role: 'LNSP' }],
      users: [],
      roles: [{ nmi: NMI, role: 'LNSP', participantId: 'LNSPSOUTH', fromDate: '2026-01-01', toDate: null }],
    });
    expect(lnspOf()).toEqual(['LNSPSOUTH']);
    expect(h().ctx.participants.participant('MDPONE')).toBeUndefined();
  });

  it('an outage added through the control API refuses the next request', async () => {
    expect(await listQueue()).toBe(200);
    expect((await outageNow()).statusCode).toBe(201);
    expect(await listQueue()).toBe(503);
  });

  it('a snapshot restore brings back the standing data and the outages of the snapshot', async () => {
    expect((await call('PUT', '/sim/v1/snapshots/views')).statusCode).toBe(201);
    expect((await call('POST', `/sim/v1/nmis/${NMI}/churn`, { fromDate: '2026-07-01', LNSP: 'LNSPSOUTH' })).statusCode).toBe(200);
    expect(lnspOf()).toEqual(['LNSPSOUTH']);
    expect((await outageNow()).statusCode).toBe(201);
    expect(await listQueue()).toBe(503);
    expect((await call('POST', '/sim/v1/snapshots/views/restore')).statusCode).toBe(200);
    expect(lnspOf()).toEqual(['LNSPNORTH']);
    expect(await listQueue()).toBe(200);
    await call('DELETE', '/sim/v1/snapshots/views');
  });
});
