/** Control API: health, readiness, reset to the fixtures and named snapshots (issue #10). */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import { formatMarketDateTime } from '../../domain/market-time.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import type { SnapshotMeta } from '../../store/sim-state-store.js';

const snapshotView = (m: SnapshotMeta) => ({
  name: m.name,
  createdAt: formatMarketDateTime(m.createdAt),
  clock: { now: formatMarketDateTime(m.clock.now), frozen: m.clock.frozen },
  schemaVersion: m.schemaVersion,
  sizeBytes: m.sizeBytes,
});

const notFound = (name: string) => new IdxError('IDX_ERR_SIM_SNAPSHOT_NOT_FOUND', `no snapshot named ${name}; GET /sim/v1/snapshots lists them`,
  { errors: [{ in: 'path', name: 'name', code: 'NOT_FOUND', message: name }] });

export async function simStateRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  let closing = false;
  app.addHook('onClose', async () => { closing = true; });

  const summary = (snapshot: string | null) => ({
    clock: { now: formatMarketDateTime(ctx.clock.now()), frozen: ctx.clock.frozen },
    participants: ctx.participants.participants().length,
    snapshot,
  });

  // Which database this process uses (issue #14): the PostgreSQL port says so on its Db; SQLite's does not.
  const backend = (): 'sqlite' | 'postgres' => ((ctx.db as { dialect?: string }).dialect === 'postgres' ? 'postgres' : 'sqlite');
  /** `SELECT 1`: undefined when the database answers, else why not. */
  const databaseProblem = (): string | undefined => {
    try {
      ctx.sim.ping();
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  };

  // Liveness: 200 whenever the process answers, even with the database gone — a restart would not bring
  // the database back, and the process recovers on its own when it returns. It says how the database is.
  contractRoute(app, ctx, auth, 'getHealth', async () => ({
    status: 'ok', backend: backend(), checks: { database: databaseProblem() === undefined ? 'ok' : 'unavailable' },
  }));

  // Readiness: a proxy or orchestrator sends no traffic here while the database does not answer.
  contractRoute(app, ctx, auth, 'getReady', async () => {
    const problem = closing ? 'shutting down' : databaseProblem();
    if (problem !== undefined) {
      throw new IdxError('IDX_ERR_SIM_NOT_READY', `not ready: ${closing ? problem : `the ${backend()} database does not answer (${problem})`}; retry shortly`,
        { headers: { 'retry-after': String(ctx.config.storageRetryAfterSeconds) } });
    }
    return { status: 'ready', backend: backend(), checks: { database: 'ok' } };
  });

  contractRoute(app, ctx, auth, 'resetSimulator', async () => {
    await ctx.sim.reset();
    return summary(null);
  });

  contractRoute(app, ctx, auth, 'listSnapshots', async () => ({ data: ctx.sim.list().map(snapshotView) }));

  contractRoute(app, ctx, auth, 'getSnapshot', async (request) => {
    const { name } = request.params as { name: string };
    const meta = ctx.sim.meta(name);
    if (!meta) throw notFound(name);
    return { data: snapshotView(meta) };
  });

  contractRoute(app, ctx, auth, 'saveSnapshot', async (request, reply) => {
    const { name } = request.params as { name: string };
    const existed = ctx.sim.meta(name) !== undefined;
    const meta = await ctx.sim.save(name);
    return reply.code(existed ? 200 : 201).send({ data: snapshotView(meta) });
  });

  contractRoute(app, ctx, auth, 'deleteSnapshot', async (request, reply) => {
    const { name } = request.params as { name: string };
    if (!ctx.sim.delete(name)) throw notFound(name);
    return reply.code(204).send();
  });

  contractRoute(app, ctx, auth, 'restoreSnapshot', async (request) => {
    const { name } = request.params as { name: string };
    if (!ctx.sim.meta(name)) throw notFound(name);
    try {
      await ctx.sim.restore(name);
    } catch (err) {
      if (/schema version/.test((err as Error).message)) {
        throw new IdxError('IDX_ERR_SIM_CONFLICT', (err as Error).message, { errors: [{ in: 'path', name: 'name', code: 'SCHEMA_VERSION', message: (err as Error).message }] });
      }
      throw err;
    }
    return summary(name);
  });
}
