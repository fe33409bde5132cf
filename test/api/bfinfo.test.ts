/**
 * Business Function Information API (spec §4.4): the catalogue with an unscoped token, expand, x-market,
 * and every refusal.
 */
import { describe, expect, it } from 'vitest';
import { certHeader, certificatePem, useHarness } from '../helpers/harness.js';

const h = useHarness();
const MB = 1_000_000;

/** Headers of an LNSPNORTH request with an unscoped token (no URM entity), unless told otherwise. */
async function bfi(url: string, o: { pid?: string; scope?: string; headers?: Record<string, string | undefined> } = {}) {
  const all: Record<string, string | undefined> = { ...(await h().as(o.pid ?? 'LNSPNORTH', o.scope ?? '')), 'x-market': 'NEM', ...o.headers };
  const headers = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return h().app.inject({ method: 'GET', url: `/bfinfo/v1${url}`, headers });
}

describe('GET /bfinfo/v1/businessFunctions', () => {
  it('answers an unscoped token with basic information about every business function (expand=false by default)', async () => {
    const claims = JSON.parse(Buffer.from((await h().token('LNSPNORTH', '')).split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ scope: '', participants: {} });
    for (const query of ['', '?expand=false']) {
      const res = await bfi(`/businessFunctions${query}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        businessFunctions: [{
          businessFunctionId: 'pqd', businessFunctionName: 'Power Quality Data', description: 'API for submitting basic and advanced power quality data in the NEM',
          market: 'NEM', apiVersion: '1.0.0', basePath: '/pqd/v1',
        }],
      });
    }
  });

  it('expand=true adds resources, retention, limits (the published numbers) and identifiers', async () => {
    const res = await bfi('/businessFunctions?expand=true');
    expect(res.statusCode).toBe(200);
    const [pqd] = res.json().businessFunctions;
    expect(pqd.resources).toEqual([expect.objectContaining({
      businessFunctionResourceId: 'bpqd', path: '/pqd/v1/bpqd', urmEntity: 'PQD_BPQD', schemaVersions: { supported: ['1.0.0'], default: '1.0.0' },
      payloadTypes: [{ contentType: 'application/json', contentEncoding: 'gzip' }], maxPayloadBytes: 10 * MB,
      senderRoles: ['MC', 'MDP'], receiverRoles: ['LNSP'], deliveryModel: 'fire-and-forget',
    })]);
    expect(pqd.resources[0].operations.map((o: { method: string; permission: string }) => `${o.method}:${o.permission}`)).toEqual(['POST:C', 'GET:R', 'GET:R', 'DELETE:R']);
    expect(pqd.retention).toEqual({ queueDays: 10, queueDayBasis: 'calendar', archiveDays: 90 });
    expect(pqd.limits).toEqual({
      maxPayloadBytes: 10 * MB, requestsPerMinutePerEndpoint: 50,
      priorities: [
        { priority: 'h', priorityName: 'High', maxMessageBytes: 1 * MB, dailyMessageQuota: 180_000 },
        { priority: 'm', priorityName: 'Medium', maxMessageBytes: 5 * MB, dailyMessageQuota: 35_000 },
        { priority: 'l', priorityName: 'Low', maxMessageBytes: 10 * MB, dailyMessageQuota: 18_000 },
      ],
      watermarks: { low: 400, warn: 800, high: 1000 },
    });
    const { pattern, example } = pqd.identifiers.messageContextId;
    expect(new RegExp(pattern).test(example)).toBe(true);
    expect(new RegExp(pattern).test('pqd~bpqd~x~mdpone~a')).toBe(false);
  });

  it('lists the business functions of the market in x-market only', async () => {
    const res = await bfi('/businessFunctions', { headers: { 'x-market': 'VICGAS' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ businessFunctions: [] });
  });

  it('accepts a scoped token too, and x-ss-id and Accept', async () => {
    const res = await bfi('/businessFunctions', { pid: 'MDPONE', scope: 'PQD_BPQD', headers: { 'x-ss-id': 'a'.repeat(64), accept: 'application/json' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().businessFunctions).toHaveLength(1);
  });
});

describe('GET /bfinfo/v1/businessFunctions/{businessFunctionId}', () => {
  it('gives the detailed information, the same as the expanded list entry', async () => {
    const res = await bfi('/businessFunctions/pqd');
    expect(res.statusCode, res.body).toBe(200);
    const expanded = (await bfi('/businessFunctions?expand=true')).json().businessFunctions[0];
    expect(res.json()).toEqual({ businessFunction: expanded });
  });

  it('unknown business function → 404 naming it and what exists', async () => {
    const res = await bfi('/businessFunctions/sord');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_BUSINESS_FUNCTION_NOT_FOUND', errors: [expect.objectContaining({ in: 'path', name: 'businessFunctionId' })] });
    expect(res.json().detail).toMatch(/"sord".*NEM has: pqd/);
  });

  it('a business function of another market → 404 saying so', async () => {
    const res = await bfi('/businessFunctions/pqd', { headers: { 'x-market': 'QLDGAS' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().detail).toBe('pqd is a NEM business function, and x-market is QLDGAS');
  });

  it('a malformed id → 400 naming businessFunctionId', async () => {
    const res = await bfi('/businessFunctions/PQD');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_PATH_INVALID', errors: [expect.objectContaining({ in: 'path', name: 'businessFunctionId' })] });
  });
});

describe('Business Function Information — refusals', () => {
  it.each(['/businessFunctions', '/businessFunctions/pqd'])('%s without x-market → 400 IDX_ERR_HEADER_MISSING naming it (required on BFI, spec §3)', async (url) => {
    const res = await bfi(url, { headers: { 'x-market': undefined } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_HEADER_MISSING', errors: [expect.objectContaining({ in: 'header', name: 'x-market' })] });
  });

  it('an unknown market → 400 naming x-market', async () => {
    const res = await bfi('/businessFunctions', { headers: { 'x-market': 'nem' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_HEADER_INVALID', errors: [expect.objectContaining({ in: 'header', name: 'x-market' })] });
  });

  it('expand that is not a boolean → 400 naming expand; an unknown parameter → 400 naming it', async () => {
    for (const [query, name] of [['?expand=yes', 'expand'], ['?verbose=true', 'verbose']] as const) {
      const res = await bfi(`/businessFunctions${query}`);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'IDX_ERR_QUERY_INVALID', errors: [expect.objectContaining({ in: 'query', name })] });
    }
  });

  it('a token of another participant\'s URM user → 403 IDX_ERR_TOKEN_PARTICIPANT_MISMATCH, even unscoped', async () => {
    const foreign = await h().token('OTHERMC', '');
    const res = await h().app.inject({
      method: 'GET', url: '/bfinfo/v1/businessFunctions',
      headers: { authorization: `Bearer ${foreign}`, 'x-initiatingParticipantId': 'LNSPNORTH', 'x-market': 'NEM', ...certHeader(certificatePem('LNSPNORTH')) },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_TOKEN_PARTICIPANT_MISMATCH', errors: [expect.objectContaining({ in: 'header', name: 'Authorization' })] });
    expect(res.json().detail).toMatch(/othermc-api.*LNSPNORTH/);
  });

  it('another participant in x-initiatingParticipantId → 403 IDX_ERR_CERT_PARTICIPANT_MISMATCH', async () => {
    const res = await bfi('/businessFunctions', { pid: 'LNSPSOUTH', headers: { 'x-initiatingParticipantId': 'LNSPNORTH' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('IDX_ERR_CERT_PARTICIPANT_MISMATCH');
  });

  it('no token → 401; no client certificate → 401; no x-initiatingParticipantId → 400', async () => {
    const noToken = await bfi('/businessFunctions', { headers: { authorization: undefined } });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.json().code).toBe('IDX_ERR_TOKEN_MISSING');
    const noCert = await h().app.inject({ method: 'GET', url: '/bfinfo/v1/businessFunctions', headers: { 'x-initiatingParticipantId': 'LNSPNORTH', 'x-market': 'NEM' } });
    expect(noCert.statusCode).toBe(401);
    expect(noCert.json().code).toBe('IDX_ERR_CLIENT_CERT_REQUIRED');
    const noParticipant = await bfi('/businessFunctions', { headers: { 'x-initiatingParticipantId': undefined } });
    expect(noParticipant.statusCode).toBe(400);
    expect(noParticipant.json()).toMatchObject({ code: 'IDX_ERR_HEADER_MISSING', errors: [expect.objectContaining({ name: 'x-initiatingParticipantId' })] });
  });
});
