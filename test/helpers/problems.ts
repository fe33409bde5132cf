import { expect } from 'vitest';
import type { Harness } from './harness.js';

interface Response {
  statusCode: number;
  headers: Record<string, unknown>;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Asserts a refusal: status, code, problem+json shape (type derived from the code, a detail that says
 * something), the trace id, and that it reached the transaction log as `message_rejected` — unless no valid client
 * certificate identified a participant: such a refusal belongs to nobody and is only logged. Returns the body.
 */
export function expectRefusal(h: Harness, res: Response, status: number, code: string, instance = '/pqd/v1/bpqd') {
  expect(res.statusCode, JSON.stringify(res.json())).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, code, instance, traceId: res.headers['x-traceid'] });
  expect(body.type).toBe(`https://idx.sim/problems/${code.replace('IDX_ERR_', '').toLowerCase().replace(/_/g, '-')}`);
  expect(body.detail.length).toBeGreaterThan(10);
  const logged = h.ctx.db.prepare('SELECT status, reason_code FROM transaction_log WHERE trace_id = ?').all(body.traceId);
  // A request whose client certificate proves no participant belongs to nobody: logged, not stored (issue 7, defect 3).
  const owned = !/^IDX_ERR_CLIENT_CERT_/.test(code);
  expect(logged).toEqual(owned ? [{ status: 'message_rejected', reason_code: code }] : []);
  return body;
}

/**
 * Refusals that have no field or header to point at (developers' guide: every refusal carries "a pointer to
 * the offending field or header"): the request line itself (no such route, a method the path lacks) and
 * refusals Fastify or Node make of the HTTP message as a whole (IDX_ERR_HTTP_INVALID, e.g. a connection
 * closed mid-body).
 */
const LOCATIONLESS_REFUSALS = new Set(['IDX_ERR_ROUTE_NOT_FOUND', 'IDX_ERR_METHOD_NOT_ALLOWED', 'IDX_ERR_HTTP_INVALID']);

/**
 * The harness's check of every 4xx problem+json an API answers: it says where in the request the problem is
 * (`errors`: a body pointer, or the header, query or path parameter, form field or certificate), unless its
 * code is one of the few refusals of the request as a whole. 5xx are the hub's own failures: nothing to point at.
 */
export function unlocatedRefusal(statusCode: number, contentType: unknown, body: Buffer): string | undefined {
  if (statusCode < 400 || statusCode >= 500 || !/^application\/problem\+json/.test(String(contentType ?? ''))) return undefined;
  let problem: { code?: string; errors?: unknown[] };
  try {
    problem = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined; // the contract check reports an unparsable body
  }
  if ((problem.errors?.length ?? 0) > 0 || LOCATIONLESS_REFUSALS.has(problem.code ?? '')) return undefined;
  return `${statusCode} ${problem.code}: refusal without errors[] saying where the problem is`;
}
