/**
 * HTTP plumbing shared by the web pages (IDX Web App at /webapp/, simulator console at /console/):
 * cookies, security headers (a content-security-policy that allows this origin only — no CDN, no external
 * fonts, nothing leaves the machine), form bodies, the CSRF check of state-changing requests, and the
 * answer to a refusal (an HTML page for a browser navigating, RFC 9457 problem+json for everything else).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import { FORM_BODY_LIMIT_BYTES, sendProblem, toIdxError } from '../../plugins/problem-details.js';
import { csrfMatches } from './sessions.js';
import { html, type SafeHtml } from './html.js';

/** Only this origin: scripts and styles are files served by idx-sim itself, never inline markup or another host. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'", "font-src 'self'",
  "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

/** Cookie header → name/value pairs (RFC 6265 §5.4; the first of a repeated name wins). */
export function readCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

/**
 * A session cookie: HttpOnly, SameSite=Strict (a cross-site request never carries it: the first CSRF
 * defence), Secure over HTTPS, scoped to its app's path. No Max-Age: it ends with the browser session or
 * when the server-side session expires on the simulated clock, whichever is first.
 */
export function sessionCookie(request: FastifyRequest, name: string, value: string, path: string, clear = false): string {
  const parts = [`${name}=${clear ? '' : value}`, `Path=${path}`, 'HttpOnly', 'SameSite=Strict'];
  if (request.protocol === 'https') parts.push('Secure');
  if (clear) parts.push('Max-Age=0');
  return parts.join('; ');
}

/** Security headers of every web page and web-page API answer. */
export function addSecurityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin');
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
}

/** Form bodies (`application/x-www-form-urlencoded`) as a string map; a repeated field keeps its last value. */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT_BYTES }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
}

/** A string field of a parsed form or JSON body ('' when absent). */
export function field(body: unknown, name: string): string {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : '';
}

/**
 * The CSRF check of a state-changing request (POST): the session's token in the form field `_csrf` or
 * the `x-csrf-token` header, and — when the browser says where the request comes from — this origin.
 * SameSite=Strict already keeps the cookie off cross-site requests; the token is the second line.
 */
export function checkCsrf(request: FastifyRequest, session: { csrfToken: string }): void {
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== request.headers.host) {
      throw new IdxError('IDX_ERR_CSRF_TOKEN', `a request from origin ${origin.slice(0, 100)} may not change anything here; use the page served by this host`,
        { errors: [{ in: 'header', name: 'Origin', code: 'CROSS_ORIGIN', message: 'not this origin' }] });
    }
  }
  const presented = request.headers['x-csrf-token'] ?? field(request.body, '_csrf');
  if (!csrfMatches(session, presented)) {
    throw new IdxError('IDX_ERR_CSRF_TOKEN', 'the form or request does not carry this session\'s CSRF token; reload the page and try again',
      { errors: [typeof request.headers['x-csrf-token'] === 'string'
        ? { in: 'header', name: 'x-csrf-token', code: 'CSRF', message: 'not this session\'s token' }
        : { in: 'form', name: '_csrf', code: 'CSRF', message: presented ? 'not this session\'s token' : 'missing' }] });
  }
}

/** Whether the request is a browser navigating to a page (it prefers HTML), rather than a script or API client. */
export function wantsHtml(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '');
  return request.method === 'GET' && accept.includes('text/html');
}

/**
 * The error handler of a web app's routes: a browser navigating gets a readable HTML page with the
 * same status, code and trace id; anything else gets the hub's problem+json (src/plugins/problem-details.ts).
 */
export function webErrorHandler(ctx: AppContext, errorPage: (request: FastifyRequest, err: IdxError) => SafeHtml) {
  return (err: Error, request: FastifyRequest, reply: FastifyReply) => {
    addSecurityHeaders(reply);
    const refusal = toIdxError(err, ctx, request);
    if (refusal.status >= 500) request.log.error({ err }, 'web page request failed');
    if (wantsHtml(request)) {
      return reply.code(refusal.status).header('x-traceId', request.id).headers(refusal.headers).type('text/html; charset=utf-8').send(errorPage(request, refusal).value);
    }
    return sendProblem(request, reply, refusal, ctx);
  };
}

/** The body of an HTML error page: what was refused and why, with the code and trace id to quote. */
export function errorBody(request: FastifyRequest, err: IdxError): SafeHtml {
  return html`<section class="card error-card" aria-labelledby="error-title">
  <h1 id="error-title">${err.status} — ${err.title}</h1>
  <p>${err.detail}</p>
  <dl class="facts"><dt>Code</dt><dd><code>${err.code}</code></dd><dt>Trace id</dt><dd><code>${request.id}</code></dd></dl>
</section>`;
}
