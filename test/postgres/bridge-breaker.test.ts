/**
 * The PostgreSQL bridge's circuit breaker (src/store/postgres/bridge.ts) against a "database" that hangs:
 * a loopback listener that accepts connections and never says a word. The first statement waits for the
 * connect timeout; after it, statements are refused at once, and the worker probes — each probe one
 * connection attempt — at most once per probe interval, without the caller waiting for it.
 * Runs under `npm run test:postgres` (no PostgreSQL needed, but a listening socket: not in `npm test`).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../src/store/database-errors.js';
import { SyncPgBridge } from '../../src/store/postgres/bridge.js';

let server: Server;
let port: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const refusal = (attempt: () => unknown): DatabaseUnavailableError => {
  try {
    attempt();
  } catch (err) {
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    return err as DatabaseUnavailableError;
  }
  return expect.fail('the statement was not refused');
};

describe('the bridge to a database that hangs', () => {
  it('waits once, then refuses at once while probing at most once per interval', async () => {
    const probeIntervalMs = 250;
    const bridge = new SyncPgBridge(`postgres://idxsim@127.0.0.1:${port}/postgres`, { statementTimeoutMs: 200, connectTimeoutMs: 200, probeIntervalMs });
    try {
      const select = () => bridge.query({ op: 'query', text: 'SELECT 1', values: [] });
      const first = refusal(select);
      expect(first.message).toMatch(/unavailable: .*timeout/);

      // For 1.2 s, a statement every 20 ms: each refused at once; the probes (one connection each) go out
      // in the background, never more often than the interval.
      const started = performance.now();
      let refused = 0;
      while (performance.now() - started < 1200) {
        const at = performance.now();
        expect(refusal(select).message).toMatch(/not waiting for it again until a probe finds it answering/);
        expect(performance.now() - at, 'a refusal does not wait').toBeLessThan(100);
        refused++;
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 50)); // the listener (on this thread) accepts what was sent last
      const probes = sockets.length - 1; // the first statement's connection, then one per probe
      expect(refused).toBeGreaterThan(20);
      expect(probes).toBeGreaterThanOrEqual(2);
      expect(probes).toBeLessThanOrEqual(Math.ceil(1200 / probeIntervalMs) + 1);
    } finally {
      bridge.close();
    }
  }, 30_000);
});
