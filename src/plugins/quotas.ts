/**
 * The request quotas and the concurrency guard of a contract route (spec §4.1, §4.2, §4.4, §8), from its
 * operation's `x-idx-quota` list. They run in onRequest straight after authentication: the participant is
 * known, and nothing else has been looked at yet, so every authenticated request counts — malformed or
 * not, as on AEMO's gateway — and the body of a refused request is never read.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { isRequestQuotaName, type RequestQuotaName } from '../domain/quotas.js';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Whom a request counts against: the x-initiatingParticipantId when the client certificate covers it,
 * otherwise the certificate's own participant (a request naming someone else still costs its sender).
 */
export function countedParticipant(request: FastifyRequest): string | undefined {
  const header = request.headers['x-initiatingparticipantid'];
  const covered = request.client?.participantIds;
  if (covered?.length) return typeof header === 'string' && covered.includes(header) ? header : covered[0];
  return typeof header === 'string' && /^[A-Z0-9]{1,10}$/.test(header) ? header : undefined;
}

/** The onRequest hooks enforcing an operation's quotas; none when it names no quota. Throws at startup on an unknown name. */
export function quotaHooks(ctx: AppContext, operation: { operationId: string; method: string; path: string; quotas: string[] }): Hook[] {
  const unknown = operation.quotas.filter((name) => !isRequestQuotaName(name));
  if (unknown.length) throw new Error(`${operation.operationId}: x-idx-quota names unknown quota ${unknown.join(', ')} (see src/domain/quotas.ts)`);
  if (operation.quotas.length === 0) return [];
  const quotas = operation.quotas as RequestQuotaName[];
  const route = `${operation.method} ${operation.path}`;
  // An API is its base path, e.g. /pqd/v1: the scope of "concurrent requests" (spec §4.1).
  const api = operation.path.split('/').slice(0, 3).join('/');

  const count: Hook = async (request) => {
    const participantId = countedParticipant(request);
    if (participantId === undefined) return;
    ctx.quotas.requests.admit(quotas, {
      participantId, operationId: operation.operationId, route, params: request.params as Record<string, string | undefined>,
    }, ctx.clock.now());
  };
  const guard: Hook = async (request, reply) => {
    const participantId = countedParticipant(request);
    if (participantId === undefined) return;
    const release = ctx.quotas.concurrency.enter(participantId, api, route);
    // 'close' follows the response, or the connection dropping before it: the slot is always given back.
    reply.raw.once('close', release);
  };
  return ctx.config.rejectConcurrentRequests ? [count, guard] : [count];
}
