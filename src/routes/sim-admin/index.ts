/** The simulator's control API (not IDX): the simulated clock and injected outages. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { isSimulatedInstant } from '../../domain/clock.js';
import { bodyProblem, IdxError } from '../../domain/errors.js';
import { formatMarketDateTime } from '../../domain/market-time.js';
import { outageState } from '../../domain/outages.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import type { Outage } from '../../store/flow-control-store.js';
import { SimDataStore } from '../../store/sim-data-store.js';
import { effectiveSettings } from '../../config.js';
import { simCoverageRoutes } from './coverage.js';
import { simFaultRoutes } from './faults.js';
import { simJournalRoutes } from './journal.js';
import { simParticipantRoutes } from './participants.js';
import { simStandingDataRoutes } from './standing-data.js';
import { simStateRoutes } from './state.js';

const outageView = (o: Outage, now: number) => ({
  id: o.id, outageStart: formatMarketDateTime(o.outageStart), outageEnd: formatMarketDateTime(o.outageEnd), description: o.description,
  participantIds: o.participantIds, apis: o.apis, state: outageState(o, now),
});

function outOfRange(pointer: string, value: string | undefined): IdxError {
  return new IdxError('IDX_ERR_SCHEMA_INVALID', `${pointer.slice(1)} would put the simulated clock outside 2000-01-01 .. 2100-01-01 UTC: ${value}`,
    { errors: [{ in: 'body', pointer, code: 'RANGE', message: 'outside 2000-01-01 .. 2100-01-01 UTC' }] });
}

export async function simAdminRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  // Each resource of the control API in its own file (issue #10).
  await simStateRoutes(app, { ctx, auth });
  const data = new SimDataStore(ctx.db, () => ctx.participants.written());
  await simParticipantRoutes(app, { ctx, auth, data });
  await simStandingDataRoutes(app, { ctx, auth, data });
  await simJournalRoutes(app, { ctx, auth });
  await simFaultRoutes(app, { ctx, auth });
  await simCoverageRoutes(app, { ctx, auth, coverage: ctx.coverage });
  const clockView = () => ({ now: formatMarketDateTime(ctx.clock.now()), frozen: ctx.clock.frozen });

  // Another instance may have moved the shared clock a moment ago (issue #14): read it before answering or moving it.
  contractRoute(app, ctx, auth, 'getClock', async () => {
    ctx.instances.refreshClock();
    return clockView();
  });
  // The evidence of a scenario run and `idx-sim defect capture` quote these (issue #11).
  contractRoute(app, ctx, auth, 'getSettings', async () => ({ profile: ctx.config.profile, settings: effectiveSettings(ctx.config) }));

  contractRoute(app, ctx, auth, 'setClock', async (request) => {
    const body = request.body;
    ctx.instances.refreshClock();
    const before = ctx.clock.now();
    // Where the clock would land, checked before anything moves: a finite instant in the simulated range.
    const target = body.dateTime !== undefined ? Date.parse(body.dateTime) : before;
    if (!isSimulatedInstant(target)) throw outOfRange('/dateTime', body.dateTime);
    if (body.advanceSeconds !== undefined && !isSimulatedInstant(target + body.advanceSeconds * 1000)) {
      throw outOfRange('/advanceSeconds', `${body.dateTime ?? formatMarketDateTime(before)} + ${body.advanceSeconds} s`);
    }
    // Moving the clock runs queue expiry and archive retention (context.ts), logged under this request's trace id.
    const expiredBefore = ctx.delivery.expiredCount;
    if (body.frozen === true) ctx.clock.freeze();
    if (body.dateTime !== undefined) ctx.clock.set(target, request.id);
    if (body.advanceSeconds !== undefined) ctx.clock.advance(body.advanceSeconds * 1000, request.id);
    if (body.frozen === false) ctx.clock.unfreeze();
    const expiredMessages = ctx.delivery.expiredCount - expiredBefore;
    request.log.info({ controlAction: 'setClock', change: body, from: formatMarketDateTime(before), to: formatMarketDateTime(ctx.clock.now()), frozen: ctx.clock.frozen, expiredMessages, remoteAddress: request.ip },
      'control API: clock changed');
    return { ...clockView(), expiredMessages };
  });

  // Flow-control watermarks at run time (docs/spec-variance.md row 320): a reset or restore returns to the settings.
  contractRoute(app, ctx, auth, 'setWatermarks', async (request) => {
    const { businessFunctionId } = request.params;
    const { low, warn, high } = request.body;
    if (!(low < warn && warn < high)) {
      throw new IdxError('IDX_ERR_SCHEMA_INVALID', `watermarks must rise: low ${low} < warn ${warn} < high ${high}`,
        { errors: [bodyProblem(low >= warn ? '/warn' : '/high', 'ORDER', 'low < warn < high')] });
    }
    const set = ctx.delivery.setWatermarks(businessFunctionId, { low, warn, high });
    if (!set) {
      throw new IdxError('IDX_ERR_SIM_NOT_FOUND', `business function ${businessFunctionId} has no flow control; GET /bfinfo/v1/businessFunctions lists them`,
        { errors: [{ in: 'path', name: 'businessFunctionId', code: 'NOT_FOUND', message: businessFunctionId }] });
    }
    ctx.instances.watermarksChanged(businessFunctionId, set);
    request.log.info({ controlAction: 'setWatermarks', businessFunctionId, watermarks: set, remoteAddress: request.ip }, 'control API: watermarks changed');
    return { data: { businessFunctionId, ...set } };
  });

  contractRoute(app, ctx, auth, 'listOutages', async () => ({ data: ctx.flowControl.outages().map((o) => outageView(o, ctx.clock.now())) }));

  contractRoute(app, ctx, auth, 'createOutage', async (request, reply) => {
    const body = request.body;
    const start = Date.parse(body.outageStart);
    const end = Date.parse(body.outageEnd);
    if (!isSimulatedInstant(start)) throw outOfRange('/outageStart', body.outageStart);
    if (!isSimulatedInstant(end)) throw outOfRange('/outageEnd', body.outageEnd);
    if (!(end > start)) {
      throw new IdxError('IDX_ERR_SCHEMA_INVALID', 'outageEnd must be after outageStart', { errors: [{ in: 'body', pointer: '/outageEnd', code: 'RANGE', message: 'not after outageStart' }] });
    }
    const known = ctx.participants.participants().map((p) => p.participantId);
    const unknown = (body.participantIds ?? []).filter((p) => !known.includes(p));
    if (unknown.length) {
      throw new IdxError('IDX_ERR_SCHEMA_INVALID', `unknown participants: ${unknown.join(', ')}`, { errors: [{ in: 'body', pointer: '/participantIds', code: 'UNKNOWN', message: unknown.join(', ') }] });
    }
    // A window may lie in the future (planned maintenance): it takes effect when the simulated clock reaches it.
    const outage = ctx.flowControl.addOutage({
      outageStart: start, outageEnd: end, description: body.description, participantIds: body.participantIds ?? null, apis: body.apis ?? null,
    }, known);
    request.log.info({ controlAction: 'createOutage', outage: outageView(outage, ctx.clock.now()), remoteAddress: request.ip }, 'control API: outage injected');
    return reply.code(201).send({ data: outageView(outage, ctx.clock.now()) });
  });
}
