/**
 * Several instances on one database (issue #14, Done-when 2). Under `npm run test:postgres`: two instances
 * on one PostgreSQL database, joined by the LISTEN/NOTIFY hub bus, each with its own database session —
 * they share nothing else. Under `npm test`, without a database server: two SQLite connections to one file
 * stand for two processes, joined by the in-process bus. The checks are the same (test/helpers/two-instances.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InProcessBusNetwork } from '../../src/services/hub-bus.js';
import { PgHubBus } from '../../src/store/pg-hub-bus.js';
import { openObserver, openTestDatabase, testBackend, testDatabaseUrl } from '../helpers/database.js';
import { createHarness, useHarness, type Harness } from '../helpers/harness.js';
import { describeTwoInstances, type TwoInstances } from '../helpers/two-instances.js';

/** Instances A and B from `instance` (A seeds the shared database), another on demand; `cleanup` after both closed. */
async function twoFrom(instance: (seed: boolean) => Promise<Harness>, cleanup: () => unknown): Promise<TwoInstances> {
  const a = await instance(true);
  const b = await instance(false);
  return {
    a, b,
    startAnother: () => instance(false),
    close: async () => {
      await b.close();
      await a.close();
      await cleanup();
    },
  };
}

function onSqlite(): Promise<TwoInstances> {
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-two-'));
  const databasePath = join(dir, 'hub.db');
  const network = new InProcessBusNetwork();
  // A limit of 10 PQD requests a minute proves the same counting as AEMO's 50 in a fifth of the requests
  // (`npm test` stays fast); the PostgreSQL run below keeps the published 50.
  return twoFrom((seed) => createHarness({ pqdRequestsPerMinute: 10 }, { databasePath, bus: network.join(), seed }),
    () => rmSync(dir, { recursive: true, force: true }));
}

function onPostgres(): Promise<TwoInstances> {
  const first = openTestDatabase();
  const url = testDatabaseUrl(first)!;
  const buses: PgHubBus[] = [];
  return twoFrom(async (seed) => {
    const bus = await PgHubBus.connect({ url });
    buses.push(bus);
    return createHarness({}, { db: seed ? first : openObserver(first), bus, seed });
  }, async () => {
    for (const bus of buses) await bus.close();
  });
}

describeTwoInstances(testBackend() === 'postgres'
  ? 'two instances on one PostgreSQL database, joined by LISTEN/NOTIFY'
  : 'two instances on one SQLite file, joined by the in-process bus', testBackend() === 'postgres' ? onPostgres : onSqlite);

describe('removing a queue item that is already gone', () => {
  const h = useHarness();

  // Two removals read the item before either commits (a DELETE and expiry on two instances, or two DELETEs in one batch).
  it('removes it once: one `removed` log entry, and the queue counts go down by one', async () => {
    const res = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    const item = h().ctx.messages.queued('LNSPNORTH', 'MDPONE', res.json().data.messageContextId.toLowerCase(), 0)!;
    await Promise.all([1, 2].map(() => h().ctx.delivery.remove('LNSPNORTH', item, 'trace-remove', 'DELETED', 'deleted by the receiving participant')));
    const removed = h().ctx.db.prepare("SELECT count(*) AS n FROM transaction_log WHERE status = 'removed'").get() as { n: number | string };
    expect(Number(removed.n)).toBe(1);
    expect(h().ctx.flowControlStore.get('LNSPNORTH', 'pqd', h().clock.now())).toMatchObject({ messageCount: 0, queuedCount: 0 });
  });
});
