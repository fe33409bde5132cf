/**
 * The error catalogue: every refusal idx-sim makes has a stable code here. Codes never change meaning;
 * new ones are added at the end of their group. IDX errors follow RFC 9457 with traceability ids
 * (spec §1, §7); the status map is the simulator's [D] proposal of spec §7.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
}

export const ERROR_CATALOGUE = {
  // Transport and identity (spec §6, §13.2)
  IDX_ERR_CLIENT_CERT_REQUIRED: { status: 401, title: 'A client certificate is required' },
  IDX_ERR_CLIENT_CERT_UNTRUSTED: { status: 401, title: 'Client certificate not issued by the IDX certificate authority' },
  IDX_ERR_CLIENT_CERT_EXPIRED: { status: 401, title: 'Client certificate has expired' },
  IDX_ERR_CLIENT_CERT_NOT_YET_VALID: { status: 401, title: 'Client certificate is not yet valid' },
  IDX_ERR_CLIENT_CERT_REVOKED: { status: 401, title: 'Client certificate has been revoked' },
  IDX_ERR_CLIENT_CERT_UNKNOWN: { status: 401, title: 'Client certificate is not registered to a participant' },
  IDX_ERR_CERT_PARTICIPANT_MISMATCH: { status: 403, title: 'Client certificate does not cover the initiating participant' },
  IDX_ERR_CLIENT_CERT_CN_INVALID: { status: 401, title: 'Client certificate CN does not follow the IDX rules' },
  IDX_ERR_CLIENT_CERT_INACTIVE: { status: 401, title: "Client certificate is not the participant's active certificate" },
  // OAuth (spec §4.8, §13.1)
  IDX_ERR_INVALID_CLIENT: { status: 401, title: 'Client authentication failed' },
  IDX_ERR_UNSUPPORTED_GRANT_TYPE: { status: 400, title: 'Unsupported grant type' },
  IDX_ERR_TOKEN_MISSING: { status: 401, title: 'Bearer token required' },
  IDX_ERR_TOKEN_INVALID: { status: 401, title: 'Bearer token is not valid' },
  IDX_ERR_TOKEN_EXPIRED: { status: 401, title: 'Bearer token has expired' },
  IDX_ERR_ENTITY_NOT_GRANTED: { status: 403, title: 'URM entity not granted for this participant' },
  IDX_ERR_OTHER_PARTICIPANT: { status: 403, title: 'Information about another participant is not available to you' },
  IDX_ERR_ADMIN_KEY: { status: 401, title: 'Simulator control API key required' },
  IDX_ERR_TOKEN_PARTICIPANT_MISMATCH: { status: 403, title: 'Access token was not issued to a URM user of the initiating participant' },
  // Request shape (spec §3)
  IDX_ERR_HEADER_MISSING: { status: 400, title: 'Required header missing' },
  IDX_ERR_HEADER_INVALID: { status: 400, title: 'Header value is not valid' },
  IDX_ERR_QUERY_INVALID: { status: 400, title: 'Query parameter is not valid' },
  IDX_ERR_PATH_INVALID: { status: 400, title: 'Path parameter is not valid' },
  IDX_ERR_FORM_INVALID: { status: 400, title: 'Form field is not valid' },
  IDX_ERR_CURSOR_INVALID: { status: 400, title: 'Cursor is not valid' },
  IDX_ERR_CONTEXT_ID_INVALID: { status: 400, title: 'x-messageContextId does not follow the IDX grammar' },
  IDX_ERR_CONTEXT_ID_MISMATCH: { status: 400, title: 'x-messageContextId disagrees with the headers or payload' },
  IDX_ERR_CONTENT_ENCODING_UNSUPPORTED: { status: 415, title: 'Content-Encoding must be gzip' },
  IDX_ERR_CONTENT_TYPE_UNSUPPORTED: { status: 415, title: 'Content-Type is not supported' },
  IDX_ERR_GZIP_INVALID: { status: 400, title: 'Body is not valid gzip' },
  IDX_ERR_JSON_INVALID: { status: 400, title: 'Body is not valid JSON' },
  IDX_ERR_SCHEMA_INVALID: { status: 400, title: 'Payload failed schema validation' },
  IDX_ERR_NMI_CHECKSUM: { status: 400, title: 'NMI checksum is wrong' },
  IDX_ERR_PAYLOAD_RULE: { status: 400, title: 'Payload breaks a BPQD content rule' },
  IDX_ERR_PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload exceeds the size limit' },
  IDX_ERR_DUPLICATE_MESSAGE: { status: 409, title: 'messageContextId already used by this sender' },
  IDX_ERR_PAYLOAD_TOO_LARGE_FOR_PRIORITY: { status: 413, title: 'Payload exceeds the size cap of its priority' },
  IDX_ERR_EXPORT_TOO_LARGE: { status: 400, title: 'Too many records for one export' },
  // HTTP transport: refusals made before a route runs, by Node's HTTP parser or Fastify (issue 7, docs/reliability.md)
  IDX_ERR_HTTP_INVALID: { status: 400, title: 'Request is not valid HTTP' },
  IDX_ERR_REQUEST_TIMEOUT: { status: 408, title: 'Request not received in time' },
  IDX_ERR_URI_TOO_LONG: { status: 414, title: 'URL or path parameter too long' },
  IDX_ERR_EXPECTATION_FAILED: { status: 417, title: 'Expectation not supported' },
  IDX_ERR_HEADERS_TOO_LARGE: { status: 431, title: 'Request headers too large' },
  IDX_ERR_SHUTTING_DOWN: { status: 503, title: 'The hub is shutting down' },
  // Message signatures: x-signature, CMS SignedData (spec §3, §6, §13.3)
  IDX_ERR_SIGNATURE_MISSING: { status: 400, title: 'x-signature is required' },
  IDX_ERR_SIGNATURE_MALFORMED: { status: 400, title: 'x-signature is not <algorithm>;<base64 CMS SignedData>' },
  IDX_ERR_SIGNATURE_ALGORITHM: { status: 400, title: 'Signature algorithm not accepted' },
  IDX_ERR_SIGNATURE_MISMATCH: { status: 400, title: 'Signature does not match the payload' },
  IDX_ERR_SIGNATURE_WRONG_KEY: { status: 403, title: "Signed with a certificate that is not the sender's" },
  IDX_ERR_SIGNATURE_CERT_REVOKED: { status: 403, title: 'Signing certificate has been revoked' },
  IDX_ERR_SIGNATURE_CERT_NOT_ACCEPTED: { status: 403, title: 'Signing certificate is not accepted at this time' },
  // Business rules (spec §12)
  IDX_ERR_NMI_UNKNOWN: { status: 422, title: 'NMI has no standing data for the interval dates' },
  IDX_ERR_SENDER_NOT_RESPONSIBLE: { status: 422, title: 'Sender is not the MC or its MDP for the NMI' },
  IDX_ERR_RECIPIENT_NOT_LNSP: { status: 422, title: 'Receiving participant is not the LNSP for the NMI' },
  // Resources
  IDX_ERR_MESSAGE_NOT_FOUND: { status: 404, title: 'Message not found in your queue' },
  IDX_ERR_ROUTE_NOT_FOUND: { status: 404, title: 'No such API route' },
  IDX_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this route' },
  IDX_ERR_BUSINESS_FUNCTION_NOT_FOUND: { status: 404, title: 'Unknown business function' },
  IDX_ERR_UPGRADE_REQUIRED: { status: 426, title: 'WebSocket upgrade required' },
  IDX_ERR_EVENT_FRAME_INVALID: { status: 400, title: 'Event channel frame not understood' },
  IDX_ERR_TRANSLOG_MESSAGE_NOT_FOUND: { status: 404, title: 'Message not found in your transaction log' },
  IDX_ERR_PAYLOAD_NOT_RETAINED: { status: 410, title: 'Payload no longer retained' },
  IDX_ERR_COUNTERPARTY_NOT_FOUND: { status: 404, title: 'No such virtual counterparty' },
  IDX_ERR_PARTICIPANT_NOT_FOUND: { status: 404, title: 'No such participant' },
  // Quotas (spec §8)
  IDX_ERR_RATE_LIMITED: { status: 429, title: 'Rate limit exceeded' },
  IDX_ERR_QUOTA_EXCEEDED: { status: 429, title: 'Daily quota exceeded' },
  IDX_ERR_CONCURRENT_REQUEST: { status: 429, title: 'Another request from this participant is in flight' },
  IDX_ERR_TOO_MANY_SUBSCRIBERS: { status: 429, title: 'Too many open event WebSockets for this participant' },
  // Availability (spec §4.7 outages, §9 flow control)
  IDX_ERR_SERVICE_UNAVAILABLE: { status: 503, title: 'IDX is unavailable (outage or maintenance)' },
  IDX_ERR_RECIPIENT_STOPPED: { status: 503, title: "The receiving participant's queue is not taking messages" },
  IDX_ERR_STORAGE_UNAVAILABLE: { status: 503, title: "The hub's database is not answering; nothing was done, retry" },
  // Simulator control API /sim/v1 (issue #10; not IDX)
  IDX_ERR_SIM_NOT_READY: { status: 503, title: 'The simulator is not ready' },
  IDX_ERR_SIM_SNAPSHOT_NOT_FOUND: { status: 404, title: 'No snapshot of that name' },
  IDX_ERR_SIM_NOT_FOUND: { status: 404, title: 'No such simulator resource' },
  IDX_ERR_SIM_CONFLICT: { status: 409, title: "Conflicts with the simulator's current state" },
  // Injected by a fault rule of the control API (issue #10): what a failing hub or gateway would answer
  IDX_ERR_INJECTED_INTERNAL: { status: 500, title: 'Internal error (injected fault)' },
  IDX_ERR_INJECTED_BAD_GATEWAY: { status: 502, title: 'Bad gateway (injected fault)' },
  IDX_ERR_INJECTED_UNAVAILABLE: { status: 503, title: 'Service unavailable (injected fault)' },
  IDX_ERR_INJECTED_TIMEOUT: { status: 504, title: 'Gateway timeout (injected fault)' },
  // Web pages: the IDX Web App at /webapp/ and the simulator console at /console/ (issue #12; not IDX APIs)
  IDX_ERR_WEB_SIGN_IN_REQUIRED: { status: 401, title: 'Sign in first' },
  IDX_ERR_WEB_SIGN_IN_FAILED: { status: 401, title: 'Username or password not recognised' },
  IDX_ERR_CSRF_TOKEN: { status: 403, title: 'Request not sent from this session\'s page (CSRF check)' },
  // Everything else
  IDX_ERR_INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Where, in the request, a problem sits. Body problems carry an RFC 6901 JSON pointer. */
export type ProblemLocation =
  | { in: 'body'; pointer: string }
  | { in: 'header' | 'query' | 'path' | 'form' | 'tls'; name: string };

export type ProblemItem = ProblemLocation & { code: string; message: string };

export interface IdxErrorOptions {
  errors?: ProblemItem[];
  /** Extra response headers, e.g. Retry-After on 429. */
  headers?: Record<string, string>;
  messageContextId?: string;
  /** A framework 4xx without a code of its own keeps its HTTP status (with IDX_ERR_HTTP_INVALID). */
  status?: number;
  /** RFC 9457 extension members another standard expects, e.g. RFC 6749 §5.2 `error` on the token endpoint. */
  members?: Record<string, string>;
  /** Instead of application/problem+json, e.g. application/json where RFC 6749 §5.2 requires it. */
  mediaType?: string;
}

/** The one error class: thrown by domain code, turned into problem+json by the problem-details plugin. */
export class IdxError extends Error {
  readonly status: number;
  readonly title: string;
  readonly errors: ProblemItem[];
  readonly headers: Record<string, string>;
  readonly messageContextId: string | undefined;
  readonly members: Record<string, string>;
  readonly mediaType: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    options: IdxErrorOptions = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'IdxError';
    const spec: ErrorSpec = ERROR_CATALOGUE[code];
    this.status = options.status ?? spec.status;
    this.title = spec.title;
    this.errors = options.errors ?? [];
    this.headers = options.headers ?? {};
    this.messageContextId = options.messageContextId;
    this.members = options.members ?? {};
    this.mediaType = options.mediaType ?? 'application/problem+json';
  }
}

/** `IDX_ERR_NMI_CHECKSUM` → `https://idx.sim/problems/nmi-checksum`. */
export function problemType(code: ErrorCode): string {
  return `https://idx.sim/problems/${code.replace(/^IDX_ERR_/, '').toLowerCase().replace(/_/g, '-')}`;
}

export function headerProblem(name: string, code: string, message: string): ProblemItem {
  return { in: 'header', name, code, message };
}

export function bodyProblem(pointer: string, code: string, message: string): ProblemItem {
  return { in: 'body', pointer, code, message };
}
