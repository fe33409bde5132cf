/**
 * `idx-sim certs` works on the database directly, so it can run while the server does (issue #7): a
 * certificate it revokes must be refused by every running instance from the next request on, without a
 * restart. On SQLite the registry notices another process's commit by `PRAGMA data_version`; on PostgreSQL
 * (issue #14) the command tells the running instances over the hub bus, as the control API does.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { certsCommand } from '../../src/cli/certs.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { PgHubBus } from '../../src/store/pg-hub-bus.js';
import { openTestDatabase, testDatabaseUrl } from '../helpers/database.js';
import { createHarness, pkiDir, type Harness } from '../helpers/harness.js';
import { eventually } from '../helpers/two-instances.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A running hub, and how `idx-sim certs` reaches its database from another process. */
async function runningHub(dir: string): Promise<{ hub: Harness; cliArgs: string[]; cliEnv: Record<string, string> }> {
  const common = ['--data-dir', join(dir, 'data'), '--certs-dir', join(dir, 'certs'), '--fixtures-dir', join(PROJECT_ROOT, 'fixtures')];
  const db = openTestDatabase();
  const url = testDatabaseUrl(db);
  if (!url) {
    db.close();
    const hub = await createHarness({}, { databasePath: join(dir, 'data', 'idx-sim.db') });
    return { hub, cliArgs: common, cliEnv: {} };
  }
  const bus = await PgHubBus.connect({ url });
  cleanups.push(() => bus.close());
  const hub = await createHarness({}, { db, bus });
  return { hub, cliArgs: common, cliEnv: { IDX_SIM_DATABASE_URL: url } };
}

it('a certificate revoked with `idx-sim certs revoke` is refused by a running instance from its next request', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-cli-certs-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(pkiDir(), join(dir, 'certs'), { recursive: true });
  const { hub, cliArgs, cliEnv } = await runningHub(dir);
  cleanups.push(() => hub.close());
  const headers = await hub.as('LNSPNORTH');
  expect((await hub.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers })).statusCode).toBe(200);

  const saved = Object.fromEntries(Object.keys(cliEnv).map((k) => [k, process.env[k]]));
  Object.assign(process.env, cliEnv);
  let out = '';
  try {
    expect(certsCommand(['revoke', '--participant', 'LNSPNORTH', '--slot', 'primary', ...cliArgs], (t) => { out += t; })).toBe(0);
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
  expect(out).toMatch(/^revoked LNSPNORTH's primary certificate/);

  await eventually(async () => {
    const res = await hub.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers });
    expect(res.statusCode).toBe(401);
  });
});
