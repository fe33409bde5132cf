/**
 * Every write a response acknowledges is committed before the response goes out (issue 7, defect 1).
 * The group commit keeps a transaction open until the next turn of the event loop; a DELETE, a first
 * GET, a PATCH, a refusal row or a quota count made in that turn ran inside it and used to be answered
 * before the COMMIT, so a crash could undo it. Here the batch's COMMIT is held back by the test, and a
 * second connection to the same file (what a restarted process would read) says what is committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/database.js';
import { openObserver, testBackend } from '../helpers/database.js';
import { useHarness, type Harness } from '../helpers/harness.js';

let dir: string;
let observer: Db | undefined;
/** While set, the next batch's COMMIT waits for the test instead of the next event-loop turn. */
let holdNextCommit = false;
let heldCommit: (() => void) | undefined;

const h = useHarness({ profile: 'ci' }, () => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-ack-'));
  return {
    // On PostgreSQL the harness's own test database, which another session can observe.
    databasePath: testBackend() === 'sqlite' ? join(dir, 'idx-sim.db') : undefined,
    scheduleCommit: (commit) => {
      if (holdNextCommit) heldCommit = commit;
      else setImmediate(commit);
    },
  };
});
beforeEach(() => {
  observer = openObserver(h().ctx.db, join(dir, 'idx-sim.db'));
});
afterEach(() => {
  observer?.close();
  heldCommit?.();
  heldCommit = undefined;
  holdNextCommit = false;
  rmSync(dir, { recursive: true, force: true });
});

/** Everything a request may write, as one string: it changes whenever any of it does. */
const STATE = `SELECT (SELECT count(*) FROM queue_items) || '/' || (SELECT count(retrieved_at) FROM queue_items) || '/' ||
  (SELECT coalesce(string_agg(outbound_delivery, ','), '') FROM flow_control) || '/' || (SELECT count(*) FROM transaction_log) || '/' ||
  (SELECT coalesce(sum(count), 0) FROM quota_counters) || '/' || (SELECT count(*) FROM outages) || '/' || (SELECT count(*) FROM messages) AS state`;
const committed = () => (observer!.prepare(STATE).get() as { state: string }).state;
const seenByWriter = (hub: Harness) => (hub.ctx.db.prepare(STATE).get() as { state: string }).state;

async function submitOne(): Promise<string> {
  const res = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data.messageContextId;
}

/**
 * Opens a group-commit batch (as a submission in the same turn would) and holds its COMMIT; sends the
 * request; once its write has reached the open transaction, checks it is not answered yet; then commits
 * and checks the answer came with the write committed.
 */
async function expectAnsweredOnlyOnceCommitted(send: () => Promise<LightMyRequestResponse>, status: number) {
  const before = committed();
  holdNextCommit = true;
  const batch = h().ctx.commits.run(() => undefined);
  holdNextCommit = false;
  expect(heldCommit, 'a batch is open').toBeDefined();
  let answered: LightMyRequestResponse | undefined;
  const response = send().then((res) => (answered = res));
  const deadline = Date.now() + 5000;
  while (seenByWriter(h()) === before && answered === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  expect(seenByWriter(h()), 'the request wrote inside the open batch').not.toBe(before);
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  expect(answered?.statusCode, 'answered while its write was not committed').toBeUndefined();
  expect(committed()).toBe(before);
  const commit = heldCommit!;
  heldCommit = undefined;
  commit();
  await batch;
  const res = await response;
  expect(res.statusCode, res.body).toBe(status);
  expect(committed()).toBe(seenByWriter(h()));
  expect(committed()).not.toBe(before);
}

describe('an acknowledged write is committed before its response', () => {
  it('DELETE of a queued message', async () => {
    const id = await submitOne();
    const headers = await h().as('LNSPNORTH');
    await expectAnsweredOnlyOnceCommitted(() => h().app.inject({ method: 'DELETE', url: `/pqd/v1/bpqd/${id}`, headers }), 204);
  });

  it('the first GET of a message, which completes its delivery', async () => {
    const id = await submitOne();
    const headers = await h().as('LNSPNORTH');
    await expectAnsweredOnlyOnceCommitted(() => h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${id}`, headers }), 200);
  });

  it('a refusal, which is written to the transaction log', async () => {
    const headers = await h().as('LNSPNORTH');
    await expectAnsweredOnlyOnceCommitted(() => h().app.inject({ method: 'DELETE', url: '/pqd/v1/bpqd/pqd~bpqd~l~mdpone~nothere', headers }), 404);
  });

  it('a flow-control PATCH', async () => {
    const headers = { ...(await h().as('LNSPNORTH', 'FCTRL_FCTRL FCTRL_STATUS')), 'content-type': 'application/json' };
    await expectAnsweredOnlyOnceCommitted(() => h().app.inject({ method: 'PATCH', url: '/fctrl/v1/businessFunctions/pqd', headers, payload: { outboundDelivery: 'Stopped' } }), 200);
  });

  it('a Flow Control read, which counts against the daily request quota', async () => {
    const headers = await h().as('LNSPNORTH', 'FCTRL_STATUS');
    await expectAnsweredOnlyOnceCommitted(() => h().app.inject({ method: 'GET', url: '/fctrl/v1/participants', headers }), 200);
  });

  it('an outage injected through the control API', async () => {
    await expectAnsweredOnlyOnceCommitted(() => h().app.inject({
      method: 'POST', url: '/sim/v1/outages', headers: { ...h().admin(), 'content-type': 'application/json' },
      payload: { outageStart: '2026-07-03T00:00:00+10:00', outageEnd: '2026-07-03T01:00:00+10:00', description: 'release' },
    }), 201);
  });

  it('a submission', async () => {
    const body = gzipSync(JSON.stringify(h().payload({ sender: 'MDPONE' })));
    const headers = {
      ...(await h().as('MDPONE')), 'x-messageContextId': h().contextId('MDPONE'), 'content-type': 'application/json',
      'content-encoding': 'gzip', 'x-signature': h().signature('MDPONE', body),
    };
    await expectAnsweredOnlyOnceCommitted(() => h().app.inject({ method: 'POST', url: '/pqd/v1/bpqd', headers, payload: body }), 200);
  });
});
