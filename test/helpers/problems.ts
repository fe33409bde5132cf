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
