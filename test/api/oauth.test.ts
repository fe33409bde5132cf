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
  ])('refuses %s with 401 problem+json', async (_label, creds) => {
    const res = await tokenRequest(form({ grant_type: 'client_credentials', ...creds }));
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_INVALID_CLIENT', status: 401, traceId: res.headers['x-traceid'] });
  });

  it('refuses another grant type', async () => {
    const res = await tokenRequest(form({ grant_type: 'password', client_id: 'mdpone-api', client_secret: 'mdpone-secret' }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_UNSUPPORTED_GRANT_TYPE', errors: [{ in: 'form', name: 'grant_type' }] });
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
    expect(res.json()).toMatchObject({ code, errors: [expect.objectContaining({ in: 'form', name })] });
  });

  it('refuses a known parameter sent twice (RFC 6749 §3.2: "MUST NOT be included more than once")', async () => {
    const res = await tokenRequest('grant_type=client_credentials&client_id=mdpone-api&client_secret=mdpone-secret&scope=PQD_BPQD&scope=FCTRL_FCTRL');
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_FORM_INVALID', errors: [{ in: 'form', name: 'scope', code: 'REPEATED' }] });
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
    expect(res.json().code).toBe('IDX_ERR_CONTENT_TYPE_UNSUPPORTED');
  });

  it('needs a client certificate like every IDX API', async () => {
    const res = await h().app.inject({
      method: 'POST', url: '/oauth/v1/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: 'mdpone-secret' }),
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('IDX_ERR_CLIENT_CERT_REQUIRED');
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
