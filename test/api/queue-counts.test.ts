/**
 * The queue list's totalRecords comes from a counter kept with the queue (flow_control.queued_count,
 * issue #13), not from counting the queue on every page. These tests walk one queue through everything
 * that changes it — submit, first retrieval, hold, release (automatic and manual), DELETE, expiry by a
 * clock move, snapshot restore, reset — and check after each step that the counter, the list's
 * totalRecords and a count of the queue itself agree.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { useHarness } from '../helpers/harness.js';

const snapshotDir = mkdtempSync(join(tmpdir(), 'idx-sim-queue-counts-'));
afterAll(() => rmSync(snapshotDir, { recursive: true, force: true }));
// Small watermarks so the queue stops (and holds) at 5 and resumes below 2.
const h = useHarness({ fcPqdLow: 2, fcPqdWarn: 4, fcPqdHigh: 5, snapshotDir });
const LNSP = 'LNSPNORTH';

async function submit(): Promise<string> {
  const res = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data.messageContextId;
}

async function lnsp(method: 'GET' | 'DELETE', url: string, expected: number) {
  const res = await h().app.inject({ method, url, headers: await h().as(LNSP) });
  expect(res.statusCode, res.body).toBe(expected);
  return res;
}

const admin = (method: 'PUT' | 'POST', url: string, payload?: object) =>
  h().app.inject({ method, url, headers: { ...h().admin(), ...(payload ? { 'content-type': 'application/json' } : {}) }, ...(payload ? { payload } : {}) });

/** The counter, the list (unfiltered and filtered) and the queue itself say the same. */
async function expectCounts(expected: { delivered: number; held: number }): Promise<void> {
  const queue = h().ctx.messages.recount(LNSP, 'pqd');
  expect({ delivered: queue.delivered, held: queue.held }).toEqual(expected);
  expect(h().ctx.flowControlStore.get(LNSP, 'pqd', h().clock.now())).toMatchObject({ queuedCount: expected.delivered, heldCount: expected.held });
  const list = (await lnsp('GET', '/pqd/v1/bpqd?itemCount=2', 200)).json();
  expect(list.meta).toMatchObject({ totalRecords: expected.delivered, totalPages: Math.ceil(expected.delivered / 2) });
  // A filtered list still counts the queue: both ways agree.
  expect((await lnsp('GET', '/pqd/v1/bpqd?itemCount=2&priority=Low', 200)).json().meta.totalRecords).toBe(expected.delivered);
  const all = (await lnsp('GET', '/pqd/v1/bpqd?itemCount=500', 200)).json();
  expect(all.data).toHaveLength(expected.delivered);
}

describe('totalRecords from the kept counter (issue #13)', () => {
  it('stays equal to the queue through submit, retrieval, hold, release, DELETE and manual stop/start', async () => {
    await expectCounts({ delivered: 0, held: 0 });
    const ids = [await submit(), await submit(), await submit()];
    await expectCounts({ delivered: 3, held: 0 });
    // A first retrieval completes delivery but the message stays listed until it is deleted.
    await lnsp('GET', `/pqd/v1/bpqd/${ids[0]}`, 200);
    await expectCounts({ delivered: 3, held: 0 });
    ids.push(await submit(), await submit(), await submit(), await submit());
    // Stopped at 5 unretrieved (the first was retrieved): 6 delivered, the 7th held.
    await expectCounts({ delivered: 6, held: 1 });
    for (const id of ids.slice(0, 5)) await lnsp('DELETE', `/pqd/v1/bpqd/${id}`, 204);
    // Below Low: the held message was released into the queue.
    await expectCounts({ delivered: 2, held: 0 });
    const stop = await h().app.inject({ method: 'PATCH', url: '/fctrl/v1/businessFunctions/pqd',
      headers: { ...(await h().as(LNSP, 'FCTRL_FCTRL FCTRL_STATUS')), 'content-type': 'application/json' }, payload: { outboundDelivery: 'Stopped' } });
    expect(stop.statusCode, stop.body).toBe(200);
    await submit();
    await expectCounts({ delivered: 2, held: 1 });
    const start = await h().app.inject({ method: 'PATCH', url: '/fctrl/v1/businessFunctions/pqd',
      headers: { ...(await h().as(LNSP, 'FCTRL_FCTRL FCTRL_STATUS')), 'content-type': 'application/json' }, payload: { outboundDelivery: 'Started' } });
    expect(start.statusCode, start.body).toBe(200);
    await expectCounts({ delivered: 3, held: 0 });
    // A DELETE that finds nothing changes nothing.
    await lnsp('DELETE', `/pqd/v1/bpqd/${ids[0]}`, 404);
    await expectCounts({ delivered: 3, held: 0 });
  });

  it('expiry by a clock move lowers it; a message past the retention that expiry has not removed yet is not counted', async () => {
    await submit();
    h().clock.advance(86_400_000);
    await submit();
    await expectCounts({ delivered: 2, held: 0 });
    const moved = await admin('PUT', '/sim/v1/clock', { advanceSeconds: 9 * 86_400 });
    expect(moved.json()).toMatchObject({ expiredMessages: 1 });
    await expectCounts({ delivered: 1, held: 0 });
    // Simulated time running past the retention with no clock move and no sweep: the list leaves the
    // message out, and its count does too — before expiry runs, and the same after.
    h().clock.unfreeze();
    const realNow = Date.now();
    const now = vi.spyOn(Date, 'now').mockReturnValue(realNow + 86_400_000);
    try {
      const list = (await lnsp('GET', '/pqd/v1/bpqd', 200)).json();
      expect(list).toMatchObject({ data: [], meta: { totalRecords: 0, totalPages: 0 } });
      expect(h().ctx.flowControlStore.get(LNSP, 'pqd', h().clock.now()).queuedCount).toBe(1);
      expect(h().ctx.delivery.expire('cd'.repeat(16))).toBe(1);
      expect(h().ctx.flowControlStore.get(LNSP, 'pqd', h().clock.now()).queuedCount).toBe(0);
      expect((await lnsp('GET', '/pqd/v1/bpqd', 200)).json().meta.totalRecords).toBe(0);
    } finally {
      now.mockRestore();
      h().clock.freeze();
    }
  });

  it('comes back with the queue on snapshot restore, and is emptied by reset', async () => {
    await submit();
    await submit();
    expect((await admin('PUT', '/sim/v1/snapshots/two')).statusCode).toBe(201);
    await submit();
    await expectCounts({ delivered: 3, held: 0 });
    expect((await admin('POST', '/sim/v1/snapshots/two/restore')).statusCode).toBe(200);
    await expectCounts({ delivered: 2, held: 0 });
    expect((await admin('POST', '/sim/v1/reset')).statusCode).toBe(200);
    await expectCounts({ delivered: 0, held: 0 });
  });
});
