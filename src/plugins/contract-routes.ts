/**
 * Registers a route straight from its OpenAPI operation: method, URL, header/query/path schemas, the
 * authentication hooks (`security` and the CRUD letter of `x-idx-auth`) and the quotas (`x-idx-quota`) all come from the document, so the
 * contract cannot drift from the code.
 */
import type { FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault, RouteHandlerMethod, RouteOptions } from 'fastify';
import type { AppContext } from '../context.js';
import type { RouteTypes } from '../contract/types/index.js';
import type { Authenticator } from './auth.js';
import { quotaHooks } from './quotas.js';

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
  app.route<RouteTypes<Id>>({
    method,
    url,
    schema,
    ...extra,
    // Quotas count right after authentication, before anything else is checked (src/plugins/quotas.ts).
    onRequest: [async (request) => authenticator.authenticate(request, auth), ...quotaHooks(ctx, { operationId, method, path, quotas })],
    preHandler: async (request) => authenticator.authorize(request, auth),
    handler,
  });
}
