/** PQD API, resource bpqd (spec §4.1, §13.4): thin handlers over BpqdService. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import { header, initiatingParticipant } from '../request-headers.js';


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
    });
    return { data: receipt };
  });

  contractRoute(app, ctx, auth, 'listBpqd', async (request) => ctx.bpqd.list(initiatingParticipant(request), request.query, request.id));

  contractRoute(app, ctx, auth, 'getBpqd', async (request, reply) => {
    const { messageContextId } = request.params;
    const item = ctx.bpqd.retrieve(initiatingParticipant(request), messageContextId, request.id);
    reply.headers({
      'content-encoding': 'gzip',
      'x-messageContextId': item.messageContextId,
      'x-initiatingParticipantId': item.senderId,
      'x-schemaVersion': item.schemaVersion,
      ...(item.signature ? { 'x-signature': item.signature } : {}),
    });
    return reply.type('application/json').send(item.payloadGzip);
  });

  contractRoute(app, ctx, auth, 'deleteBpqd', async (request, reply) => {
    const { messageContextId } = request.params;
    ctx.bpqd.remove(initiatingParticipant(request), messageContextId, request.id);
    return reply.code(204).send();
  });
}
