/**
 * Issue 7 defect 5: bad input never gets a 5xx. Errors Fastify raises itself (unknown methods, bad URLs,
 * media types…) keep their 4xx status as problem+json, and numeric query parameters are finite integers
 * within their documented range (ajv's coerceTypes lets ±Infinity through as "integers").
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';

const h = useHarness({ profile: 'ci' });

const NUMERIC = [
  { path: '/pqd/v1/bpqd', scope: 'PQD_BPQD' },
  { path: '/translog/v1/messages', scope: 'TRANSLOG_TRANSLOG' },
  { path: '/archive/v1/messages', scope: 'ARCH_RETRIEVE' },
  { path: '/fctrl/v1/participants/LNSPNORTH/history', scope: 'FCTRL_STATUS' },
];

describe('numeric query parameters are finite integers in range (defect 5)', () => {
  for (const { path, scope } of NUMERIC) {
    for (const value of ['Infinity', '-Infinity', '1e309', '-1e309', 'NaN', '1.5', '0', '99999999999999999999']) {
      it(`${path}?itemCount=${value} → 400 naming itemCount`, async () => {
        const res = await h().app.inject({ method: 'GET', url: `${path}?itemCount=${value}`, headers: await h().as('LNSPNORTH', scope) });
        expect(res.statusCode, res.body).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        const body = res.json();
        expect(body.code).toBe('IDX_ERR_QUERY_INVALID');
        expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'query', name: 'itemCount' })]));
      });
    }
  }
});

describe('framework errors keep their 4xx status as problem+json (defect 5)', () => {
  it('an unknown HTTP method on an unknown path is 4xx, not 500', async () => {
    for (const method of ['QUERY', 'PROPFIND', 'MKCOL']) {
      const res = await h().app.inject({ method: method as 'GET', url: '/anything' });
      expect(res.statusCode, `${method}: ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${method}: ${res.body}`).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().traceId).toBe(res.headers['x-traceid']);
    }
  });

  it('a framework 4xx without an IDX mapping keeps its status and gets a 4xx code', async () => {
    const { toIdxError } = await import('../../src/plugins/problem-details.js');
    const err = Object.assign(new Error('Some client mistake'), { code: 'FST_ERR_SOMETHING_NEW', statusCode: 422 });
    const idx = toIdxError(err, h().ctx, { headers: {}, url: '/x', method: 'GET' } as never);
    expect(idx.status).toBe(422);
    expect(idx.code).not.toBe('IDX_ERR_INTERNAL');
  });
});
