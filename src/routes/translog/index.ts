/** Transaction Logging API (spec §4.5): thin handlers over TranslogService. */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import { header, initiatingParticipant } from '../request-headers.js';

export async function translogRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  const market = (request: Parameters<typeof header>[0]) => header(request, 'x-market');

  contractRoute(app, ctx, auth, 'listTransactionLog', async (request) =>
    ctx.translog.list(initiatingParticipant(request), request.query, market(request)));

  contractRoute(app, ctx, auth, 'exportTransactionLog', async (request, reply) => {
    const csv = ctx.translog.exportCsv(initiatingParticipant(request), request.query, market(request));
    reply.headers({ 'content-disposition': `attachment; filename="${csv.filename}"`, 'x-totalRecords': String(csv.totalRecords) });
    return reply.type('text/csv; charset=utf-8').send(Readable.from(csv.chunks));
  });

  contractRoute(app, ctx, auth, 'getTransactionLogMessage', async (request) =>
    ({ data: ctx.translog.detail(initiatingParticipant(request), request.params.messageId, market(request)) }));

  contractRoute(app, ctx, auth, 'getTransactionLogPayload', async (request, reply) => {
    const message = ctx.translog.payload(initiatingParticipant(request), request.params.messageId, market(request));
    reply.headers({
      'content-encoding': 'gzip',
      'content-disposition': `attachment; filename="${message.messageContextId}.json"`,
      'x-messageContextId': message.messageContextId,
      'x-initiatingParticipantId': message.senderId,
      'x-schemaVersion': message.schemaVersion,
      ...(message.signature ? { 'x-signature': message.signature } : {}),
    });
    return reply.type('application/json').send(message.payloadGzip);
  });
}
