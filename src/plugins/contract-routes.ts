/**
 * Registers a route straight from its OpenAPI operation: method, URL, header/query/path schemas and
 * the authentication hooks all come from the document, so the contract cannot drift from the code.
 */
import type { FastifyInstance, RouteHandlerMethod, RouteOptions } from 'fastify';
import type { AppContext } from '../context.js';
import type { Authenticator } from './auth.js';

export function contractRoute(
  app: FastifyInstance,
  ctx: AppContext,
  authenticator: Authenticator,
  operationId: string,
  handler: RouteHandlerMethod,
  extra: Partial<RouteOptions> = {},
): void {
  const { method, url, schema, auth } = ctx.contract.route(operationId);
  app.route({
    method,
    url,
    schema,
    ...extra,
    onRequest: async (request) => authenticator.authenticate(request, auth),
    preHandler: async (request) => authenticator.authorize(request, auth),
    handler,
  });
}
