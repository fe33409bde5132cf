/**
 * Control API: NMI standing data with effective-dated roles (issue #10) — create, replace, churn from a
 * date, end, remove. Routing (spec §12) reads the same table on every submission, so a change applies to
 * the next one.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { bodyProblem, IdxError, type ProblemItem } from '../../domain/errors.js';
import type { MarketRole } from '../../domain/participants.js';
import { checkSpans, churn, type RoleSpan } from '../../domain/standing-data.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import type { SimDataStore } from '../../store/sim-data-store.js';

export async function simStandingDataRoutes(app: FastifyInstance, { ctx, auth, data }: { ctx: AppContext; auth: Authenticator; data: SimDataStore }): Promise<void> {
  const view = (nmi: string) => ({ nmi, roles: data.roles({ nmi }) });
  const requireNmi = (nmi: string) => {
    const roles = data.roles({ nmi });
    if (!roles.length) {
      throw new IdxError('IDX_ERR_SIM_NOT_FOUND', `NMI ${nmi} has no standing data; create it with PUT /sim/v1/nmis/${nmi}`,
        { errors: [{ in: 'path', name: 'nmi', code: 'NOT_FOUND', message: nmi }] });
    }
    return roles;
  };
  /** Spans must be valid and name participants of the role they hold. */
  const validate = (spans: RoleSpan[], pointer: (index: number, field: string) => string) => {
    const problems: ProblemItem[] = checkSpans(spans).map((p) => bodyProblem(pointer(p.index, p.field), 'SPAN', p.message));
    spans.forEach((s, index) => {
      const p = data.participant(s.participantId);
      if (!p) problems.push(bodyProblem(pointer(index, 'participantId'), 'UNKNOWN', `no participant ${s.participantId}`));
      else if (p.role !== s.role) problems.push(bodyProblem(pointer(index, 'participantId'), 'ROLE', `${s.participantId} is an ${p.role}, not an ${s.role}`));
    });
    if (problems.length) throw new IdxError('IDX_ERR_SCHEMA_INVALID', problems.map((p) => p.message).join('; '), { errors: problems });
  };
  const spansOf = (nmi: string): RoleSpan[] => data.roles({ nmi }).map(({ role, participantId, fromDate, toDate }) => ({ role, participantId, fromDate, toDate }));

  contractRoute(app, ctx, auth, 'listNmiRoles', async (request) => {
    const q = request.query as { nmi?: string; participantId?: string; role?: MarketRole; date?: string };
    return { data: data.roles(q) };
  });

  contractRoute(app, ctx, auth, 'getNmi', async (request) => {
    const { nmi } = request.params as { nmi: string };
    requireNmi(nmi);
    return { data: view(nmi) };
  });

  contractRoute(app, ctx, auth, 'putNmi', async (request, reply) => {
    const { nmi } = request.params as { nmi: string };
    const spans = (request.body as { roles: Array<RoleSpan & { toDate?: string | null }> }).roles.map((s) => ({ ...s, toDate: s.toDate ?? null }));
    validate(spans, (i, field) => `/roles/${i}/${field}`);
    const existed = data.roles({ nmi }).length > 0;
    data.replaceRoles(nmi, spans);
    return reply.code(existed ? 200 : 201).send({ data: view(nmi) });
  });

  contractRoute(app, ctx, auth, 'deleteNmi', async (request, reply) => {
    const { nmi } = request.params as { nmi: string };
    requireNmi(nmi);
    data.replaceRoles(nmi, []);
    return reply.code(204).send();
  });

  contractRoute(app, ctx, auth, 'churnNmi', async (request) => {
    const { nmi } = request.params as { nmi: string };
    const { fromDate, ...changes } = request.body as { fromDate: string } & Partial<Record<MarketRole, string>>;
    requireNmi(nmi);
    for (const [role, participantId] of Object.entries(changes) as [MarketRole, string][]) {
      validate([{ role, participantId, fromDate, toDate: null }], (_i, field) => (field === 'participantId' ? `/${role}` : `/${field}`));
    }
    const result = churn(spansOf(nmi), fromDate, changes);
    if ('conflict' in result) {
      throw new IdxError('IDX_ERR_SIM_CONFLICT', result.conflict, { errors: [bodyProblem('/fromDate', 'LATER_CHANGE', result.conflict)] });
    }
    data.replaceRoles(nmi, result.spans);
    return { data: view(nmi) };
  });

  contractRoute(app, ctx, auth, 'endNmiRole', async (request) => {
    const { nmi, id } = request.params as { nmi: string; id: number };
    const { toDate } = request.body as { toDate: string | null };
    const roles = requireNmi(nmi);
    const index = roles.findIndex((r) => r.id === Number(id));
    if (index < 0) throw new IdxError('IDX_ERR_SIM_NOT_FOUND', `NMI ${nmi} has no role span ${id}`, { errors: [{ in: 'path', name: 'id', code: 'NOT_FOUND', message: String(id) }] });
    const spans = spansOf(nmi);
    spans[index] = { ...spans[index]!, toDate };
    const problems = checkSpans(spans).filter((p) => p.index === index || spans[p.index]!.role === spans[index]!.role);
    if (problems.length) throw new IdxError('IDX_ERR_SCHEMA_INVALID', problems.map((p) => p.message).join('; '), { errors: problems.map((p) => bodyProblem('/toDate', 'SPAN', p.message)) });
    data.replaceRoles(nmi, spans);
    return { data: view(nmi) };
  });
}
