/**
 * Every date-time query parameter of every API goes through one parser (src/domain/market-time.ts): a
 * real calendar instant, or 400 problem+json naming the parameter — never a filter silently ignored or a
 * date rolled over into the next month (spec §3 date-time format; docs/spec-variance.md #18).
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';

const h = useHarness({ profile: 'ci' });

const ENDPOINTS = [
  { url: '/pqd/v1/bpqd', scope: 'PQD_BPQD', params: ['fromDateTime', 'toDateTime'] },
  { url: '/archive/v1/messages', scope: 'ARCH_RETRIEVE', params: ['startDateTime', 'endDateTime'] },
  { url: '/fctrl/v1/participants/LNSPNORTH/history', scope: 'FCTRL_STATUS', params: ['fromDateTime', 'toDateTime'] },
  { url: '/translog/v1/messages', scope: 'TRANSLOG_TRANSLOG', params: ['startDateTime', 'endDateTime'] },
  { url: '/translog/v1/messages/export.csv', scope: 'TRANSLOG_TRANSLOG', params: ['startDateTime', 'endDateTime'] },
];

/** Dates that match the pattern but do not exist, and what the refusal says about each. */
const IMPOSSIBLE = [
  ['2026-07-01T25:00:00.000+10:00', /hour 25/],
  ['2026-13-01T00:00:00.000+10:00', /month 13/],
  ['2026-02-30T00:00:00.000+10:00', /2026-02 has 28 days/],
  ['2026-07-01T00:00:00.000+99:99', /offset \+99:99/],
] as const;

const CASES = ENDPOINTS.flatMap((e) => e.params.flatMap((param) => IMPOSSIBLE.map(([value, reason]) => [e.url, param, value, e.scope, reason] as const)));

const get = async (url: string, scope: string) => h().app.inject({ method: 'GET', url, headers: await h().as('LNSPNORTH', scope) });

describe('date-time query parameters: one parser for every API', () => {
  it.each(CASES)('%s with %s=%s → 400 IDX_ERR_QUERY_INVALID naming it', async (url, param, value, scope, reason) => {
    const res = await get(`${url}?${param}=${encodeURIComponent(value)}`, scope);
    expect(res.statusCode, res.body).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ code: 'IDX_ERR_QUERY_INVALID', errors: [expect.objectContaining({ in: 'query', name: param, code: 'DATE_TIME' })] });
    expect(body.detail).toContain(param);
    expect(body.detail).toMatch(reason);
  });

  it.each(ENDPOINTS.flatMap((e) => e.params.map((param) => [e.url, param, e.scope] as const)))(
    '%s: an unencoded "+" in %s (it arrives as a space) → 400 saying to percent-encode it', async (url, param, scope) => {
      const res = await get(`${url}?${param}=2026-07-01T00:00:00.000+10:00`, scope);
      expect(res.statusCode, res.body).toBe(400);
      const body = res.json();
      expect(body).toMatchObject({ code: 'IDX_ERR_QUERY_INVALID', errors: [expect.objectContaining({ in: 'query', name: param })] });
      expect(body.detail).toMatch(new RegExp(`${param}.*space.*percent-encode.*%2B`));
    });

  it('AEMO\'s own example URL (spec §2) works once its "+" is percent-encoded, and the filter applies', async () => {
    const sent = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    expect(sent.statusCode, sent.body).toBe(200);
    const including = await get('/pqd/v1/bpqd?itemCount=2&fromDateTime=2026-07-01T23:00:00%2B00:00&toDateTime=2026-07-02T00:00:00%2B00:00', 'PQD_BPQD');
    expect(including.statusCode, including.body).toBe(200);
    expect(including.json().meta.totalRecords).toBe(1);
    const excluding = await get('/pqd/v1/bpqd?itemCount=2&fromDateTime=2025-10-16T08:56:45%2B00:00&toDateTime=2025-10-17T08:56:45%2B00:00', 'PQD_BPQD');
    expect(excluding.statusCode, excluding.body).toBe(200);
    expect(excluding.json().meta.totalRecords).toBe(0);
  });
});
