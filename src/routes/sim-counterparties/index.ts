/** The control API's virtual counterparties (issue #10; openapi/sim-admin.yaml, block "Virtual counterparties"). */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { withDefaults, type CounterpartySpec } from '../../domain/counterparties.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';

export async function simCounterpartyRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  const service = ctx.counterparties;
  const id = (request: { params: unknown }) => (request.params as { id: string }).id;

  contractRoute(app, ctx, auth, 'listCounterparties', async () => ({ data: service.list() }));
  contractRoute(app, ctx, auth, 'createCounterparty', async (request, reply) =>
    reply.code(201).send({ data: service.add(withDefaults(request.body as CounterpartySpec)) }));
  contractRoute(app, ctx, auth, 'tickCounterparties', async () => ({ data: await service.tick() }));
  contractRoute(app, ctx, auth, 'getCounterparty', async (request) => ({ data: service.get(id(request)) }));
  contractRoute(app, ctx, auth, 'updateCounterparty', async (request) => ({ data: service.update(id(request), request.body as object) }));
  contractRoute(app, ctx, auth, 'deleteCounterparty', async (request, reply) => {
    service.remove(id(request));
    return reply.code(204).send();
  });
}
