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
    return { data: { businessFunctions: ctx.flowControl.breaches(initiatingParticipant(request), marketOf(request), expand) } };
  });

  contractRoute(app, ctx, auth, 'getFlowControlInformation', async (request) => {
    const { businessFunctionId } = request.params;
    const { expand = false } = request.query;
    return { data: ctx.flowControl.information(initiatingParticipant(request), businessFunctionId, marketOf(request), expand) };
  });

  contractRoute(app, ctx, auth, 'manageOutboundDelivery', async (request) => {
    const { businessFunctionId } = request.params;
    const { outboundDelivery } = request.body;
    return { data: ctx.flowControl.manage(initiatingParticipant(request), businessFunctionId, marketOf(request), outboundDelivery, request.id) };
  });

  contractRoute(app, ctx, auth, 'getParticipantStatus', async (request) => {
    const { participantId, businessFunctionId } = request.query;
    return { data: ctx.flowControl.participantStatus(statusParticipant(ctx, request, participantId, 'query'), businessFunctionId, marketOf(request)) };
  });

  contractRoute(app, ctx, auth, 'getParticipantStatusHistory', async (request) => {
    const { participantId } = request.params;
    const q = request.query;
    return ctx.flowControl.history({
      participantId: statusParticipant(ctx, request, participantId, 'path'),
      businessFunctionId: q.businessFunctionId,
      market: marketOf(request),
      from: dateTimeParameter('fromDateTime', q.fromDateTime),
      to: dateTimeParameter('toDateTime', q.toDateTime),
      cursor: q.cursor,
      itemCount: q.itemCount ?? 100,
    });
  });
}
