/** Flow Control API and Participant Status (spec §4.2, §4.3): thin handlers over FlowControlService. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import { dateTimeParameter } from '../../domain/market-time.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import { header, initiatingParticipant } from '../request-headers.js';

/** x-market is required by the contract on every Flow Control operation (spec §3). */
const marketOf = (request: FastifyRequest) => header(request, 'x-market')!;
const HISTORY_CURSOR = 'fctrl~history~';

/**
 * Whose Participant Status to show: the one asked for, by default the caller's own. A holder of
 * FCTRL_STATUS may read any participant's status and history (FC-OAS covers statuses "as well as for other
 * participants", spec §4.2, §4.3): counts and states only, never another participant's queue or messages.
 */
function statusParticipant(ctx: AppContext, request: FastifyRequest, asked: string | undefined, where: 'query' | 'path'): string {
  if (asked === undefined) return initiatingParticipant(request);
  if (ctx.participants.participant(asked) === undefined) {
    throw new IdxError('IDX_ERR_PARTICIPANT_NOT_FOUND', `no participant ${asked} is registered on this hub`,
      { errors: [{ in: where, name: 'participantId', code: 'UNKNOWN', message: 'unknown participant' }] });
  }
  return asked;
}

export async function fctrlRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  // The PATCH body is JSON only (fctrl.yaml documents 415): without this, Fastify's default text/plain
  // parser would hand the string to the schema check and the caller would get a misleading 400.
  app.removeContentTypeParser('text/plain');
  contractRoute(app, ctx, auth, 'listFlowControlBreaches', async (request) => {
    const { expand = false } = request.query;
    return { data: { businessFunctions: ctx.flowControl.breaches(initiatingParticipant(request), marketOf(request), expand, request.id) } };
  });

  contractRoute(app, ctx, auth, 'getFlowControlInformation', async (request) => {
    const { businessFunctionId } = request.params;
    const { expand = false } = request.query;
    return { data: ctx.flowControl.information(initiatingParticipant(request), businessFunctionId, marketOf(request), expand, request.id) };
  });

  contractRoute(app, ctx, auth, 'manageOutboundDelivery', async (request) => {
    const { businessFunctionId } = request.params;
    const { outboundDelivery } = request.body;
    return { data: ctx.flowControl.manage(initiatingParticipant(request), businessFunctionId, marketOf(request), outboundDelivery, request.id) };
  });

  contractRoute(app, ctx, auth, 'getParticipantStatus', async (request) => {
    const { participantId, businessFunctionId } = request.query;
    return { data: ctx.flowControl.participantStatus(statusParticipant(ctx, request, participantId, 'query'), businessFunctionId, marketOf(request), request.id) };
  });

  contractRoute(app, ctx, auth, 'getParticipantStatusHistory', async (request) => {
    const { participantId } = request.params;
    const q = request.query;
    const limit = q.itemCount ?? 100;
    let afterId = 0;
    if (q.cursor !== undefined) {
      const text = Buffer.from(q.cursor, 'base64url').toString();
      afterId = text.startsWith(HISTORY_CURSOR) ? Number(text.slice(HISTORY_CURSOR.length)) : NaN;
      if (!Number.isSafeInteger(afterId) || afterId < 0) {
        throw new IdxError('IDX_ERR_CURSOR_INVALID', 'cursor is not one this API issued; pass meta.nextCursor from the previous page',
          { errors: [{ in: 'query', name: 'cursor', code: 'CURSOR', message: 'unknown cursor' }] });
      }
    }
    const rows = ctx.flowControl.history({
      participantId: statusParticipant(ctx, request, participantId, 'path'),
      businessFunctionId: q.businessFunctionId,
      market: marketOf(request),
      from: dateTimeParameter('fromDateTime', q.fromDateTime),
      to: dateTimeParameter('toDateTime', q.toDateTime),
      afterId,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      data: page,
      meta: { itemCount: page.length, nextCursor: rows.length > limit ? Buffer.from(`${HISTORY_CURSOR}${page[page.length - 1]!.id}`).toString('base64url') : null },
    };
  });
}
