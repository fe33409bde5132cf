/**
 * buildApp: the whole IDX hub as a Fastify instance, with explicit, ordered registrations and no
 * listen — src/server.ts owns the process (ports, TLS files, signals).
 */
import type { ServerOptions } from 'node:https';
import websocket from '@fastify/websocket';
import fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AppContext } from './context.js';
import { finiteKeyword } from './contract/openapi.js';
import { Authenticator, type PeerCertificateSource } from './plugins/auth.js';
import { registerFaults } from './plugins/faults.js';
import { registerJournal } from './plugins/journal.js';
import { frameworkErrors, MAX_PARAM_LENGTH, registerProblemDetails } from './plugins/problem-details.js';
import { clientErrorHandler, registerTransport } from './plugins/transport.js';
import { CLOSE_GOING_AWAY, eventSocketError } from './routes/events/index.js';
import { sharedValidators } from './plugins/request-validators.js';
import { bfinfoRoutes } from './routes/bfinfo/index.js';
import { archiveRoutes } from './routes/archive/index.js';
import { docsRoutes } from './routes/docs/index.js';
import { eventRoutes } from './routes/events/index.js';
import { fctrlRoutes } from './routes/fctrl/index.js';
import { simAdminRoutes } from './routes/sim-admin/index.js';
import { simCounterpartyRoutes } from './routes/sim-counterparties/index.js';
import { consoleRoutes } from './web/console/index.js';
import { oauthRoutes } from './routes/oauth/index.js';
import { pqdRoutes } from './routes/pqd/index.js';
import { translogRoutes } from './routes/translog/index.js';
import { webAssetRoutes } from './web/shared/assets.js';
import { webappRoutes } from './web/webapp/routes.js';

export interface BuildOptions {
  /** HTTPS options (key, cert, ca, requestCert); without them the app is for `inject` only. */
  https?: ServerOptions;
  /** Test seam: where client certificates come from when there is no TLS socket. */
  peerCertificate?: PeerCertificateSource;
  /** Sees every response before it is sent (the contract check in the test suite). */
  responseObserver?: (request: FastifyRequest, reply: FastifyReply, payload: unknown) => void;
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: { write(line: string): void };
}

// Fastify names a plugin that has no display name by searching the whole module cache for it, on every
// registration of every app built (the suite builds one per test, where thousands of modules are loaded):
// the hub's own route plugins say their names.
for (const plugin of [oauthRoutes, pqdRoutes, fctrlRoutes, eventRoutes, archiveRoutes, simAdminRoutes, simCounterpartyRoutes, consoleRoutes,
  translogRoutes, bfinfoRoutes, docsRoutes, webAssetRoutes, webappRoutes]) {
  Object.defineProperty(plugin, Symbol.for('fastify.display-name'), { value: plugin.name });
}

export async function buildApp(ctx: AppContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = fastify({
    logger: { level: ctx.config.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    // One concise debug line per request (onResponse below) instead of Fastify's two info lines.
    logController: new LogController({ disableRequestLogging: true }),
    // Trace ids come from the seedable random source, never from the caller.
    genReqId: () => ctx.random.hex(16),
    requestIdHeader: false,
    // No silent stripping or defaulting of unknown parameters: a simulator must say what it refused.
    ajv: { customOptions: { removeAdditional: false, useDefaults: false, coerceTypes: 'array', allErrors: true }, plugins: [finiteKeyword] },
    schemaController: { compilersFactory: { buildValidator: sharedValidators } },
    // Bad URLs and over-long path parameters are answered as problem+json like every refusal (issue 7, defect 8).
    frameworkErrors: frameworkErrors(ctx),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // What Node's HTTP parser refuses (431, 400, 408) and the 503 of shutdown: problem+json too (src/plugins/transport.ts).
    clientErrorHandler: clientErrorHandler(ctx),
    return503OnClosing: false,
    ...(options.https ? { https: options.https } : {}),
  } as Parameters<typeof fastify>[0]) as unknown as FastifyInstance;

  app.addHook('onSend', async (request, reply, payload) => {
    // Whatever this request wrote may sit in the group commit's open batch: answer only once it is committed.
    await ctx.commits.settled();
    reply.header('x-traceId', request.id);
    options.responseObserver?.(request, reply, payload);
    return payload;
  });
  // The payload workers (started by the first large submission) stop with the server.
  app.addHook('onClose', async () => ctx.bpqd.close());
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });

  registerProblemDetails(app, ctx);
  registerTransport(app, ctx);
  // Faults before the journal: the journal records the answer as the fault changed it.
  registerFaults(app, ctx);
  registerJournal(app, ctx);
  const auth = new Authenticator(ctx, options.peerCertificate);
  await app.register(websocket, {
    options: { maxPayload: 64 * 1024 },
    // A bad frame is the client's mistake: warn without a stack, and close the socket (defect 11).
    errorHandler: eventSocketError,
    // On shutdown every subscriber hears 1001 "going away" (RFC 6455 §7.4.1) and reconnects later.
    preClose(this: FastifyInstance, done: () => void) {
      for (const client of this.websocketServer.clients) client.close(CLOSE_GOING_AWAY, 'the hub is shutting down');
      done();
    },
  });
  await app.register(oauthRoutes, { ctx, auth });
  await app.register(pqdRoutes, { ctx, auth });
  await app.register(fctrlRoutes, { ctx, auth });
  await app.register(eventRoutes, { ctx, auth });
  await app.register(archiveRoutes, { ctx, auth });
  await app.register(simAdminRoutes, { ctx, auth });
  await app.register(simCounterpartyRoutes, { ctx, auth });
  // The simulator console (issue #12): HTML pages over the control API above, signed in with the admin key.
  await app.register(consoleRoutes, { ctx });
  await app.register(translogRoutes, { ctx, auth });
  await app.register(bfinfoRoutes, { ctx, auth });
  await app.register(docsRoutes, { ctx });
  // Web pages (issue #12): shared assets; no client certificate needed, like /docs.
  await app.register(webAssetRoutes);
  await app.register(webappRoutes, { ctx, series: ctx.queueSeries });
  return app;
}
