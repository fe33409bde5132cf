/**
 * One error handler for the whole hub: every refusal leaves as RFC 9457 problem+json with a stable
 * IDX_ERR_* code, the offending field or header, and the trace id (spec §7), and is written to the
 * transaction log. 5xx details are logged, never sent.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { IdxError, problemType, type ErrorCode, type ProblemItem } from '../domain/errors.js';
import { IDX_DATE_TIME_MS_PATTERN, isIdxDateTimePattern, readIdxDateTime } from '../domain/market-time.js';
import { parseMessageContextId } from '../domain/message-context-id.js';
import { schemaProblems } from '../domain/schema-problems.js';
import { storageFailure, type StorageFailure } from '../store/database-errors.js';

type Location = 'header' | 'query' | 'path' | 'form';
const LOCATIONS: Record<string, { where: Location; code: ErrorCode }> = {
  headers: { where: 'header', code: 'IDX_ERR_HEADER_INVALID' },
  querystring: { where: 'query', code: 'IDX_ERR_QUERY_INVALID' },
  params: { where: 'path', code: 'IDX_ERR_PATH_INVALID' },
  body: { where: 'form', code: 'IDX_ERR_FORM_INVALID' },
};

/** Fastify/ajv validation errors of headers, query, path or form → one IdxError naming each field. */
function fromValidation(err: FastifyError, ctx: AppContext, request: FastifyRequest): IdxError {
  const isJsonBody = err.validationContext === 'body' && /json/.test(String(request.headers['content-type']));
  if (isJsonBody) {
    const errors = schemaProblems(err.validation ?? [], { root: 'body', unknownField: 'is not a field of this request' });
    return new IdxError('IDX_ERR_SCHEMA_INVALID', errors.map((e) => e.message).join('; '), { errors });
  }
  const location = LOCATIONS[err.validationContext ?? 'body'] ?? LOCATIONS.body!;
  const items: Array<ProblemItem & { in: Location; name: string }> = [];
  let code = location.code;
  for (const v of err.validation ?? []) {
    const params = v.params as Record<string, string>;
    const field = v.keyword === 'required' ? params.missingProperty!
      : v.keyword === 'additionalProperties' ? params.additionalProperty!
      : v.instancePath.replace(/^\//, '').split('/')[0]!;
    const name = location.where === 'header' ? ctx.contract.headerName(field) : field;
    let message = `${name} ${v.message}`;
    if (v.keyword === 'required') {
      message = `${name} is required`;
      if (location.where === 'header') code = 'IDX_ERR_HEADER_MISSING';
    } else if (v.keyword === 'additionalProperties') {
      message = `${name} is not a parameter of this operation`;
    }
    // A date-time parameter's shape failure is explained by the one date-time parser (e.g. a "+" sent
    // unencoded, which arrives as a space: spec §2's example URL shows it so).
    const raw = location.where === 'query' ? (request.query as Record<string, unknown> | undefined)?.[field] : undefined;
    if (v.keyword === 'pattern' && typeof raw === 'string' && isIdxDateTimePattern(params.pattern ?? '')) {
      const reading = readIdxDateTime(raw, { millisecondsRequired: params.pattern === IDX_DATE_TIME_MS_PATTERN });
      if (!reading.ok) {
        items.push({ in: location.where, name, code: 'DATE_TIME', message: reading.reason });
        continue;
      }
    }
    items.push({ in: location.where, name, code: v.keyword.replace(/^x-idx-/, '').toUpperCase(), message });
  }
  // The messageContextId grammar gets its own code and a precise reason (spec §3).
  const contextItem = items.find((i) => i.name === 'x-messageContextId' && i.code === 'PATTERN');
  if (contextItem && code !== 'IDX_ERR_HEADER_MISSING') {
    return new IdxError('IDX_ERR_CONTEXT_ID_INVALID', `x-messageContextId: ${explainContextId(contextItem.message, request.headers['x-messagecontextid'])}`, { errors: items });
  }
  return new IdxError(code, items.map((i) => (i.code === 'DATE_TIME' ? `${i.name}: ${i.message}` : i.message)).join('; ') || err.message, { errors: items });
}

function explainContextId(fallback: string, raw: unknown): string {
  if (typeof raw === 'string') {
    const parsed = parseMessageContextId(raw);
    if (!parsed.ok) return parsed.reason;
  }
  return `${fallback}; expected businessFunctionId~resourceId~priority~participantId~uniqueId, e.g. pqd~bpqd~l~mdpone~20260702a`;
}

/** The largest form body (`application/x-www-form-urlencoded`: the token API, the web pages) a parser reads. */
export const FORM_BODY_LIMIT_BYTES = 64 * 1024;

/** The body limit a refused request ran into: a form's, or a payload's (BPQD). */
function bodyLimitOf(request: FastifyRequest, ctx: AppContext): number {
  const type = request.headers['content-type'] ?? '';
  return /^application\/x-www-form-urlencoded\b/i.test(type) ? FORM_BODY_LIMIT_BYTES : ctx.config.maxPayloadBytes;
}

export function toIdxError(err: FastifyError | IdxError | Error, ctx: AppContext, request: FastifyRequest): IdxError {
  if (err instanceof IdxError) return err;
  const failure = storageFailure(err);
  if (failure) return storageRefusal(failure, ctx.config.storageRetryAfterSeconds);
  const e = err as FastifyError;
  if (e.validation) return fromValidation(e, ctx, request);
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new IdxError('IDX_ERR_PAYLOAD_TOO_LARGE', `request body exceeds ${bodyLimitOf(request, ctx)} bytes`, { errors: [{ in: 'body', pointer: '', code: 'TOO_LARGE', message: 'body too large' }] });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new IdxError('IDX_ERR_CONTENT_TYPE_UNSUPPORTED', e.message, { errors: [{ in: 'header', name: 'Content-Type', code: 'MEDIA_TYPE', message: e.message }] });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new IdxError('IDX_ERR_JSON_INVALID', 'the body is not valid JSON', { errors: [{ in: 'body', pointer: '', code: 'JSON', message: e.message }] });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new IdxError('IDX_ERR_FORM_INVALID', e.message, { errors: [{ in: 'body', pointer: '', code: 'BODY', message: e.message }] });
    case 'FST_ERR_BAD_URL':
      return new IdxError('IDX_ERR_HTTP_INVALID', 'the URL is not valid (a malformed percent-encoding?)', { errors: [{ in: 'path', name: 'url', code: 'BAD_URL', message: 'not a valid URL' }] });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // Never echo the URL back (it can be kilobytes long).
      return new IdxError('IDX_ERR_URI_TOO_LONG', `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`, { errors: [{ in: 'path', name: 'url', code: 'TOO_LONG', message: `path parameter longer than ${MAX_PARAM_LENGTH} characters` }] });
  }
  // Any other client error Fastify raises keeps its 4xx status (issue 7, defect 5): never a 500 for bad input.
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = STATUS_CODES[status] ?? 'IDX_ERR_HTTP_INVALID';
    return new IdxError(code, `${e.message.slice(0, 200)}`, { status });
  }
  return new IdxError('IDX_ERR_INTERNAL', 'unexpected error; quote the traceId when reporting it');
}

/**
 * The database failed, not the request (issue #14): 503 with Retry-After. What the request wrote was
 * rolled back with its transaction, so the client resends the same request (same messageContextId) and
 * gets either 200 or, if an earlier attempt did commit, 409 IDX_ERR_DUPLICATE_MESSAGE.
 */
export function storageRefusal(failure: StorageFailure, retryAfterSeconds: number): IdxError {
  const detail = failure === 'conflict'
    ? 'the database rolled this request back because it conflicted with another (deadlock or serialization failure); nothing was done — send it again'
    : 'the hub cannot reach its database; nothing was done — send the request again after Retry-After seconds (GET /sim/v1/ready says when the database is back)';
  return new IdxError('IDX_ERR_STORAGE_UNAVAILABLE', detail, { headers: { 'retry-after': String(failure === 'conflict' ? 1 : retryAfterSeconds) } });
}

/** Longest path parameter the router accepts (find-my-way `maxParamLength`); longer → 414. */
export const MAX_PARAM_LENGTH = 200;

/** Catalogue codes of the HTTP statuses Node and Fastify refuse with before a route runs. */
const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'IDX_ERR_HTTP_INVALID',
  404: 'IDX_ERR_ROUTE_NOT_FOUND',
  405: 'IDX_ERR_METHOD_NOT_ALLOWED',
  408: 'IDX_ERR_REQUEST_TIMEOUT',
  413: 'IDX_ERR_PAYLOAD_TOO_LARGE',
  414: 'IDX_ERR_URI_TOO_LONG',
  415: 'IDX_ERR_CONTENT_TYPE_UNSUPPORTED',
  417: 'IDX_ERR_EXPECTATION_FAILED',
  431: 'IDX_ERR_HEADERS_TOO_LARGE',
};

/** The path as `instance`: the real one, shortened so that a long URL is never echoed back. */
export function problemInstance(url: string): string {
  const path = url.split('?')[0]!;
  return path.length <= MAX_INSTANCE_LENGTH ? path : `${path.slice(0, MAX_INSTANCE_LENGTH)}…`;
}
const MAX_INSTANCE_LENGTH = 120;
/** A messageContextId longer than the grammar allows (63 characters) is not echoed back. */
const MAX_ECHOED_CONTEXT_ID = 128;

export function sendProblem(request: FastifyRequest, reply: FastifyReply, err: IdxError, ctx: AppContext): FastifyReply {
  const instance = problemInstance(request.url);
  const headerContextId = request.headers['x-messagecontextid'];
  const paramContextId = (request.params as Record<string, string> | undefined)?.messageContextId;
  const candidate = err.messageContextId ?? (typeof headerContextId === 'string' ? headerContextId : paramContextId);
  const messageContextId = typeof candidate === 'string' && candidate.length <= MAX_ECHOED_CONTEXT_ID ? candidate : undefined;
  recordRefusal(request, err, ctx, messageContextId);
  return reply
    .code(err.status)
    // Also set here: refusals of the router (frameworkErrors) are sent without the onSend hooks.
    .header('x-traceId', request.id)
    .headers(err.headers)
    .type(err.mediaType)
    .send({
      type: problemType(err.code),
      title: err.title,
      status: err.status,
      detail: err.detail,
      instance,
      traceId: request.id,
      code: err.code,
      ...(messageContextId ? { messageContextId } : {}),
      ...(err.errors.length ? { errors: err.errors } : {}),
      ...err.members,
    });
}

/**
 * Whose transaction log a refusal belongs to: the participant that sent the request, as its client
 * certificate proves — x-initiatingParticipantId when the certificate covers it, else the certificate's
 * participant. A request without a valid certificate belongs to nobody: anyone can type a header, and
 * a participant's log must not fill with strangers' requests made in its name (spec §4.5 isolation).
 */
function refusedParticipant(request: FastifyRequest): string | null {
  const client = request.client;
  if (!client) return null;
  const header = request.headers['x-initiatingparticipantid'];
  return typeof header === 'string' && client.participantIds.includes(header) ? header : client.participantIds[0] ?? null;
}

/** Longest refusal detail stored in the transaction log. */
export const MAX_STORED_DETAIL = 500;

/**
 * Refusals stored per participant per clock minute (IDX_SIM_TRANSLOG_REFUSALS_PER_MINUTE): beyond it
 * they go to the log only, so a client in a loop cannot fill the disk (issue 7, defect 3).
 */
class RefusalBudget {
  private minute = -1;
  private readonly stored = new Map<string, number>();
  private readonly skipped = new Map<string, number>();

  constructor(private readonly perMinute: number) {}

  /** Whether one more refusal of `participantId` may be stored in this minute; reports the last minute's skipped count. */
  take(participantId: string, now: number, log: (skipped: Record<string, number>) => void): boolean {
    const minute = Math.floor(now / 60_000);
    if (minute !== this.minute) {
      if (this.skipped.size) log(Object.fromEntries(this.skipped));
      this.minute = minute;
      this.stored.clear();
      this.skipped.clear();
    }
    const n = this.stored.get(participantId) ?? 0;
    if (n >= this.perMinute) {
      this.skipped.set(participantId, (this.skipped.get(participantId) ?? 0) + 1);
      return false;
    }
    this.stored.set(participantId, n + 1);
    return true;
  }
}
const budgets = new WeakMap<AppContext, RefusalBudget>();

/**
 * A participant's refusals go to its transaction log as `message_rejected`, with the reason code and
 * detail (spec §4.5) — truncated, at most IDX_SIM_TRANSLOG_REFUSALS_PER_MINUTE a minute, purged after
 * IDX_SIM_TRANSLOG_REFUSAL_RETENTION_DAYS. A request no participant owns (no valid certificate) is
 * logged (pino), not stored: it belongs to nobody (issue 7, defect 3).
 */
function recordRefusal(request: FastifyRequest, err: IdxError, ctx: AppContext, messageContextId: string | undefined): void {
  const from = refusedParticipant(request);
  const summary = { traceId: request.id, status: err.status, code: err.code, method: request.method, path: problemInstance(request.url) };
  if (from === null) {
    request.log.info(summary, 'refused a request no participant owns');
    return;
  }
  // The database is what failed: writing the refusal there would fail (or wait) again. The log keeps it.
  if (err.code === 'IDX_ERR_STORAGE_UNAVAILABLE') {
    request.log.info({ ...summary, participantId: from }, 'refused (not stored: the database is not answering)');
    return;
  }
  let budget = budgets.get(ctx);
  if (!budget) budgets.set(ctx, (budget = new RefusalBudget(ctx.config.translogRefusalsPerMinute)));
  if (!budget.take(from, ctx.clock.now(), (skipped) => request.log.warn({ skipped }, 'refusals not stored in the transaction log last minute (over IDX_SIM_TRANSLOG_REFUSALS_PER_MINUTE)'))) {
    request.log.info({ ...summary, participantId: from }, 'refused (not stored: over the per-minute limit of stored refusals)');
    return;
  }
  const parsed = messageContextId ? parseMessageContextId(messageContextId) : undefined;
  const context = parsed?.ok ? parsed.value : undefined;
  const inbound = request.method === 'POST';
  try {
    ctx.transactionLog.append({
      loggedAt: ctx.clock.now(),
      traceId: request.id,
      messageContextId: messageContextId ?? null,
      businessFunctionId: context?.businessFunctionId ?? null,
      resourceId: context?.businessFunctionResourceId ?? null,
      priority: context?.priority ?? null,
      fromParticipant: inbound ? from : null,
      toParticipant: inbound ? null : from,
      messageType: 'message',
      status: 'message_rejected',
      reasonCode: err.code,
      detail: `${request.method} ${problemInstance(request.url)} → ${err.status}: ${err.detail}`.slice(0, MAX_STORED_DETAIL),
    });
  } catch (logErr) {
    request.log.error({ err: logErr }, 'could not write refusal to the transaction log');
  }
}

export function registerProblemDetails(app: FastifyInstance, ctx: AppContext): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // A client that hung up mid-request is the client's doing: info, no stack (issue 7, defect 11).
    if (isClientAbort(err, request)) {
      request.log.info({ code: (err as { code?: string }).code, method: request.method, path: problemInstance(request.url) }, 'client aborted the request');
      return sendProblem(request, reply, new IdxError('IDX_ERR_HTTP_INVALID', 'the client closed the connection before the request was complete', { status: 400 }), ctx);
    }
    const idxError = toIdxError(err, ctx, request);
    // A database outage fails every request alike: one line each, no stack.
    if (idxError.code === 'IDX_ERR_STORAGE_UNAVAILABLE') request.log.warn({ error: err.message, method: request.method, path: problemInstance(request.url) }, 'database failure: answered 503');
    else if (idxError.status >= 500) request.log.error({ err }, 'request failed');
    return sendProblem(request, reply, idxError, ctx);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    // A known path with another method is 405 with Allow (RFC 9110 §15.5.6); an unknown path stays 404.
    const allowed = ctx.contract.allowedMethods(path);
    if (allowed.length) {
      return sendProblem(request, reply, new IdxError('IDX_ERR_METHOD_NOT_ALLOWED', `${request.method} is not an operation of ${problemInstance(path)}; allowed: ${allowed.join(', ')}`,
        { headers: { allow: allowed.join(', ') } }), ctx);
    }
    return sendProblem(request, reply, new IdxError('IDX_ERR_ROUTE_NOT_FOUND', `no route ${request.method} ${problemInstance(path)}; see /docs for the API`), ctx);
  });
}

const ABORT_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH_ABORTED']);

function isClientAbort(err: Error & { code?: string }, request: FastifyRequest): boolean {
  return (err.code !== undefined && ABORT_CODES.has(err.code)) || err.message === 'aborted' || request.raw.aborted === true;
}

/** Fastify's `frameworkErrors`: bad URLs and over-long path parameters, refused before routing, as problem+json. */
export function frameworkErrors(ctx: AppContext) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, toIdxError(err, ctx, request), ctx);
}
