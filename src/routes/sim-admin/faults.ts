/** Control API: fault-injection rules (issue #10) — add, list, switch off and on, remove. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { bodyProblem, IdxError, type ProblemItem } from '../../domain/errors.js';
import { isActive, type FaultKind, type FaultRule } from '../../domain/faults.js';
import { formatMarketDateTime } from '../../domain/market-time.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';

interface FaultInput {
  kind: FaultKind;
  api?: string;
  operationId?: string;
  participantId?: string;
  from?: string;
  to?: string;
  share?: number;
  status?: 500 | 502 | 503 | 504;
  latencyMs?: number;
  latencyMaxMs?: number;
  description?: string;
}

/** Which APIs a kind can act on. */
const KIND_APIS: Partial<Record<FaultKind, string[]>> = {
  'ws-close': ['events'], 'ws-silence': ['events'], 'bad-signature': ['pqd', 'archive'], 'truncated-gzip': ['pqd', 'archive'], 'fc-stop': ['fctrl', 'pqd'],
};

const notFound = (id: number) => new IdxError('IDX_ERR_SIM_NOT_FOUND', `no fault rule ${id}; GET /sim/v1/faults lists them`,
  { errors: [{ in: 'path', name: 'id', code: 'NOT_FOUND', message: String(id) }] });

export async function simFaultRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  const view = (r: FaultRule) => ({
    id: r.id, kind: r.kind, api: r.api, operationId: r.operationId, participantId: r.participantId,
    from: r.fromAt === null ? null : formatMarketDateTime(r.fromAt), to: r.toAt === null ? null : formatMarketDateTime(r.toAt),
    share: r.share, status: r.status, latencyMs: r.latencyMs, latencyMaxMs: r.latencyMaxMs, description: r.description,
    enabled: r.enabled, active: isActive(r, ctx.clock.now()), hits: r.hits, createdAt: formatMarketDateTime(r.createdAt),
  });

  const validate = (b: FaultInput): ProblemItem[] => {
    const problems: ProblemItem[] = [];
    const operation = b.operationId === undefined ? undefined : ctx.contract.operations.get(b.operationId);
    if (b.operationId !== undefined && (!operation || operation.file === 'sim-admin.yaml')) {
      problems.push(bodyProblem('/operationId', 'UNKNOWN', `${b.operationId} is not an IDX operation (see /openapi)`));
    }
    const apis = KIND_APIS[b.kind];
    if (b.api !== undefined && apis && !apis.includes(b.api)) problems.push(bodyProblem('/api', 'KIND', `a ${b.kind} rule acts on ${apis.join(' or ')}, not ${b.api}`));
    if (operation && b.api !== undefined && !operation.path.startsWith(`/${b.api}/`)) problems.push(bodyProblem('/operationId', 'API', `${b.operationId} is not in API ${b.api}`));
    if (b.participantId !== undefined && !ctx.participants.participant(b.participantId)) problems.push(bodyProblem('/participantId', 'UNKNOWN', `no participant ${b.participantId}`));
    if (b.kind === 'error' && b.status === undefined) problems.push(bodyProblem('/status', 'REQUIRED', 'an error rule needs status 500, 502, 503 or 504'));
    if (b.kind !== 'error' && b.status !== undefined) problems.push(bodyProblem('/status', 'KIND', `only error rules take a status, not ${b.kind}`));
    if (b.kind === 'latency' && b.latencyMs === undefined) problems.push(bodyProblem('/latencyMs', 'REQUIRED', 'a latency rule needs latencyMs'));
    if (b.kind !== 'latency' && (b.latencyMs !== undefined || b.latencyMaxMs !== undefined)) problems.push(bodyProblem('/latencyMs', 'KIND', `only latency rules take latencyMs, not ${b.kind}`));
    if (b.latencyMaxMs !== undefined && b.latencyMaxMs < (b.latencyMs ?? 0)) problems.push(bodyProblem('/latencyMaxMs', 'RANGE', 'latencyMaxMs below latencyMs'));
    if (b.kind === 'fc-stop' && b.participantId === undefined) problems.push(bodyProblem('/participantId', 'REQUIRED', 'an fc-stop rule names the receiving participant to stop'));
    if (b.from !== undefined && b.to !== undefined && !(Date.parse(b.to) > Date.parse(b.from))) problems.push(bodyProblem('/to', 'RANGE', 'to must be after from'));
    return problems;
  };

  contractRoute(app, ctx, auth, 'listFaults', async () => ({ data: ctx.faults.rules().map(view) }));

  contractRoute(app, ctx, auth, 'createFault', async (request, reply) => {
    const b = request.body as FaultInput;
    const problems = validate(b);
    if (problems.length) throw new IdxError('IDX_ERR_SCHEMA_INVALID', problems.map((p) => p.message).join('; '), { errors: problems });
    const rule = ctx.faults.create({
      kind: b.kind, api: b.api ?? null, operationId: b.operationId ?? null, participantId: b.participantId ?? null,
      fromAt: b.from === undefined ? null : Date.parse(b.from), toAt: b.to === undefined ? null : Date.parse(b.to),
      share: b.share ?? 1, status: b.status ?? null, latencyMs: b.latencyMs ?? null, latencyMaxMs: b.latencyMaxMs ?? null,
      description: b.description ?? null, createdAt: ctx.clock.now(),
    }, request.id);
    request.log.info({ faultRuleId: rule.id, kind: rule.kind }, 'fault rule added');
    return reply.code(201).send({ data: view(rule) });
  });

  contractRoute(app, ctx, auth, 'getFault', async (request) => {
    const { id } = request.params as { id: number };
    const rule = ctx.faults.rule(Number(id));
    if (!rule) throw notFound(id);
    return { data: view(rule) };
  });

  contractRoute(app, ctx, auth, 'updateFault', async (request) => {
    const { id } = request.params as { id: number };
    const rule = ctx.faults.setEnabled(Number(id), (request.body as { enabled: boolean }).enabled, request.id);
    if (!rule) throw notFound(id);
    return { data: view(rule) };
  });

  contractRoute(app, ctx, auth, 'deleteFault', async (request, reply) => {
    const { id } = request.params as { id: number };
    if (!ctx.faults.delete(Number(id), request.id)) throw notFound(id);
    return reply.code(204).send();
  });

  contractRoute(app, ctx, auth, 'clearFaults', async (request, reply) => {
    ctx.faults.clear(request.id);
    return reply.code(204).send();
  });

}
