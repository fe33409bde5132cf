/** PQD API, resource bpqd (spec §4.1, §13.4): thin handlers over BpqdService. */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { acceptsGzip } from '../../domain/content-coding.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import { header, initiatingParticipant } from '../request-headers.js';

const gunzipAsync = promisify(gunzip);

export async function pqdRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  // The body is gzip bytes, kept exactly as received: no JSON parser here, every media type arrives as a
  // Buffer and BpqdService decides (415 for anything but application/json + gzip).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ctx.config.maxPayloadBytes + 64 * 1024 }, (_req, body, done) => done(null, body));

  contractRoute(app, ctx, auth, 'submitBpqd', async (request) => {
    const receipt = await ctx.bpqd.submit({
      initiatingParticipantId: initiatingParticipant(request),
      messageContextId: header(request, 'x-messagecontextid')!,
      contentType: header(request, 'content-type'),
      contentEncoding: header(request, 'content-encoding'),
      schemaVersion: header(request, 'x-schemaversion'),
      signature: header(request, 'x-signature'),
      body: request.body ?? Buffer.alloc(0),
      traceId: request.id,
      // The request journal refers to the stored bytes rather than copying them (src/plugins/journal.ts).
      stored: (messagePk) => { if (request.body) request.journalStoredPayload = { messagePk, payloadGzip: request.body }; },
    });
    return { data: receipt };
  });

  contractRoute(app, ctx, auth, 'listBpqd', async (request) => ctx.bpqd.list(initiatingParticipant(request), request.query));

  contractRoute(app, ctx, auth, 'getBpqd', async (request, reply) => {
    const { messageContextId } = request.params;
    const item = await ctx.bpqd.retrieve(initiatingParticipant(request), messageContextId, request.id);
    reply.headers({
      // The answer depends on Accept-Encoding (RFC 9110 §12.5.5): caches must key on it.
      vary: 'Accept-Encoding',
      'x-messageContextId': item.messageContextId,
      'x-initiatingParticipantId': item.senderId,
      'x-schemaVersion': item.schemaVersion,
      ...(item.signature ? { 'x-signature': item.signature } : {}),
    });
    reply.type('application/json');
    // The sender's gzip bytes as they arrived when the client accepts gzip (or says nothing, RFC 9110
    // §12.5.3); otherwise the JSON they inflate to — the exact bytes a JSON signature covers.
    // The body is returned, not sent with reply.send: an async handler that returns `reply` makes the
    // promise adopt it as a thenable, which costs a stream watcher per response (issue #13).
    if (acceptsGzip(header(request, 'accept-encoding'))) {
      reply.header('content-encoding', 'gzip');
      // The request journal refers to these stored bytes rather than copying them (src/plugins/journal.ts).
      request.journalStoredPayload = { messagePk: item.messagePk, payloadGzip: item.payloadGzip };
      return item.payloadGzip;
    }
    return gunzipAsync(item.payloadGzip);
  });

  contractRoute(app, ctx, auth, 'deleteBpqd', async (request, reply) => {
    const { messageContextId } = request.params;
    await ctx.bpqd.remove(initiatingParticipant(request), messageContextId, request.id);
    // No body: Fastify sends the 204 itself when the handler resolves with nothing (not `reply`, see getBpqd).
    reply.code(204);
  });
}
