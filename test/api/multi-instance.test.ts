/**
 * Several instances on one database (issue #14) without a database server: two SQLite connections to one
 * file stand for two processes, joined by the in-process hub bus. The same checks run on PostgreSQL with
 * LISTEN/NOTIFY in test/e2e/postgres-two-instances.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBusNetwork } from '../../src/services/hub-bus.js';
import { createHarness } from '../helpers/harness.js';
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
