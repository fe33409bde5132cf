/**
 * The hub bus over PostgreSQL LISTEN/NOTIFY (issue #14), on the throwaway cluster of `npm run test:postgres`: notices reach the other
 * instances and never their sender, many notices of one turn share payloads under NOTIFY's 8000-byte
 * limit, and a bus whose connection is killed reconnects by itself and asks its instance to resync.
 */
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import type { HubNotice } from '../../src/services/hub-bus.js';
import { PgHubBus } from '../../src/store/pg-hub-bus.js';
import { eventually } from '../helpers/two-instances.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | undefined;
  }
}

/** The throwaway cluster of `npm run test:postgres`; undefined under `npm test` (SQLite only). */
const clusterUrl = inject('postgresUrl');
const cluster = { url: clusterUrl! };

function collect(bus: PgHubBus): HubNotice[] {
  const got: HubNotice[] = [];
  bus.subscribe((n) => got.push(n));
  return got;
}

describe.skipIf(!clusterUrl)('PostgreSQL hub bus (LISTEN/NOTIFY; PostgreSQL only: npm run test:postgres)', () => {
  it('delivers a notice to every other instance, in order, and never back to its sender', async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => PgHubBus.connect({ url: cluster.url, channel: 'bus_order' })));
    try {
      const [gotA, gotB, gotC] = [collect(a), collect(b), collect(c)];
      a.publish({ kind: 'clock' });
      a.publish({ kind: 'state-replaced', reason: 'reset' });
      b.publish({ kind: 'certificates' });
      await eventually(() => {
        expect(gotB).toEqual([{ kind: 'clock' }, { kind: 'state-replaced', reason: 'reset' }]);
        expect(gotC).toHaveLength(3);
        expect(gotA).toEqual([{ kind: 'certificates' }]);
      });
      expect(gotC.filter((n) => n.kind !== 'certificates')).toEqual([{ kind: 'clock' }, { kind: 'state-replaced', reason: 'reset' }]);
      expect(a.instanceId).not.toBe(b.instanceId);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('packs the notices of one turn into payloads under 8000 bytes, and refuses a notice that can never fit', async () => {
    const [a, b] = await Promise.all([0, 1].map(() => PgHubBus.connect({ url: cluster.url, channel: 'bus_pack' })));
    const sizes: number[] = [];
    const spy = new pg.Client({ connectionString: cluster.url });
    await spy.connect();
    spy.on('notification', (m) => sizes.push(Buffer.byteLength(m.payload ?? '')));
    await spy.query('LISTEN bus_pack');
    try {
      const got = collect(b);
      const reasons = Array.from({ length: 300 }, (_, i) => `reset number ${i} ${'x'.repeat(60)}`);
      for (const reason of reasons) a.publish({ kind: 'state-replaced', reason });
      a.publish({ kind: 'state-replaced', reason: 'y'.repeat(9000) });
      await eventually(() => expect(got).toHaveLength(300));
      expect(got.map((n) => (n as { reason: string }).reason)).toEqual(reasons);
      expect(sizes.length).toBeGreaterThan(1);
      expect(sizes.length).toBeLessThan(10);
      expect(Math.max(...sizes)).toBeLessThan(8000);
      expect(a.dropped).toBe(1);
    } finally {
      await spy.end();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('reconnects by itself after its connection is killed, tells its instance to resync, and sends what waited', async () => {
    const [a, b] = await Promise.all([0, 1].map(() => PgHubBus.connect({ url: cluster.url, channel: 'bus_reconnect' })));
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      const [gotA, gotB] = [collect(a), collect(b)];
      // Only A's connection: B keeps listening, so what A could not send while away must reach it later.
      const killed = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [`idx-sim hub bus ${a.instanceId.slice(0, 8)}`]);
      expect(killed.rows).toEqual([{ ok: true }]);
      await eventually(() => expect(a.connected).toBe(false));
      a.publish({ kind: 'faults' });
      await eventually(() => {
        expect(gotA).toEqual([{ kind: 'resync' }]);
        expect(gotB).toEqual([{ kind: 'faults' }]);
      }, 10_000);
      b.publish({ kind: 'clock' });
      await eventually(() => expect(gotA).toEqual([{ kind: 'resync' }, { kind: 'clock' }]));
    } finally {
      await admin.end();
      await Promise.all([a.close(), b.close()]);
    }
  });
});
