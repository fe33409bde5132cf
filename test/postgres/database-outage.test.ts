/**
 * Issue #14, "Operations": an idx-sim process (the current sources compiled, `idx-sim start`) on a
 * throwaway PostgreSQL that is stopped under it and started again. While it is down, requests get 503
 * problem+json `IDX_ERR_STORAGE_UNAVAILABLE` with Retry-After and nothing half-written is kept; readiness
 * is 503 and liveness 200; once it is back the same process answers 200 again, no restart. And a process
 * started before the database answers waits for it (bounded), or exits 1 saying why.
 * Runs under `npm run test:postgres` (vitest.postgres.config.ts), not `npm test`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client } from '../../bench/crash-rounds.js';
import { postgresProcessFixture, signedSubmitter } from '../helpers/postgres-processes.js';
import { eventually, listening, spawnHub, startHubProcess } from '../helpers/hub-process.js';

const SENDER = 'MDPONE';
const RECEIVER = 'LNSPNORTH';
const fixture = postgresProcessFixture('idx-sim-db-outage-');
const { dir, certsDir, project, hubs, clients } = fixture;

const json = (bytes: Buffer) => JSON.parse(bytes.toString()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('losing the PostgreSQL database under a running hub', () => {
  it('answers 503 with Retry-After while it is down, keeps nothing half-written, and recovers by itself when it is back', async () => {
    const hub = await startHubProcess({ project, dataDir: join(dir, 'data-outage'), certsDir, env: { IDX_SIM_DATABASE_URL: fixture.cluster().url, IDX_SIM_DATABASE_TIMEOUT_MS: '3000' } });
    hubs.push(hub);
    const client = new Client(certsDir, hub.url);
    clients.push(client);
    const [sender, receiver] = [await client.as(SENDER), await client.as(RECEIVER)];
    const submit = signedSubmitter(client, certsDir, sender, 'db-outage');
    const queued = async () => (json((await client.call(RECEIVER, 'GET', '/pqd/v1/bpqd', receiver)).bytes).data as Array<{ messageContextId: string }>).map((m) => m.messageContextId);
    const ready = () => client.call(SENDER, 'GET', '/sim/v1/ready');
    const health = () => client.call(SENDER, 'GET', '/sim/v1/health');

    expect((await submit('pqd~bpqd~l~mdpone~before')).status).toBe(200);
    expect(json((await ready()).bytes)).toEqual({ status: 'ready', backend: 'postgres', checks: { database: 'ok' } });

    await fixture.cluster().halt('immediate');
    const refused = await submit('pqd~bpqd~l~mdpone~during');
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe('5');
    expect(json(refused.bytes)).toMatchObject({ code: 'IDX_ERR_STORAGE_UNAVAILABLE', status: 503, traceId: refused.headers['x-traceid'], messageContextId: 'pqd~bpqd~l~mdpone~during' });
    const list = await client.call(RECEIVER, 'GET', '/pqd/v1/bpqd', receiver);
    expect([list.status, json(list.bytes).code]).toEqual([503, 'IDX_ERR_STORAGE_UNAVAILABLE']);
    const notReady = await ready();
    expect([notReady.status, notReady.headers['retry-after'], json(notReady.bytes).code]).toEqual([503, '5', 'IDX_ERR_SIM_NOT_READY']);
    const alive = await health();
    expect([alive.status, json(alive.bytes)]).toEqual([200, { status: 'ok', backend: 'postgres', checks: { database: 'unavailable' } }]);

    await fixture.cluster().resume();
    // The same process, not restarted: it reconnects on the next request.
    await eventually('ready again', async () => (await ready()).status === 200, 30_000, 100);
    expect(hub.child.exitCode).toBeNull();
    // The refused submission left nothing behind: the same messageContextId is accepted now, not a duplicate.
    expect((await submit('pqd~bpqd~l~mdpone~during')).status).toBe(200);
    expect(await queued()).toEqual(['pqd~bpqd~l~mdpone~before', 'pqd~bpqd~l~mdpone~during']);
    expect(json((await health()).bytes).checks).toEqual({ database: 'ok' });
  }, 120_000);
});

describe('starting before the database answers', () => {
  it('waits for it (bounded, with backoff) and starts once it answers', async () => {
    await fixture.cluster().halt('fast');
    let resumed = false;
    try {
      const { child, stderr, exited } = spawnHub({ project, dataDir: join(dir, 'data-wait'), certsDir, env: { IDX_SIM_DATABASE_URL: fixture.cluster().url, IDX_SIM_DATABASE_STARTUP_WAIT: '60' } });
      const url = listening(child, stderr, 90_000);
      url.catch(() => undefined);
      try {
        await eventually('a log line saying it waits', () => /does not answer yet \(try 1/.test(stderr.join('')), 30_000);
        await fixture.cluster().resume();
        resumed = true;
        await url;
        expect(child.exitCode).toBeNull();
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    } finally {
      if (!resumed) await fixture.cluster().resume();
    }
  }, 120_000);

  it('exits 1 naming the database and the wait once the wait is over', async () => {
    await fixture.cluster().halt('fast');
    try {
      const { stderr, exited } = spawnHub({ project, dataDir: join(dir, 'data-give-up'), certsDir, env: { IDX_SIM_DATABASE_URL: fixture.cluster().url, IDX_SIM_DATABASE_STARTUP_WAIT: '1' } });
      expect(await exited).toBe(1);
      expect(stderr.join('')).toMatch(/idx-sim: the database postgres:\/\/idxsim@127\.0\.0\.1:\d+\/postgres did not answer within 1 s \(IDX_SIM_DATABASE_STARTUP_WAIT; \d+ tries\)/);
    } finally {
      await fixture.cluster().resume();
    }
  }, 60_000);
});
