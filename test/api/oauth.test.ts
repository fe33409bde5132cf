import { describe, expect, it } from 'vitest';
import { certHeader, certificatePem, useHarness } from '../helpers/harness.js';

const h = useHarness();
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const tokenRequest = (payload: string, headers: Record<string, string> = {}) => h().app.inject({
  method: 'POST', url: '/oauth/v1/token',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...certHeader(certificatePem('MDPONE')), ...headers },
  payload,
});
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

describe('POST /oauth/v1/token (spec §4.8)', () => {
  it('issues an RS256 bearer token valid for 3599 s with the published response shape', async () => {
    const res = await tokenRequest(form({ grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: 'mdpone-secret', scope: 'PQD_BPQD' }));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    expect(JSON.parse(Buffer.from(body.access_token.split('.')[0], 'base64url').toString())).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const claims = claimsOf(body.access_token);
    expect(claims).toMatchObject({ sub: 'mdpone-api', aud: 'idx', scope: 'PQD_BPQD', participants: { MDPONE: { PQD_BPQD: 'C' } } });
    expect(claims.exp - claims.iat).toBe(3599);
    expect(claims.iat).toBe(Math.floor(h().clock.now() / 1000));
  });

  it('silently drops unknown and unentitled scope names', async () => {
    const res = await tokenRequest(form({ grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: 'mdpone-secret', scope: 'PQD_BPQD NOT_AN_ENTITY ARCH_RETRIEVE FCTRL_FCTRL' }));
    expect(res.statusCode).toBe(200);
    const claims = claimsOf(res.json().access_token);
    expect(claims.scope).toBe('PQD_BPQD');
    expect(claims.participants).toEqual({ MDPONE: { PQD_BPQD: 'C' } });
  });

  it('gives an unscoped token no entities', async () => {
    const res = await tokenRequest(form({ grant_type: 'client_credentials', client_id: 'lnspnorth-api', client_secret: 'lnspnorth-secret' }));
    expect(res.statusCode).toBe(200);
    expect(claimsOf(res.json().access_token)).toMatchObject({ scope: '', participants: {} });
  });

  it('accepts HTTP Basic client credentials', async () => {
    const res = await tokenRequest(form({ grant_type: 'client_credentials', scope: 'PQD_BPQD' }),
      { authorization: `Basic ${Buffer.from('lnspnorth-api:lnspnorth-secret').toString('base64')}` });
    expect(res.statusCode).toBe(200);
    expect(claimsOf(res.json().access_token).participants).toEqual({ LNSPNORTH: { PQD_BPQD: 'R' } });
  });

  it('accepts HTTP Basic credentials form-urlencoded before base64 (RFC 6749 §2.3.1), as standard OAuth libraries send them', async () => {
    const res = await tokenRequest(form({ grant_type: 'client_credentials', scope: 'PQD_BPQD' }),
      { authorization: `Basic ${Buffer.from('lnspnorth%2Dapi:lnspnorth%2Dsecret').toString('base64')}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(claimsOf(res.json().access_token).sub).toBe('lnspnorth-api');
  });

  it.each([
    ['a wrong secret', { client_id: 'mdpone-api', client_secret: 'nope' }],
    ['an unknown client', { client_id: 'nobody-api', client_secret: 'mdpone-secret' }],
    ['no credentials', {}],
  ])('refuses %s with 401 problem+json carrying invalid_client (RFC 6749 §5.2), no challenge', async (_label, creds) => {
    const res = await tokenRequest(form({ grant_type: 'client_credentials', ...creds }));
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_INVALID_CLIENT', status: 401, traceId: res.headers['x-traceid'], error: 'invalid_client', error_description: expect.any(String) });
  });

  it('answers a client that failed HTTP Basic with 401, invalid_client and the Basic challenge (RFC 6749 §5.2 MUST)', async () => {
    const res = await tokenRequest(form({ grant_type: 'client_credentials' }), { authorization: `Basic ${Buffer.from('mdpone-api:wrong').toString('base64')}` });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="idx-sim", charset="UTF-8"');
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_INVALID_CLIENT', error: 'invalid_client' });
  });

  it.each([
    ['application/json', 'application/json'],
    ['application/json;charset=UTF-8', 'application/json'],
    ['application/json, */*', 'application/json'],
    ['application/problem+json, application/json', 'application/problem+json'],
    ['*/*', 'application/problem+json'],
  ])('answers Accept: %s with the refusal as %s (RFC 6749 §5.2 prescribes application/json; OAuth libraries ask for it), the same members', async (accept, type) => {
    const res = await tokenRequest(form({ grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: 'nope' }), { accept });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']?.toString().split(';')[0]).toBe(type);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_INVALID_CLIENT', traceId: res.headers['x-traceid'], error: 'invalid_client' });
  });

  it('refuses another grant type with unsupported_grant_type; error_description keeps to the characters RFC 6749 §5.2 allows', async () => {
    const res = await tokenRequest(form({ grant_type: 'password', client_id: 'mdpone-api', client_secret: 'mdpone-secret' }));
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ code: 'IDX_ERR_UNSUPPORTED_GRANT_TYPE', errors: [{ in: 'form', name: 'grant_type' }], error: 'unsupported_grant_type' });
    expect(body.detail).toContain('"password"');
    expect(body.error_description).toBe(body.detail.replace(/"/g, "'"));
    expect(body.error_description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  });

  it('marks token responses, tokens and refusals, not cacheable (RFC 6749 §5.1: Cache-Control no-store, Pragma no-cache)', async () => {
    for (const secret of ['mdpone-secret', 'nope']) {
      const res = await tokenRequest(form({ grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: secret }));
      expect([res.statusCode, res.headers['cache-control'], res.headers.pragma]).toEqual([secret === 'nope' ? 401 : 200, 'no-store', 'no-cache']);
    }
  });

  it('ignores form parameters it does not know (RFC 6749 §3.2: "MUST ignore unrecognized request parameters"), e.g. audience and resource', async () => {
    const res = await tokenRequest(form({
      grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: 'mdpone-secret', scope: 'PQD_BPQD',
      audience: 'https://apis.nem.marketnet.net.au', resource: 'https://apis.nem.marketnet.net.au/pqd/v1',
    }));
    expect(res.statusCode, res.body).toBe(200);
    // Ignored means ignored: the token is what the same request without them gets.
    expect(claimsOf(res.json().access_token)).toMatchObject({ aud: 'idx', scope: 'PQD_BPQD', participants: { MDPONE: { PQD_BPQD: 'C' } } });
  });

  it.each([
    ['grant_type missing', { client_id: 'mdpone-api', client_secret: 'mdpone-secret', audience: 'x' }, 'grant_type', 'IDX_ERR_FORM_INVALID'],
    ['an empty client_id', { grant_type: 'client_credentials', client_id: '', client_secret: 'mdpone-secret', resource: 'x' }, 'client_id', 'IDX_ERR_FORM_INVALID'],
    ['an empty client_secret', { grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: '' }, 'client_secret', 'IDX_ERR_FORM_INVALID'],
  ])('still refuses %s with 400 naming the field, unknown fields beside it or not', async (_label, fields, name, code) => {
    const res = await tokenRequest(form(fields as Record<string, string>));
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code, errors: [expect.objectContaining({ in: 'form', name })], error: 'invalid_request' });
  });

  it('refuses a known parameter sent twice (RFC 6749 §3.2: "MUST NOT be included more than once")', async () => {
    const res = await tokenRequest('grant_type=client_credentials&client_id=mdpone-api&client_secret=mdpone-secret&scope=PQD_BPQD&scope=FCTRL_FCTRL');
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_FORM_INVALID', errors: [{ in: 'form', name: 'scope', code: 'REPEATED' }], error: 'invalid_request' });
  });

  it('still refuses unknown query parameters (docs/spec-variance.md #33)', async () => {
    const res = await h().app.inject({
      method: 'POST', url: '/oauth/v1/token?audience=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...certHeader(certificatePem('MDPONE')) },
      payload: form({ grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: 'mdpone-secret' }),
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_QUERY_INVALID', errors: [{ in: 'query', name: 'audience' }] });
  });

  it('refuses a JSON body with 415', async () => {
    const res = await h().app.inject({
      method: 'POST', url: '/oauth/v1/token', headers: { 'content-type': 'application/json', ...certHeader(certificatePem('MDPONE')) },
      payload: { grant_type: 'client_credentials' },
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_CONTENT_TYPE_UNSUPPORTED', error: 'invalid_request' });
  });

  it('refuses a form over 64 KiB with 413 invalid_request', async () => {
    const res = await tokenRequest(form({ grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: 'mdpone-secret', pad: 'x'.repeat(70_000) }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_PAYLOAD_TOO_LARGE', error: 'invalid_request' });
    // The limit it names is the form's, not the 10 MB of a BPQD payload.
    expect(res.json().detail).toBe('request body exceeds 65536 bytes');
  });

  it('needs a client certificate like every IDX API', async () => {
    const res = await h().app.inject({
      method: 'POST', url: '/oauth/v1/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: 'mdpone-secret' }),
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_CLIENT_CERT_REQUIRED', error: 'invalid_client' });
  });

  it('publishes the verification key as a JWKS whose kid is in the token header', async () => {
    const token = await h().token('MDPONE');
    const res = await h().app.inject({ method: 'GET', url: '/oauth/v1/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    const [key] = res.json().keys;
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe(key.kid);
  });
});
