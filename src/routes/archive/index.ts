/** Outbound Archive API (spec §4.6): thin handlers over ArchiveService. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import { header, initiatingParticipant } from '../request-headers.js';

export async function archiveRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  contractRoute(app, ctx, auth, 'listArchivedMessages', async (request) =>
    ctx.archive.list(initiatingParticipant(request), request.query));

  contractRoute(app, ctx, auth, 'getArchivedMessage', async (request, reply) => {
    const { messageContextId } = request.params;
    const copy = ctx.archive.retrieve(initiatingParticipant(request), messageContextId);
    reply.headers({
      'x-signature': copy.hubSignature,
      'x-messageContextId': copy.message.messageContextId,
      'x-initiatingParticipantId': copy.message.initiatingParticipantId,
      ...(copy.originalSignature ? { 'x-originalSignature': copy.originalSignature } : {}),
    });
    if (/application\/zip/.test(header(request, 'accept') ?? '')) {
      const { fileName, bytes } = ctx.archive.zipOf(copy);
      return reply.header('content-disposition', `attachment; filename="${fileName}"`).type('application/zip').send(bytes);
    }
    reply.header('content-encoding', 'gzip');
    return reply.type('application/json').send(copy.payloadGzip);
  });
}
