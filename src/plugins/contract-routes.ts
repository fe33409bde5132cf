/**
 * Registers a route straight from its OpenAPI operation: method, URL, header/query/path schemas, the
 * authentication hooks (`security` and the CRUD letter of `x-idx-auth`) and the quotas (`x-idx-quota`) all come from the document, so the
 * contract cannot drift from the code.
 */
import type { FastifyInstance, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault, RouteHandlerMethod, RouteOptions } from 'fastify';
import type { AppContext } from '../context.js';
import type { RouteTypes } from '../contract/types/index.js';
import { apiOfPath } from '../domain/outages.js';
import type { Authenticator } from './auth.js';
import { countedParticipant, quotaHooks } from './quotas.js';

/** A handler whose request query, path parameters and body have the operation's types (generated from the documents). */
export type ContractHandler<Id extends string> = RouteHandlerMethod<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, RouteTypes<Id>>;

export function contractRoute<Id extends string>(
  app: FastifyInstance,
  ctx: AppContext,
  authenticator: Authenticator,
  operationId: Id,
  handler: ContractHandler<Id>,
  extra: Partial<RouteOptions> = {},
): void {
  const { method, url, schema, auth, quotas } = ctx.contract.route(operationId);
  const { path } = ctx.contract.operation(operationId);
  // Outages (spec §4.7): right after authentication — the participant is known — and before quotas, so a
  // request refused with 503 costs nothing. The control API (not IDX) stays up.
  const api = auth.admin ? undefined : apiOfPath(path);
  const outageHooks = api === undefined ? [] : [async (request: FastifyRequest) => {
    const participantId = countedParticipant(request);
    if (participantId !== undefined) ctx.flowControl.checkAvailable(participantId, api);
  }];
  app.route<RouteTypes<Id>>({
    method,
    url,
    schema,
    ...extra,
    // Quotas count right after authentication, before anything else is checked (src/plugins/quotas.ts).
    onRequest: [async (request) => authenticator.authenticate(request, auth), ...outageHooks, ...quotaHooks(ctx, { operationId, method, path, quotas })],
    preHandler: async (request) => authenticator.authorize(request, auth),
    handler,
  });
}
