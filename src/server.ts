/**
 * The process: configuration → fixtures → dev PKI → database → buildApp → HTTPS with mTLS → graceful
 * close. The only file that listens on a port or handles signals.
 */
import type { Server, ServerOptions } from 'node:https';
import type { Socket } from 'node:net';
import { relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { loadConfig, type Config, type ResolvedConfig } from './config.js';
import { createContext, type AppContext } from './context.js';
import { AdjustableClock } from './domain/clock.js';
import { createRandom, seedForBoot } from './domain/random.js';
import { ensureDevPki, pkiPaths } from './pki/dev-ca.js';
import { ensureSharedCertificates } from './pki/shared-certificates.js';
import { resolveAdminKey } from './security/admin-key.js';
import { registerCertificatesFromDir } from './security/certificate-registry.js';
import { countBoot } from './store/boot-counter.js';
import { openDatabase, redactedDatabaseUrl, underSetupLock } from './store/database.js';
import { openWhenReachable } from './store/database-startup.js';
import { startWalCheckpointer } from './store/wal-checkpointer.js';
import { PgHubBus } from './store/pg-hub-bus.js';
import { loadFixtures, readFixtures } from './store/fixtures.js';
import { connectCounterparties, loadCounterpartyFixtures } from './services/counterparty-connector.js';
import { DatabaseOutageLog } from './services/database-outage-log.js';

export interface RunningServer {
  app: FastifyInstance;
  ctx: AppContext;
  clock: AdjustableClock;
  url: string;
  /** The control API key when this start generated it (shown once, by `idx-sim start`). */
  generatedAdminKey?: { key: string; path: string };
  close(): Promise<void>;
}

export async function startServer(overrides: Partial<Config> = {}, options: { logStream?: { write(line: string): void } } = {}): Promise<RunningServer> {
  const config = loadConfig(overrides);
  const adminKey = resolveAdminKey(config.adminKey, config.host, config.dataDir);
  config.adminKey = adminKey.key;
  const boot = countBoot(config.dataDir);
  const random = createRandom(config.seed ? seedForBoot(config.seed, boot) : undefined);
  const clock = new AdjustableClock();
  // Freeze first, then set: set-then-freeze read the running clock twice and could freeze it a millisecond late.
  if (config.clockFrozen) clock.freeze();
  if (config.clockStart) clock.set(Date.parse(config.clockStart));

  // Certificates are needed for every fixture participant, so read the fixtures first.
  const fixtures = readFixtures(config.fixturesDir);
  const pki = ensureDevPki(config.certsDir, fixtures.participants.map((p) => p.participantId), config.serverHosts);
  ensureSharedCertificates(config.certsDir, pki, fixtures.sharedCertificates);
  // A database server may answer later than this process starts (docs/deployment.md): wait for it, bounded.
  const db = await openWhenReachable(() => openDatabase({ path: config.databasePath, synchronous: config.sqliteSynchronous, url: config.databaseUrl,
    postgres: { statementTimeoutMs: config.databaseTimeoutMs, connectTimeoutMs: config.databaseTimeoutMs, probeIntervalMs: config.databaseProbeIntervalMs } }), {
    waitSeconds: config.databaseStartupWaitSeconds, describe: config.databaseUrl ? redactedDatabaseUrl(config.databaseUrl) : config.databasePath,
    log: (message) => process.stderr.write(`idx-sim: ${message}\n`),
  });
  // Checkpoints (copying the WAL back into the database file, with an fsync) run in a worker, not in a COMMIT (issue #13).
  const checkpointer = db.dialect === 'sqlite' ? startWalCheckpointer(db, config.databasePath) : undefined;
  // Several instances on one PostgreSQL database are one hub (issue #14, docs/multi-instance.md): they
  // tell each other what changed over LISTEN/NOTIFY. The bus logs through the app's logger once it exists.
  let busLog: (level: 'warn' | 'info', message: string, detail?: Record<string, unknown>) => void = (_level, message) => process.stderr.write(`idx-sim: ${message}\n`);
  const bus = db.dialect === 'postgres' && config.databaseUrl
    ? await PgHubBus.connect({ url: config.databaseUrl, log: (level, message, detail) => busLog(level, message, detail) })
    : undefined;
  const ctx = createContext({
    config, db, clock, random, bus, caCertPem: pki.ca.certPem, tokenSigningKeyPem: pki.tokenSigningKeyPem,
    hubSigning: { certPem: pki.hub.certPem, keyPem: pki.hub.keyPem },
    seed: (c) => {
      const loaded = loadFixtures(c.participants, config.fixturesDir);
      // Only registered certificates are accepted (spec §6): register what the certificates directory holds.
      registerCertificatesFromDir(c.certificates, config.certsDir, loaded.participants.map((p) => p.participantId), c.clock.now());
    },
  });
  // Two instances starting together on one PostgreSQL database must not both load the fixtures.
  underSetupLock(db, () => ctx.seed());

  const app = await buildApp(ctx, {
    logStream: options.logStream,
    https: {
      key: pki.server.keyPem,
      cert: pki.server.certPem,
      ca: [pki.ca.certPem],
      // Ask for a client certificate but let the request through, so a missing or untrusted one is
      // refused with problem+json (spec §7) rather than a bare TLS alert.
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      // Limits and timeouts (issue 7, defect 6; docs/reliability.md): no client holds a connection forever.
      handshakeTimeout: config.tlsHandshakeTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // How often Node looks for expired requests: often enough for the shortest configured timeout.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.headersTimeoutMs / 4))),
    } as ServerOptions,
  });
  const server = app.server as Server;
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = config.headersTimeoutMs;
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  server.maxConnections = config.maxConnections;
  // Every TCP connection, in any state (TLS handshake, idle, upgraded to WebSocket), so shutdown can close what remains.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Node times out requests, not connections that never start one: a TLS connection that sends not a
  // byte within the headers timeout is closed too (1,000 silent connections must not stay open). One
  // that sent part of a request is Node's: it answers 408.
  server.on('secureConnection', (socket: Socket) => {
    const timer = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, config.headersTimeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('drop', (data?: { remoteAddress?: string }) => app.log.warn({ remoteAddress: data?.remoteAddress, maxConnections: config.maxConnections }, 'connection refused: too many connections'));
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `https://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // Virtual counterparties call this server like any participant: over TLS, with their certificates.
  connectCounterparties(ctx, url, config.certsDir, pki.ca.certPem);
  const counterparties = loadCounterpartyFixtures(ctx, config.fixturesDir);
  if (counterparties) app.log.info({ counterparties }, 'started virtual counterparties from fixtures');
  ctx.counterparties.start(config.counterpartyTickMs);
  if (adminKey.generatedAt) app.log.warn({ file: adminKey.generatedAt }, 'generated a control API key (/sim/v1): it is printed once, and kept in this file');
  for (const { file, problem } of pki.repaired) app.log.warn({ file, problem }, 'issued a broken development certificate again');
  if (pki.created.length) app.log.info({ files: pki.created.length, dir: config.certsDir }, 'generated development certificates');
  busLog = (level, message, detail) => app.log[level](detail ?? {}, message);
  app.log.info({ seed: random.seed, boot, database: config.databaseUrl ? redactedDatabaseUrl(config.databaseUrl) : config.databasePath, profile: config.profile,
    ...(bus ? { instanceId: bus.instanceId } : {}) }, 'state');

  // Queue expiry and archive retention follow the simulated clock: a clock move runs them at once
  // (context.ts); while the clock runs on its own, these timers do. Expiry checks every second (one index
  // lookup when nothing is due) so flow-control counts lag real expiry by at most that; reads never show
  // an expired message either way. The archive purge scans, so it runs less often.
  // While the database is away every run fails: the outage is logged when it starts and when it ends.
  const outage = new DatabaseOutageLog(() => performance.now(), app.log);
  const housekeep = (what: string, work: () => unknown) => () => {
    try {
      work();
      outage.succeeded();
    } catch (err) {
      if (!outage.failed(what, err)) app.log.error({ err }, `${what} failed`);
    }
  };
  const timers = [
    setInterval(housekeep('queue expiry', () => ctx.delivery.expire(() => ctx.random.hex(16))), 1_000),
    setInterval(housekeep('archive purge', () => ctx.archive.purge()), 30_000),
    setInterval(housekeep('refusal purge', () => ctx.transactionLog.purgeRefusals(ctx.clock.now() - ctx.config.translogRefusalRetentionDays * 86_400_000)), 30_000),
  ];
  for (const timer of timers) timer.unref();

  let closed = false;
  return {
    app, ctx, clock, url,
    ...(adminKey.generatedAt ? { generatedAdminKey: { key: adminKey.key, path: adminKey.generatedAt } } : {}),
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearInterval(timer);
      await ctx.counterparties.stop();
      // Drain (issue 7, defect 6): no new connections, requests in flight get shutdownGraceMs to finish
      // (new requests on open connections get 503, WebSocket subscribers 1001), then what remains is closed.
      const grace = setTimeout(() => {
        if (sockets.size) app.log.warn({ connections: sockets.size, graceMs: config.shutdownGraceMs }, 'shutdown grace period over; closing remaining connections');
        server.closeAllConnections();
        for (const client of app.websocketServer.clients) client.terminate();
        for (const socket of sockets) socket.destroy();
      }, config.shutdownGraceMs);
      try {
        await app.close();
      } finally {
        clearTimeout(grace);
      }
      // The request journal's last rows (of the requests answered just now) wait for the end of the turn.
      ctx.journal.flush();
      await checkpointer?.close();
      await bus?.close();
      db.close();
    },
  };
}

/** What `idx-sim start` prints: where it listens, where the docs are, and a token request to paste. */
export function banner(config: ResolvedConfig, url: string, cwd = process.cwd(), generatedAdminKey?: { key: string; path: string }): string {
  const p = pkiPaths(config.certsDir);
  const rel = (path: string) => relative(cwd, path) || '.';
  return [
    '',
    `idx-sim — AEMO IDX hub emulator listening on ${url} (mTLS)`,
    `  API docs:   ${url}/docs   (OpenAPI files: ${url}/openapi)`,
    `  database:   ${config.databaseUrl ? redactedDatabaseUrl(config.databaseUrl) : rel(config.databasePath)}`,
    `  dev CA:     ${rel(p.caCert)}   participant certificates: ${rel(config.certsDir)}/participants/<ID>/{primary,secondary}.{crt,key}`,
    '',
    '  Get a token (as MDPONE):',
    `    curl --cacert ${rel(p.caCert)} --cert ${rel(p.participantCert('MDPONE', 'primary'))} --key ${rel(p.participantKey('MDPONE', 'primary'))} \\`,
    `      -d grant_type=client_credentials -d client_id=mdpone-api -d client_secret=mdpone-secret -d scope=PQD_BPQD \\`,
    `      ${url}/oauth/v1/token`,
    '',
    ...(generatedAdminKey ? [
      `  Control API key (/sim/v1), generated now and shown only this once (kept in ${rel(generatedAdminKey.path)}):`,
      `    ${generatedAdminKey.key}`,
      '',
    ] : []),
  ].join('\n');
}
