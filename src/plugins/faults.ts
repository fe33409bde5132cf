/**
 * Applies the fault-injection rules of the control API to IDX traffic (issue #10):
 *   preValidation (after authentication, so the participant is known) — added latency, a connection
 *     reset without an answer, an injected 500/502/503/504 problem;
 *   onSend — on the receiving side, a corrupted `x-signature` or a gzip body cut in half.
 * Every injected exchange carries `x-idx-sim-fault: <rule id>` (except a reset, which has no answer), is
 * logged with the rule id, and the journal names the rule; an injected error also goes to the
 * transaction log like every refusal (its detail names the rule).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { IdxError } from '../domain/errors.js';
import { apiOf, corruptSignature, INJECTED_CODES, latencyOf, REQUEST_FAULTS, RESPONSE_FAULTS, type FaultRule } from '../domain/faults.js';
import { isSimulatorOwnPath, operationIdOf } from './journal.js';
import { countedParticipant } from './quotas.js';

export const FAULT_HEADER = 'x-idx-sim-fault';
/** Upper bound of an injected delay, whatever a rule says (real time: tests must not hang). */
export const MAX_INJECTED_LATENCY_MS = 120_000;

const targetOf = (ctx: AppContext, request: FastifyRequest) => ({
  api: apiOf(request.url.split('?')[0]!),
  operationId: operationIdOf(ctx, request),
  participantId: countedParticipant(request),
});

const describe = (rule: FaultRule) => `fault rule ${rule.id}${rule.description ? ` (${rule.description})` : ''}`;

export function registerFaults(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('preValidation', async (request, reply) => {
    if (isSimulatorOwnPath(request.url) || ctx.faults.rules().length === 0) return;
    const target = targetOf(ctx, request);
    const latency = ctx.faults.pick(['latency'], target);
    if (latency) {
      const ms = Math.min(MAX_INJECTED_LATENCY_MS, latencyOf(latency, () => ctx.random.next()));
      request.faultRuleId = latency.id;
      request.log.info({ faultRuleId: latency.id, kind: 'latency', ms }, 'fault injected');
      reply.header(FAULT_HEADER, String(latency.id));
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    const rule = ctx.faults.pick(REQUEST_FAULTS.filter((k) => k !== 'latency'), target);
    if (!rule) return;
    request.faultRuleId = rule.id;
    request.log.info({ faultRuleId: rule.id, kind: rule.kind }, 'fault injected');
    if (rule.kind === 'reset') {
      // No answer at all: the connection drops as a crashed gateway's would.
      ctx.journal.append({
        at: ctx.clock.now(), participantId: target.participantId ?? null, method: request.method, path: request.url.split('?')[0]!,
        query: request.url.split('?')[1] ?? null, operationId: target.operationId ?? null, status: 0, code: null, traceId: request.id,
        messageContextId: typeof request.headers['x-messagecontextid'] === 'string' ? request.headers['x-messagecontextid'] : null,
        durationMs: Math.round(reply.elapsedTime * 1000) / 1000, faultRuleId: rule.id, request: null, response: null,
      }, (err) => request.log.error({ err }, 'could not write the request journal'));
      reply.hijack();
      request.raw.socket?.destroy();
      return reply;
    }
    const status = (rule.status ?? 503) as keyof typeof INJECTED_CODES;
    throw new IdxError(INJECTED_CODES[status], `${describe(rule)} answered ${status} instead of the hub; retry as you would against AEMO`,
      { headers: { [FAULT_HEADER]: String(rule.id), ...(status === 503 ? { 'retry-after': '1' } : {}) } });
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method !== 'GET' || reply.statusCode !== 200 || isSimulatorOwnPath(request.url) || ctx.faults.rules().length === 0) return payload;
    const target = targetOf(ctx, request);
    const rule = ctx.faults.pick(RESPONSE_FAULTS, target);
    if (!rule) return payload;
    if (rule.kind === 'bad-signature') {
      const signature = reply.getHeader('x-signature');
      if (typeof signature !== 'string') return payload;
      reply.header('x-signature', corruptSignature(signature));
    } else {
      if (!Buffer.isBuffer(payload) || reply.getHeader('content-encoding') !== 'gzip') return payload;
      payload = payload.subarray(0, Math.floor(payload.length / 2));
      reply.removeHeader('content-length');
    }
    request.faultRuleId = rule.id;
    request.log.info({ faultRuleId: rule.id, kind: rule.kind }, 'fault injected');
    reply.header(FAULT_HEADER, String(rule.id));
    return payload;
  });
}
