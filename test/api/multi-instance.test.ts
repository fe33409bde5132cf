/**
 * Several instances on one database (issue #14) without a database server: two SQLite connections to one
 * file stand for two processes, joined by the in-process hub bus. The same checks run on PostgreSQL with
 * LISTEN/NOTIFY in test/e2e/postgres-two-instances.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBusNetwork } from '../../src/services/hub-bus.js';
import { describe, expect, it } from 'vitest';
import { createHarness, useHarness } from '../helpers/harness.js';
import { describeTwoInstances } from '../helpers/two-instances.js';

describeTwoInstances('two instances on one SQLite file, joined by the in-process bus', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-two-'));
  const databasePath = join(dir, 'hub.db');
  const network = new InProcessBusNetwork();
  const instance = (seed: boolean) => createHarness({}, { databasePath, bus: network.join(), seed });
  const a = await instance(true);
  const b = await instance(false);
  return {
    a, b,
    startAnother: () => instance(false),
    close: async () => {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

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
