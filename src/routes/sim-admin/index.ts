/** The simulator's control API (not IDX): the simulated clock and injected outages. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import { formatMarketDateTime } from '../../domain/market-time.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import type { Outage } from '../../store/flow-control-store.js';
import { SimDataStore } from '../../store/sim-data-store.js';
import { simCoverageRoutes } from './coverage.js';
import { simFaultRoutes } from './faults.js';
import { simJournalRoutes } from './journal.js';
import { simParticipantRoutes } from './participants.js';
import { simStandingDataRoutes } from './standing-data.js';
import { simStateRoutes } from './state.js';

const outageView = (o: Outage) => ({
  id: o.id, outageStart: formatMarketDateTime(o.outageStart), outageEnd: formatMarketDateTime(o.outageEnd), description: o.description, participantIds: o.participantIds,
});

export async function simAdminRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  // Each resource of the control API in its own file (issue #10).
  await simStateRoutes(app, { ctx, auth });
  const data = new SimDataStore(ctx.db);
  await simParticipantRoutes(app, { ctx, auth, data });
  await simStandingDataRoutes(app, { ctx, auth, data });
  await simJournalRoutes(app, { ctx, auth });
  await simFaultRoutes(app, { ctx, auth });
  await simCoverageRoutes(app, { ctx, auth, coverage: ctx.coverage });
  const clockView = () => ({ now: formatMarketDateTime(ctx.clock.now()), frozen: ctx.clock.frozen });

  contractRoute(app, ctx, auth, 'getClock', async () => clockView());

  contractRoute(app, ctx, auth, 'setClock', async (request) => {
    const body = request.body as { dateTime?: string; advanceSeconds?: number; frozen?: boolean };
    if (body.frozen === true) ctx.clock.freeze();
    if (body.dateTime !== undefined) ctx.clock.set(Date.parse(body.dateTime));
    if (body.advanceSeconds !== undefined) ctx.clock.advance(body.advanceSeconds * 1000);
    if (body.frozen === false) ctx.clock.unfreeze();
    const expiredMessages = ctx.delivery.expire(request.id);
    ctx.faults.apply(request.id); // fault rules whose window the clock entered or left
    ctx.archive.purge();
    return { ...clockView(), expiredMessages };
  });

  contractRoute(app, ctx, auth, 'listOutages', async () => ({ data: ctx.flowControl.outages().map(outageView) }));

  contractRoute(app, ctx, auth, 'createOutage', async (request, reply) => {
    const body = request.body as { outageStart: string; outageEnd: string; description: string; participantIds?: string[] };
    const start = Date.parse(body.outageStart);
    const end = Date.parse(body.outageEnd);
    if (!(end > start)) {
      throw new IdxError('IDX_ERR_SCHEMA_INVALID', 'outageEnd must be after outageStart', { errors: [{ in: 'body', pointer: '/outageEnd', code: 'RANGE', message: 'not after outageStart' }] });
    }
    const known = ctx.participants.participants().map((p) => p.participantId);
    const unknown = (body.participantIds ?? []).filter((p) => !known.includes(p));
    if (unknown.length) {
      throw new IdxError('IDX_ERR_SCHEMA_INVALID', `unknown participants: ${unknown.join(', ')}`, { errors: [{ in: 'body', pointer: '/participantIds', code: 'UNKNOWN', message: unknown.join(', ') }] });
    }
    const outage = ctx.flowControl.addOutage({ outageStart: start, outageEnd: end, description: body.description, participantIds: body.participantIds ?? null }, known);
    return reply.code(201).send({ data: outageView(outage) });
  });
}
