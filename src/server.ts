/**
 * The process: configuration → fixtures → dev PKI → database → buildApp → HTTPS with mTLS → graceful
 * close. The only file that listens on a port or handles signals.
 */
import { relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { loadConfig, type Config, type ResolvedConfig } from './config.js';
import { createContext, type AppContext } from './context.js';
import { AdjustableClock } from './domain/clock.js';
import { createRandom } from './domain/random.js';
import { ensureDevPki, pkiPaths } from './pki/dev-ca.js';
import { ensureSharedCertificates } from './pki/shared-certificates.js';
import { registerCertificatesFromDir } from './security/certificate-registry.js';
import { openDatabase } from './store/database.js';
import { loadFixtures, readFixtures } from './store/fixtures.js';

export interface RunningServer {
  app: FastifyInstance;
  ctx: AppContext;
  clock: AdjustableClock;
  url: string;
  close(): Promise<void>;
}

export async function startServer(overrides: Partial<Config> = {}): Promise<RunningServer> {
  const config = loadConfig(overrides);
  const random = createRandom(config.seed || undefined);
  const clock = new AdjustableClock();
  if (config.clockStart) clock.set(Date.parse(config.clockStart));
  if (config.clockFrozen) clock.freeze();

  // Certificates are needed for every fixture participant, so read the fixtures first.
  const fixtures = readFixtures(config.fixturesDir);
  const pki = ensureDevPki(config.certsDir, fixtures.participants.map((p) => p.participantId));
  ensureSharedCertificates(config.certsDir, pki, fixtures.sharedCertificates);
  const db = openDatabase({ path: config.databasePath, synchronous: config.sqliteSynchronous });
  const ctx = createContext({
    config, db, clock, random, caCertPem: pki.ca.certPem, tokenSigningKeyPem: pki.tokenSigningKeyPem,
    hubSigning: { certPem: pki.hub.certPem, keyPem: pki.hub.keyPem },
    seed: (c) => {
      const loaded = loadFixtures(c.participants, config.fixturesDir);
      // Only registered certificates are accepted (spec §6): register what the certificates directory holds.
      registerCertificatesFromDir(c.certificates, config.certsDir, loaded.participants.map((p) => p.participantId), c.clock.now());
    },
  });
  ctx.seed();

  const app = await buildApp(ctx, {
    https: {
      key: pki.server.keyPem,
      cert: pki.server.certPem,
      ca: [pki.ca.certPem],
      // Ask for a client certificate but let the request through, so a missing or untrusted one is
      // refused with problem+json (spec §7) rather than a bare TLS alert.
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `https://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (pki.created.length) app.log.info({ files: pki.created.length, dir: config.certsDir }, 'generated development certificates');
  app.log.info({ seed: random.seed, database: config.databasePath, profile: config.profile }, 'state');

  // Queue expiry and archive retention follow the simulated clock: a clock move runs them at once
  // (context.ts); while the clock runs on its own, these timers do. Expiry checks every second (one index
  // lookup when nothing is due) so flow-control counts lag real expiry by at most that; reads never show
  // an expired message either way. The archive purge scans, so it runs less often.
  const housekeep = (what: string, work: () => unknown) => () => {
    try {
      work();
    } catch (err) {
      app.log.error({ err }, `${what} failed`);
    }
  };
  const timers = [
    setInterval(housekeep('queue expiry', () => ctx.delivery.expire(() => ctx.random.hex(16))), 1_000),
    setInterval(housekeep('archive purge', () => ctx.archive.purge()), 30_000),
  ];
  for (const timer of timers) timer.unref();

  let closed = false;
  return {
    app, ctx, clock, url,
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearInterval(timer);
      await app.close();
      db.close();
    },
  };
}

/** What `idx-sim start` prints: where it listens, where the docs are, and a token request to paste. */
export function banner(config: ResolvedConfig, url: string, cwd = process.cwd()): string {
  const p = pkiPaths(config.certsDir);
  const rel = (path: string) => relative(cwd, path) || '.';
  return [
    '',
    `idx-sim — AEMO IDX hub emulator listening on ${url} (mTLS)`,
    `  API docs:   ${url}/docs   (OpenAPI files: ${url}/openapi)`,
    `  database:   ${rel(config.databasePath)}`,
    `  dev CA:     ${rel(p.caCert)}   participant certificates: ${rel(config.certsDir)}/participants/<ID>/{primary,secondary}.{crt,key}`,
    '',
    '  Get a token (as MDPONE):',
    `    curl --cacert ${rel(p.caCert)} --cert ${rel(p.participantCert('MDPONE', 'primary'))} --key ${rel(p.participantKey('MDPONE', 'primary'))} \\`,
    `      -d grant_type=client_credentials -d client_id=mdpone-api -d client_secret=mdpone-secret -d scope=PQD_BPQD \\`,
    `      ${url}/oauth/v1/token`,
    '',
  ].join('\n');
}
