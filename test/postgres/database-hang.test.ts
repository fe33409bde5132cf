/**
 * Issue #14, "Operations": a PostgreSQL that hangs — it neither answers nor refuses (its processes stopped
 * with SIGSTOP) — under a running idx-sim process. Every statement waits on the synchronous bridge, so
 * without a circuit breaker each request held the whole event loop for the full timeout, one after the
 * other. With it, the first request to meet the hang waits the timeout; the others are refused at once
 * (503 IDX_ERR_STORAGE_UNAVAILABLE with Retry-After) until a probe finds the database answering again.
 * The housekeeping timers log the outage once when it starts and once when it ends, not every second.
 * Runs under `npm run test:postgres` (vitest.postgres.config.ts), not `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client } from '../../bench/crash-rounds.js';
import { eventually, startHubProcess } from '../helpers/hub-process.js';
import { postgresProcessFixture, signedSubmitter } from '../helpers/postgres-processes.js';

const SENDER = 'MDPONE';
const RECEIVER = 'LNSPNORTH';
const TIMEOUT_MS = 1000;
const fixture = postgresProcessFixture('idx-sim-db-hang-');
const { dir, certsDir, project, hubs, clients } = fixture;

const json = (bytes: Buffer) => JSON.parse(bytes.toString()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The cluster's postmaster and every process it started (backends, background workers). */
function postgresPids(): number[] {
  const dataDir = join(fixture.cluster().dir, 'data');
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)]).toString().split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
  return [postmaster, ...children];
}

describe('a PostgreSQL that hangs under a running hub', () => {
  it('costs one timeout, then refuses at once until a probe finds it back; housekeeping logs the outage twice, not every second', async () => {
    const hub = await startHubProcess({
      project, dataDir: join(dir, 'data-hang'), certsDir,
      env: { IDX_SIM_DATABASE_URL: fixture.cluster().url, IDX_SIM_DATABASE_TIMEOUT_MS: String(TIMEOUT_MS), IDX_SIM_DATABASE_PROBE_INTERVAL_MS: '200' },
    });
    hubs.push(hub);
    const log: Array<Record<string, unknown>> = [];
    let partial = '';
    hub.child.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.startsWith('{')) log.push(JSON.parse(line));
    });
    const client = new Client(certsDir, hub.url);
    clients.push(client);
    const [sender, receiver] = [await client.as(SENDER), await client.as(RECEIVER)];
    const submit = signedSubmitter(client, certsDir, sender, 'db-hang');
    const list = () => client.call(RECEIVER, 'GET', '/pqd/v1/bpqd', receiver);
    const ready = () => client.call(SENDER, 'GET', '/sim/v1/ready');
    expect((await submit('pqd~bpqd~l~mdpone~before')).status).toBe(200);

    const pids = postgresPids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    let continued = false;
    const resume = () => {
      if (continued) return;
      continued = true;
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    };
    try {
      // Six requests at once: the first to reach the database waits for it (the bridge's timeout, about
      // 2 × IDX_SIM_DATABASE_TIMEOUT_MS + 1 s); the breaker then refuses the others without waiting.
      const started = performance.now();
      const answers = await Promise.all([
        submit('pqd~bpqd~l~mdpone~during'), list(), submit('pqd~bpqd~l~mdpone~during2'), list(), ready(), list(),
      ]);
      const elapsedMs = performance.now() - started;
      for (const res of answers) {
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('5');
      }
      expect(answers.filter((r) => json(r.bytes).code === 'IDX_ERR_STORAGE_UNAVAILABLE')).toHaveLength(5);
      expect(json(answers[4]!.bytes).code).toBe('IDX_ERR_SIM_NOT_READY');
      // Whoever met the hang first — one of these requests, the housekeeping timer (queue expiry runs every
      // second), or the request journal's row of the submission before the hang (rows are written at the end
      // of the turn, which a loaded machine may not reach before SIGSTOP) — waited for it; every other
      // statement was refused at once.
      const outageLine = () => log.find((l) => l.msg === 'database outage: housekeeping cannot reach the database');
      const refused = () => log.filter((l) => l.msg === 'database failure: answered 503').map((l) => String(l.error));
      const journal = () => log.filter((l) => l.msg === 'could not write the request journal').map((l) => String((l.err as { message?: string } | undefined)?.message));
      await eventually('the five refusals and the housekeeping outage line in the log', () => refused().length >= 5 && outageLine() !== undefined, 10_000);
      const failures = [...refused(), String(outageLine()!.error), ...journal()];
      expect(failures.filter((e) => e === 'the database did not answer in time'), 'statements that waited for the hung database').toHaveLength(1);
      expect(refused().filter((e) => /not waiting for it again/.test(e)).length, 'requests refused at once').toBeGreaterThanOrEqual(4);
      // Bounded, not a measurement: six waits one after the other would take three times this.
      expect(elapsedMs).toBeLessThan(3 * (2 * TIMEOUT_MS + 1000));
      await eventually('three more housekeeping rounds', () => performance.now() - started > 3 * 1000 + elapsedMs, 10_000, 100);
      expect(log.filter((l) => /housekeeping|expiry failed|purge failed/.test(String(l.msg))).map((l) => l.msg)).toEqual(['database outage: housekeeping cannot reach the database']);
    } finally {
      resume();
    }

    // Back: the same process, not restarted, answers again once a probe got through.
    await eventually('ready again', async () => (await ready()).status === 200, 30_000, 100);
    expect(hub.child.exitCode).toBeNull();
    // The refused submissions left nothing behind: their messageContextIds are accepted now, not duplicates.
    expect((await submit('pqd~bpqd~l~mdpone~during')).status).toBe(200);
    const queued = (json((await list()).bytes).data as Array<{ messageContextId: string }>).map((m) => m.messageContextId);
    expect(queued).toEqual(['pqd~bpqd~l~mdpone~before', 'pqd~bpqd~l~mdpone~during']);
    await eventually('the housekeeping recovery line', () => log.some((l) => l.msg === 'database outage over: housekeeping reaches the database again'), 10_000);
    const outageLines = log.filter((l) => String(l.msg).startsWith('database outage'));
    expect(outageLines.map((l) => l.msg)).toEqual(['database outage: housekeeping cannot reach the database', 'database outage over: housekeeping reaches the database again']);
    expect(outageLines[1]!.outageMs).toEqual(expect.any(Number));
  }, 120_000);
});
