/** Flow Control API and Participant Status (spec §4.2, §4.3): thin handlers over FlowControlService. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import type { OutboundDelivery } from '../../domain/flow-control.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import { header, initiatingParticipant } from '../request-headers.js';

/** x-market is required by the contract on every Flow Control operation (spec §3). */
const marketOf = (request: FastifyRequest) => header(request, 'x-market')!;

/** A participant sees only its own status (spec §6: participants never see each other's queues). */
function ownParticipant(request: FastifyRequest, asked: string | undefined, where: 'query' | 'path'): string {
  const self = initiatingParticipant(request);
  if (asked !== undefined && asked !== self) {
    throw new IdxError('IDX_ERR_OTHER_PARTICIPANT', `${self} may read only its own participant status, not ${asked}'s`,
      { errors: [{ in: where, name: 'participantId', code: 'OTHER_PARTICIPANT', message: `not ${self}` }] });
  }
  return self;
}

export async function fctrlRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  contractRoute(app, ctx, auth, 'listFlowControlBreaches', async (request) => {
    const { expand = false } = request.query as { expand?: boolean };
    return { data: { businessFunctions: ctx.flowControl.breaches(initiatingParticipant(request), marketOf(request), expand) } };
  });

  contractRoute(app, ctx, auth, 'getFlowControlInformation', async (request) => {
    const { businessFunctionId } = request.params as { businessFunctionId: string };
    const { expand = false } = request.query as { expand?: boolean };
    return { data: ctx.flowControl.information(initiatingParticipant(request), businessFunctionId, marketOf(request), expand) };
  });

  contractRoute(app, ctx, auth, 'manageOutboundDelivery', async (request) => {
    const { businessFunctionId } = request.params as { businessFunctionId: string };
    const { outboundDelivery } = request.body as { outboundDelivery: OutboundDelivery };
    return { data: ctx.flowControl.manage(initiatingParticipant(request), businessFunctionId, marketOf(request), outboundDelivery, request.id) };
  });

  contractRoute(app, ctx, auth, 'getParticipantStatus', async (request) => {
    const { participantId, businessFunctionId } = request.query as { participantId?: string; businessFunctionId?: string };
    return { data: ctx.flowControl.participantStatus(ownParticipant(request, participantId, 'query'), businessFunctionId, marketOf(request)) };
  });

  contractRoute(app, ctx, auth, 'getParticipantStatusHistory', async (request) => {
    const { participantId } = request.params as { participantId: string };
    const q = request.query as { businessFunctionId?: string; fromDateTime?: string; toDateTime?: string; itemCount?: number; cursor?: string };
    return ctx.flowControl.history({
      participantId: ownParticipant(request, participantId, 'path'),
      businessFunctionId: q.businessFunctionId,
      market: marketOf(request),
      from: q.fromDateTime === undefined ? undefined : Date.parse(q.fromDateTime),
      to: q.toDateTime === undefined ? undefined : Date.parse(q.toDateTime),
      cursor: q.cursor,
      itemCount: q.itemCount ?? 100,
    });
  });
}
