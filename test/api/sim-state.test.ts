/** Control API: health, readiness, reset to the fixtures and named snapshots — isolation a CI job relies on. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { testBackend } from '../helpers/database.js';
import { T0, useHarness } from '../helpers/harness.js';

const snapshotDir = mkdtempSync(join(tmpdir(), 'idx-sim-snapshots-'));
afterAll(() => rmSync(snapshotDir, { recursive: true, force: true }));
const h = useHarness({ snapshotDir });

const queue = async (participantId: string) =>
  (await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as(participantId) })).json().meta.totalRecords as number;
const admin = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string) => h().app.inject({ method, url, headers: h().admin() });

describe('health and readiness', () => {
  it('answer without a key', async () => {
    const health = await h().app.inject({ method: 'GET', url: '/sim/v1/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', backend: testBackend(), checks: { database: 'ok' } });
    const ready = await h().app.inject({ method: 'GET', url: '/sim/v1/ready' });
    expect(ready.json()).toEqual({ status: 'ready', backend: testBackend(), checks: { database: 'ok' } });
    // Like every route, they take no parameter they do not know.
    for (const url of ['/sim/v1/health?verbose=1', '/sim/v1/ready?verbose=1']) expect((await h().app.inject({ method: 'GET', url })).json()).toMatchObject({ status: 400, code: 'IDX_ERR_QUERY_INVALID' });
  });

  it('is not ready (503 problem) when the database does not answer', async () => {
    h().ctx.db.close();
    const res = await h().app.inject({ method: 'GET', url: '/sim/v1/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_SIM_NOT_READY', traceId: expect.any(String) });
    // Liveness is not readiness: the process still answers, and says the database does not.
    const health = await h().app.inject({ method: 'GET', url: '/sim/v1/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json().checks).toEqual({ database: 'unavailable' });
  });
});

describe('reset', () => {
  it('empties queues, outages and run-time changes, returns the clock to its start and closes event sockets', async () => {
    expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }))).statusCode).toBe(200);
    await h().app.inject({ method: 'POST', url: '/sim/v1/outages', headers: { ...h().admin(), 'content-type': 'application/json' },
      payload: { outageStart: '2026-07-03T00:00:00+10:00', outageEnd: '2026-07-03T01:00:00+10:00', description: 'x' } });
    h().clock.advance(3_600_000);
    await h().events('LNSPNORTH');
    expect(h().ctx.events.subscriberCount()).toBe(1);
    expect(await queue('LNSPNORTH')).toBe(1);

    const res = await admin('POST', '/sim/v1/reset');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ clock: { now: '2026-07-02T09:00:00.000+10:00', frozen: true }, participants: h().ctx.participants.participants().length, snapshot: null });
    expect(res.json().participants).toBeGreaterThanOrEqual(6);
    expect(h().clock.now()).toBe(T0);
    await new Promise((r) => setTimeout(r, 20));
    expect(h().ctx.events.subscriberCount()).toBe(0);
    expect((await admin('GET', '/sim/v1/outages')).json().data).toEqual([]);
    expect(await queue('LNSPNORTH')).toBe(0);
    // The fixtures are back: tokens, certificates and routing work as on a fresh start.
    expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }))).statusCode).toBe(200);
  });
});

describe('snapshots', () => {
  it('save, list, get, restore (isolation: the same messageContextId is new again) and delete', async () => {
    const saved = await admin('PUT', '/sim/v1/snapshots/empty');
    expect(saved.statusCode).toBe(201);
    expect(saved.json().data).toMatchObject({ name: 'empty', createdAt: '2026-07-02T09:00:00.000+10:00', clock: { frozen: true }, schemaVersion: expect.any(Number) });

    const payload = h().payload({ sender: 'MDPONE' });
    const headers = { 'x-messageContextId': 'pqd~bpqd~l~mdpone~snap1' };
    expect((await h().submit('MDPONE', payload, headers)).statusCode).toBe(200);
    h().clock.advance(60_000);
    expect((await admin('PUT', '/sim/v1/snapshots/one')).statusCode).toBe(201);
    expect((await admin('PUT', '/sim/v1/snapshots/one')).statusCode).toBe(200);

    const restored = await admin('POST', '/sim/v1/snapshots/empty/restore');
    expect(restored.statusCode).toBe(200);
    expect(restored.json()).toMatchObject({ clock: { now: '2026-07-02T09:00:00.000+10:00' }, snapshot: 'empty' });
    expect(await queue('LNSPNORTH')).toBe(0);
    expect((await h().submit('MDPONE', payload, headers)).statusCode).toBe(200);

    await admin('POST', '/sim/v1/snapshots/one/restore');
    expect(h().clock.now()).toBe(T0 + 60_000);
    expect(await queue('LNSPNORTH')).toBe(1);
    expect((await h().submit('MDPONE', payload, headers)).json().code).toBe('IDX_ERR_DUPLICATE_MESSAGE');

    expect((await admin('GET', '/sim/v1/snapshots')).json().data.map((s: { name: string }) => s.name)).toEqual(['empty', 'one']);
    expect((await admin('GET', '/sim/v1/snapshots/one')).json().data.name).toBe('one');
    expect((await admin('DELETE', '/sim/v1/snapshots/one')).statusCode).toBe(204);
    expect((await admin('GET', '/sim/v1/snapshots')).json().data.map((s: { name: string }) => s.name)).toEqual(['empty']);
    await admin('DELETE', '/sim/v1/snapshots/empty');
  });

  it('restores in-memory views too: a certificate revoked after the save is accepted again', async () => {
    await admin('PUT', '/sim/v1/snapshots/certs');
    h().ctx.certificates.revoke('LNSPNORTH', 'primary', h().clock.now());
    const refused = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as('LNSPNORTH').catch(() => ({})) });
    expect(refused.statusCode).toBe(401);
    await admin('POST', '/sim/v1/snapshots/certs/restore');
    expect(await queue('LNSPNORTH')).toBe(0);
    await admin('DELETE', '/sim/v1/snapshots/certs');
  });

  it('a reset or snapshot sees the request journal rows still waiting for the end of their turn (issue #13)', async () => {
    const row = (traceId: string) => ({ at: h().clock.now(), participantId: 'MDPONE', method: 'GET', path: '/pqd/v1/bpqd', query: null, operationId: 'listBpqd',
      status: 200, code: null, traceId, messageContextId: null, durationMs: 1, faultRuleId: null, request: null, response: null });
    const stored = () => (h().ctx.db.prepare('SELECT trace_id AS t FROM sim_journal ORDER BY id').all() as Array<{ t: string }>).map((r) => r.t);
    h().ctx.journal.append(row('before-save'));
    await h().ctx.sim.save('journal');
    // Answered before the reset: the reset empties the journal, this row with it (not written after it).
    h().ctx.journal.append(row('before-reset'));
    await h().ctx.sim.reset();
    await new Promise((r) => setImmediate(r));
    expect(stored()).toEqual([]);
    await h().ctx.sim.restore('journal');
    expect(stored()).toEqual(['before-save']);
    h().ctx.sim.delete('journal');
  });

  it('refuses an unknown name (404), a bad name (400) and a snapshot of another schema version (409)', async () => {
    for (const [method, url] of [['GET', '/sim/v1/snapshots/nope'], ['DELETE', '/sim/v1/snapshots/nope'], ['POST', '/sim/v1/snapshots/nope/restore']] as const) {
      const res = await admin(method, url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toMatchObject({ code: 'IDX_ERR_SIM_SNAPSHOT_NOT_FOUND', errors: [{ in: 'path', name: 'name' }] });
    }
    for (const [method, url] of [['GET', '/sim/v1/snapshots/.hidden'], ['PUT', '/sim/v1/snapshots/a%2Fb'], ['DELETE', '/sim/v1/snapshots/-x'], ['POST', '/sim/v1/snapshots/.x/restore']] as const) {
      const res = await admin(method, url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json()).toMatchObject({ code: 'IDX_ERR_PATH_INVALID' });
    }
    await admin('PUT', '/sim/v1/snapshots/old');
    // The snapshot as an older idx-sim would have saved it: a SQLite file, or a schema in the PostgreSQL database.
    if (testBackend() === 'postgres') h().ctx.db.exec('UPDATE "idx_sim_snapshot:old".schema_version SET version = 1');
    else {
      const file = new Database(join(snapshotDir, 'old.db'));
      file.pragma('user_version = 1');
      file.close();
    }
    const res = await admin('POST', '/sim/v1/snapshots/old/restore');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_SIM_CONFLICT', detail: expect.stringMatching(/schema version 1/) });
    await admin('DELETE', '/sim/v1/snapshots/old');
  });

  it.each([
    ['POST', '/sim/v1/reset'], ['GET', '/sim/v1/snapshots'], ['GET', '/sim/v1/snapshots/x'], ['PUT', '/sim/v1/snapshots/x'],
    ['DELETE', '/sim/v1/snapshots/x'], ['POST', '/sim/v1/snapshots/x/restore'],
  ] as const)('%s %s needs the admin key (401)', async (method, url) => {
    const res = await h().app.inject({ method, url, headers: { authorization: 'Bearer wrong' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('IDX_ERR_ADMIN_KEY');
  });
});
