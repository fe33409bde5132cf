/** The control API over real sockets: health for the container HEALTHCHECK, reset and snapshots through TLS. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { useE2eServer } from '../helpers/e2e.js';

const e2e = useE2eServer('sim-control', { adminKey: 'e2e-admin' });
const admin = { authorization: 'Bearer e2e-admin' };

describe('control API over TLS', () => {
  it('answers /health and /ready without a client certificate or key', async () => {
    expect((await e2e.call(undefined, 'GET', '/sim/v1/health')).json()).toEqual({ status: 'ok', backend: 'sqlite', checks: { database: 'ok' } });
    expect((await e2e.call(undefined, 'GET', '/sim/v1/ready')).status).toBe(200);
  });

  it("passes the Dockerfile's HEALTHCHECK command", async () => {
    const dockerfile = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    const command = JSON.parse(/HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(dockerfile)![1]!) as string[];
    const port = new URL(e2e.server.url).port;
    await expect(promisify(execFile)(command[0]!, command.slice(1), { env: { ...process.env, IDX_SIM_PORT: port } })).resolves.toBeDefined();
    await expect(promisify(execFile)(command[0]!, command.slice(1), { env: { ...process.env, IDX_SIM_PORT: '9' } })).rejects.toMatchObject({ code: 1 });
  });

  it('saves, resets and restores over TLS', async () => {
    expect((await e2e.call(undefined, 'PUT', '/sim/v1/snapshots/fresh', admin)).status).toBe(201);
    expect((await e2e.call(undefined, 'POST', '/sim/v1/reset', admin)).json().participants).toBe(e2e.server.ctx.participants.participants().length);
    const restored = await e2e.call(undefined, 'POST', '/sim/v1/snapshots/fresh/restore', admin);
    expect(restored.json()).toMatchObject({ snapshot: 'fresh', clock: { now: '2026-07-02T09:00:00.000+10:00', frozen: true } });
    // The snapshot lives in the data directory by default.
    expect(readFileSync(join(e2e.dir, 'data', 'snapshots', 'fresh.db')).subarray(0, 15).toString()).toBe('SQLite format 3');
    // Participants still get tokens over mTLS after a restore.
    await e2e.token('LNSPNORTH');
  });

  it('injects a connection reset (no answer at all), a 503 and latency on real sockets; the journal shows each', async () => {
    const json = { ...admin, 'content-type': 'application/json' };
    const reset = (await e2e.call(undefined, 'POST', '/sim/v1/faults', json, JSON.stringify({ kind: 'reset', operationId: 'listBpqd', participantId: 'LNSPNORTH' }))).json().data;
    const headers = await e2e.as('LNSPNORTH');
    await expect(e2e.call('LNSPNORTH', 'GET', '/pqd/v1/bpqd', headers)).rejects.toThrow(/other side closed|socket|ECONNRESET/i);
    await e2e.call(undefined, 'PATCH', `/sim/v1/faults/${reset.id}`, json, JSON.stringify({ enabled: false }));
    expect((await e2e.call('LNSPNORTH', 'GET', '/pqd/v1/bpqd', headers)).status).toBe(200);

    const unavailable = (await e2e.call(undefined, 'POST', '/sim/v1/faults', json, JSON.stringify({ kind: 'error', status: 503, api: 'fctrl' }))).json().data;
    const refused = await e2e.call('LNSPNORTH', 'GET', '/fctrl/v1/participants', await e2e.as('LNSPNORTH', 'FCTRL_STATUS'));
    expect(refused.status).toBe(503);
    expect(refused.headers['x-idx-sim-fault']).toBe(String(unavailable.id));
    expect(refused.json()).toMatchObject({ code: 'IDX_ERR_INJECTED_UNAVAILABLE' });

    await e2e.call(undefined, 'POST', '/sim/v1/faults', json, JSON.stringify({ kind: 'latency', latencyMs: 80, operationId: 'listBpqd' }));
    const started = performance.now();
    expect((await e2e.call('LNSPNORTH', 'GET', '/pqd/v1/bpqd', headers)).headers['x-idx-sim-fault']).toBeDefined();
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);

    const journal = (await e2e.call(undefined, 'GET', '/sim/v1/journal?participantId=LNSPNORTH&faulted=true', admin)).json().data;
    expect(journal.map((e: { status: number; faultRuleId: number }) => e.status)).toEqual([0, 503, 200]);
    expect((await e2e.call(undefined, 'DELETE', '/sim/v1/faults', admin)).status).toBe(204);
  });
});
