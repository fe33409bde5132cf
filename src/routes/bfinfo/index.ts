/** Business Function Information API (spec §4.4): the catalogue, built once from the configuration. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { businessFunctionCatalogue, businessFunctionsOf, findBusinessFunction, summaryOf } from '../../domain/business-functions.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import { header } from '../request-headers.js';

export async function bfinfoRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  const c = ctx.config;
  const catalogue = businessFunctionCatalogue({
    ...c,
    // This hub's limits as configured (profile and settings), which are the published ones under `aemo`.
    requestsPerMinutePerEndpoint: c.pqdRequestsPerMinute,
    priorityLimits: [
      { priority: 'h', priorityName: 'High', maxMessageBytes: c.maxPayloadBytesHigh, dailyMessageQuota: c.dailyMessagesHigh },
      { priority: 'm', priorityName: 'Medium', maxMessageBytes: c.maxPayloadBytesMedium, dailyMessageQuota: c.dailyMessagesMedium },
      { priority: 'l', priorityName: 'Low', maxMessageBytes: c.maxPayloadBytesLow, dailyMessageQuota: c.dailyMessagesLow },
    ],
    watermarks: ctx.delivery.watermarks('pqd'),
  });
  // x-market is required by the contract on both operations (spec §3).
  const market = (request: Parameters<typeof header>[0]) => header(request, 'x-market')!;

  contractRoute(app, ctx, auth, 'listBusinessFunctions', async (request) => {
    const { expand } = request.query;
    return { businessFunctions: businessFunctionsOf(catalogue, market(request)).map((bf) => (expand ? bf : summaryOf(bf))) };
  });

  contractRoute(app, ctx, auth, 'getBusinessFunction', async (request) => {
    const { businessFunctionId } = request.params;
    return { businessFunction: findBusinessFunction(catalogue, businessFunctionId, market(request)) };
  });
}
