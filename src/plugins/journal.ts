/**
 * Writes every IDX request and its answer to the request journal (issue #10): who (the participant its
 * certificate proves, as quotas count it), what (method, path, operation), the answer (status, error code,
 * trace id), the messageContextId, how long it took (real milliseconds) and the bodies up to
 * IDX_SIM_JOURNAL_BODY_BYTES. Secrets (client_secret, access_token) are masked. The control API, docs and
 * OpenAPI files are not journalled.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { storageFailure } from '../store/database-errors.js';
import type { JournalBody, StoredPayloadBody } from '../store/journal-store.js';
import { countedParticipant } from './quotas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The response body as sent (set in onSend, read in onResponse). */
    journalPayload?: unknown;
    /** The fault rule that changed this exchange, if any. */
    faultRuleId?: number;
    /**
     * A stored message whose gzip bytes (this very Buffer) the answer may carry: the journal row then refers
     * to the message instead of copying them (issue #13). Set by GET /pqd/v1/bpqd/{messageContextId}, and by
     * POST /pqd/v1/bpqd for the request body of an accepted message.
     */
    journalStoredPayload?: { messagePk: number; payloadGzip: Buffer };
  }
}

/**
 * The simulator's own paths, not IDX's: the control API, the docs and documents, and the web pages. They are
 * neither journalled nor faulted (src/plugins/faults.ts), so one list says which they are.
 */
const SIMULATOR_OWN_PATH = /^\/(sim\/|docs|openapi|webapp|console|web-assets)/;
export const isSimulatorOwnPath = (url: string): boolean => SIMULATOR_OWN_PATH.test(url);
const SECRET_FIELDS = /("?(?:client_secret|access_token)"?\s*[:=]\s*"?)([^"&\s,}]+)/g;

export function maskSecrets(text: string): string {
  // Most bodies name no secret: two substring searches are cheaper than running the pattern over them.
  if (!text.includes('client_secret') && !text.includes('access_token')) return text;
  return text.replace(SECRET_FIELDS, '$1***');
}

/**
 * A text body as the journal keeps it: secrets masked, and NUL shown as U+FFFD, as bytes that are not
 * UTF-8 already are. PostgreSQL's text cannot hold NUL, and the row would not be written at all.
 */
const keptText = (text: string): string => {
  const masked = maskSecrets(text);
  return masked.includes('\u0000') ? masked.replaceAll('\u0000', '\ufffd') : masked;
};

/** The operationId of the route a request matched (undefined for unknown routes). */
export function operationIdOf(ctx: AppContext, request: FastifyRequest): string | undefined {
  const url = request.routeOptions.url;
  if (!url) return undefined;
  return operationIndex(ctx).get(`${request.method} ${url}`);
}

const indexes = new WeakMap<AppContext, Map<string, string>>();
function operationIndex(ctx: AppContext): Map<string, string> {
  let index = indexes.get(ctx);
  if (!index) {
    index = new Map([...ctx.contract.operations.values()].map((op) => [`${op.method.toUpperCase()} ${op.path.replace(/\{([^}]+)\}/g, ':$1')}`, op.operationId]));
    indexes.set(ctx, index);
  }
  return index;
}

function captured(value: unknown, binary: boolean, limit: number, stored?: { messagePk: number; payloadGzip: Buffer }): JournalBody | StoredPayloadBody | null {
  if (value === undefined || value === null) return null;
  // The stored bytes themselves (not a copy a fault rule or a gunzip made): read back, the same first bytes.
  if (binary && stored !== undefined && value === stored.payloadGzip) return { bytes: stored.payloadGzip.length, encoding: 'base64', messagePk: stored.messagePk, keptBytes: Math.min(stored.payloadGzip.length, limit) };
  if (Buffer.isBuffer(value)) {
    if (binary) return { bytes: value.length, encoding: 'base64', body: value.subarray(0, limit).toString('base64') };
    return { bytes: value.length, encoding: 'utf8', body: keptText(value.subarray(0, limit).toString('utf8')) };
  }
  if (typeof value === 'string') return { bytes: Buffer.byteLength(value), encoding: 'utf8', body: keptText(value.slice(0, limit)) };
  if (typeof value === 'object' && typeof (value as { pipe?: unknown }).pipe === 'function') return null; // a stream: not buffered
  const text = JSON.stringify(value);
  return { bytes: Buffer.byteLength(text), encoding: 'utf8', body: keptText(text.slice(0, limit)) };
}

const isBinary = (contentType: unknown, contentEncoding: unknown) =>
  (contentEncoding !== undefined && contentEncoding !== 'identity') || !/json|text|form/.test(String(contentType ?? ''));

function messageContextIdOf(request: FastifyRequest, problem: { messageContextId?: string } | undefined): string | null {
  const header = request.headers['x-messagecontextid'];
  if (typeof header === 'string') return header.slice(0, 200);
  const param = (request.params as Record<string, string> | undefined)?.messageContextId;
  return param ?? problem?.messageContextId ?? null;
}

function problemOf(reply: FastifyReply, payload: unknown): { code?: string; messageContextId?: string } | undefined {
  if (!/problem\+json/.test(String(reply.getHeader('content-type') ?? ''))) return undefined;
  try {
    return JSON.parse(Buffer.isBuffer(payload) ? payload.toString('utf8') : String(payload)) as { code?: string };
  } catch {
    return undefined;
  }
}

export function registerJournal(app: FastifyInstance, ctx: AppContext): void {
  if (!ctx.journal.enabled) return;
  const limit = ctx.config.journalBodyBytes;
  app.addHook('onSend', async (request, _reply, payload) => {
    request.journalPayload = payload;
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (isSimulatorOwnPath(request.url)) return;
    const [path = '', query] = request.url.split('?', 2) as [string, string?];
    const payload = request.journalPayload;
    const problem = problemOf(reply, payload);
    // Now, or when the row is written at the end of the turn (JournalStore.append).
    const failed = (err: unknown) => {
      // A request answered 503 because the database failed has been logged as such (problem-details.ts);
      // its journal row failing the same way says nothing new: one line per refused request in an outage.
      if (problem?.code === 'IDX_ERR_STORAGE_UNAVAILABLE' && storageFailure(err)) return;
      request.log.error({ err }, 'could not write the request journal');
    };
    try {
      ctx.journal.append({
        at: ctx.clock.now(),
        participantId: countedParticipant(request) ?? null,
        method: request.method,
        path,
        query: query ?? null,
        operationId: operationIdOf(ctx, request) ?? null,
        status: reply.statusCode,
        code: problem?.code ?? null,
        traceId: request.id,
        messageContextId: messageContextIdOf(request, problem),
        durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
        faultRuleId: request.faultRuleId ?? null,
        request: limit ? captured(request.body, isBinary(request.headers['content-type'], request.headers['content-encoding']), limit, request.journalStoredPayload) : null,
        response: limit ? captured(payload, isBinary(reply.getHeader('content-type'), reply.getHeader('content-encoding')), limit, request.journalStoredPayload) : null,
      }, failed);
    } catch (err) {
      failed(err);
    }
  });
}
