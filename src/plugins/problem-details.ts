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
    items.push({ in: location.where, name, code: v.keyword.toUpperCase(), message });
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

export function toIdxError(err: FastifyError | IdxError | Error, ctx: AppContext, request: FastifyRequest): IdxError {
  if (err instanceof IdxError) return err;
  const e = err as FastifyError;
  if (e.validation) return fromValidation(e, ctx, request);
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new IdxError('IDX_ERR_PAYLOAD_TOO_LARGE', `request body exceeds ${ctx.config.maxPayloadBytes} bytes`, { errors: [{ in: 'body', pointer: '', code: 'TOO_LARGE', message: 'body too large' }] });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new IdxError('IDX_ERR_CONTENT_TYPE_UNSUPPORTED', e.message, { errors: [{ in: 'header', name: 'Content-Type', code: 'MEDIA_TYPE', message: e.message }] });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new IdxError('IDX_ERR_JSON_INVALID', 'the body is not valid JSON', { errors: [{ in: 'body', pointer: '', code: 'JSON', message: e.message }] });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new IdxError('IDX_ERR_FORM_INVALID', e.message, { errors: [{ in: 'body', pointer: '', code: 'BODY', message: e.message }] });
  }
  return new IdxError('IDX_ERR_INTERNAL', 'unexpected error; quote the traceId when reporting it');
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, err: IdxError, ctx: AppContext): FastifyReply {
  const instance = request.url.split('?')[0]!;
  const headerContextId = request.headers['x-messagecontextid'];
  const paramContextId = (request.params as Record<string, string> | undefined)?.messageContextId;
  const messageContextId = err.messageContextId ?? (typeof headerContextId === 'string' ? headerContextId : paramContextId);
  recordRefusal(request, err, ctx, messageContextId);
  return reply
    .code(err.status)
    .headers(err.headers)
    .type('application/problem+json')
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

/** Refusals go to the transaction log as `message_rejected`, with the reason code and detail (spec §4.5). */
function recordRefusal(request: FastifyRequest, err: IdxError, ctx: AppContext, messageContextId: string | undefined): void {
  const from = refusedParticipant(request);
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
      detail: `${request.method} ${request.url.split('?')[0]} → ${err.status}: ${err.detail}`.slice(0, 2000),
    });
  } catch (logErr) {
    request.log.error({ err: logErr }, 'could not write refusal to the transaction log');
  }
}

export function registerProblemDetails(app: FastifyInstance, ctx: AppContext): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const idxError = toIdxError(err, ctx, request);
    if (idxError.status >= 500) request.log.error({ err }, 'request failed');
    return sendProblem(request, reply, idxError, ctx);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new IdxError('IDX_ERR_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; see /docs for the API`), ctx));
}
