/**
 * Bearer tokens on the IDX APIs (spec §4.8, §13.1): RS256 JWTs from this hub only, within their lifetime on
 * the simulated clock (± the configured skew), for this issuer and audience, and granting the operation's
 * URM entity for the participant. Each forged or unfit token is refused with a detail that says why.
 */
import { createHmac, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { certHeader, certificatePem, pkiDir, useHarness } from '../helpers/harness.js';
import { expectRefusal } from '../helpers/problems.js';

const h = useHarness();
const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const parts = (token: string) => {
  const [header, claims, signature] = token.split('.') as [string, string, string];
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), claims: JSON.parse(Buffer.from(claims, 'base64url').toString()), signature };
};
const hubKey = () => createPrivateKey(readFileSync(pkiPaths(pkiDir()).tokenSigningKey));

/** A token signed with the hub's own key (so only the claim under test is wrong). */
function hubSigned(header: object, claims: object): string {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), hubKey()).toString('base64url')}`;
}

/** A genuine LNSPNORTH token, taken apart for forging. */
async function genuine() {
  const token = await h().token('LNSPNORTH', 'PQD_BPQD');
  return { token, ...parts(token) };
}

/** GET /pqd/v1/bpqd as LNSPNORTH (its own certificate) with this bearer token. */
const listWith = (token: string, participantId = 'LNSPNORTH') => h().app.inject({
  method: 'GET', url: '/pqd/v1/bpqd',
  headers: { authorization: `Bearer ${token}`, 'x-initiatingParticipantId': participantId, ...certHeader(certificatePem(participantId)) },
});

const tokenProblem = (body: { errors: unknown[] }, message: string) =>
  expect(body.errors).toEqual([{ in: 'header', name: 'Authorization', code: 'TOKEN', message }]);

describe('bearer token verification — forged tokens', () => {
  it('alg "none" (an unsigned token) → 401 IDX_ERR_TOKEN_INVALID', async () => {
    const { claims } = await genuine();
    const body = expectRefusal(h(), await listWith(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`), 401, 'IDX_ERR_TOKEN_INVALID');
    expect(body.detail).toBe('token algorithm "none" is not accepted; IDX tokens are RS256');
    tokenProblem(body, 'wrong alg');
  });

  it('HS256 "signed" with the hub\'s RSA public key (algorithm confusion) → 401 IDX_ERR_TOKEN_INVALID', async () => {
    const { header, claims } = await genuine();
    const publicPem = createPublicKey(hubKey()).export({ type: 'spki', format: 'pem' }).toString();
    const input = `${b64url({ ...header, alg: 'HS256' })}.${b64url(claims)}`;
    const forged = `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
    const body = expectRefusal(h(), await listWith(forged), 401, 'IDX_ERR_TOKEN_INVALID');
    expect(body.detail).toBe('token algorithm "HS256" is not accepted; IDX tokens are RS256');
  });

  it('tampered payload (claims changed, signature kept) → 401 IDX_ERR_TOKEN_INVALID', async () => {
    const { token, claims } = await genuine();
    const [head, , signature] = token.split('.');
    const widened = { ...claims, participants: { ...claims.participants, LNSPSOUTH: { PQD_BPQD: 'R' } } };
    const body = expectRefusal(h(), await listWith(`${head}.${b64url(widened)}.${signature}`), 401, 'IDX_ERR_TOKEN_INVALID');
    expect(body.detail).toMatch(/token signature does not verify against the hub key; was it issued by this simulator, and unmodified\?/);
    tokenProblem(body, 'bad signature');
  });

  it('unknown key id (kid) → 401 IDX_ERR_TOKEN_INVALID pointing at the JWKS', async () => {
    const { header, claims } = await genuine();
    const body = expectRefusal(h(), await listWith(hubSigned({ ...header, kid: 'someone-elses-key' }, claims)), 401, 'IDX_ERR_TOKEN_INVALID');
    expect(body.detail).toBe('token key id "someone-elses-key" is not a key of this hub (see the JWKS)');
    tokenProblem(body, 'unknown kid');
  });

  it('a token whose header is not base64url JSON → 401 IDX_ERR_TOKEN_INVALID', async () => {
    const { token } = await genuine();
    const body = expectRefusal(h(), await listWith(`%%%${token.slice(token.indexOf('.'))}`), 401, 'IDX_ERR_TOKEN_INVALID');
    expect(body.detail).toBe('the bearer token header or payload is not base64url JSON');
  });

  it('Authorization without the Bearer scheme → 401 IDX_ERR_TOKEN_MISSING', async () => {
    const res = await h().app.inject({
      method: 'GET', url: '/pqd/v1/bpqd',
      headers: { authorization: `Basic ${Buffer.from('lnspnorth-api:lnspnorth-secret').toString('base64')}`, 'x-initiatingParticipantId': 'LNSPNORTH', ...certHeader(certificatePem('LNSPNORTH')) },
    });
    const body = expectRefusal(h(), res, 401, 'IDX_ERR_TOKEN_MISSING');
    expect(body.detail).toBe('the Authorization header must use the Bearer scheme: `Authorization: Bearer <access_token>`');
  });

  it('not a compact JWT → 401 IDX_ERR_TOKEN_INVALID', async () => {
    const body = expectRefusal(h(), await listWith('not-a-jwt'), 401, 'IDX_ERR_TOKEN_INVALID');
    expect(body.detail).toMatch(/not a compact JWT \(header\.payload\.signature\)/);
  });
});

describe('bearer token verification — claims (simulated clock, skew 60 s)', () => {
  it('expired token → 401 IDX_ERR_TOKEN_EXPIRED once the clock passes exp + skew', async () => {
    const { token, claims } = await genuine();
    h().clock.set(claims.exp * 1000 + 60_000);
    expect((await listWith(token)).statusCode, 'at exp + skew it is still accepted').toBe(200);
    h().clock.advance(1000);
    const body = expectRefusal(h(), await listWith(token), 401, 'IDX_ERR_TOKEN_EXPIRED');
    expect(body.detail).toBe(`token expired at ${new Date(claims.exp * 1000).toISOString()}; request a new one from /oauth/v1/token`);
    tokenProblem(body, 'expired');
  });

  it('token not valid yet (nbf beyond the skew) → 401 IDX_ERR_TOKEN_INVALID', async () => {
    const { header, claims } = await genuine();
    const nbf = claims.iat + 61;
    const body = expectRefusal(h(), await listWith(hubSigned(header, { ...claims, nbf })), 401, 'IDX_ERR_TOKEN_INVALID');
    expect(body.detail).toBe(`token is not valid before ${new Date(nbf * 1000).toISOString()}`);
    tokenProblem(body, 'not yet valid');
    expect((await listWith(hubSigned(header, { ...claims, nbf: claims.iat + 60 }))).statusCode, 'within the skew').toBe(200);
  });

  it('wrong issuer → 401 IDX_ERR_TOKEN_INVALID naming both issuers', async () => {
    const { header, claims } = await genuine();
    const body = expectRefusal(h(), await listWith(hubSigned(header, { ...claims, iss: 'https://evil.example/oauth' })), 401, 'IDX_ERR_TOKEN_INVALID');
    expect(body.detail).toBe('token issuer "https://evil.example/oauth" is not "https://idx-sim.local/oauth/v1"');
    tokenProblem(body, 'wrong issuer');
  });

  it('wrong audience → 401 IDX_ERR_TOKEN_INVALID naming both audiences', async () => {
    const { header, claims } = await genuine();
    const body = expectRefusal(h(), await listWith(hubSigned(header, { ...claims, aud: 'another-api' })), 401, 'IDX_ERR_TOKEN_INVALID');
    expect(body.detail).toBe('token audience "another-api" is not "idx"');
    tokenProblem(body, 'wrong audience');
  });

  it('a token without the participants claim → 401 IDX_ERR_TOKEN_INVALID', async () => {
    const { header, claims } = await genuine();
    const { participants: _dropped, ...rest } = claims;
    const body = expectRefusal(h(), await listWith(hubSigned(header, rest)), 401, 'IDX_ERR_TOKEN_INVALID');
    expect(body.detail).toBe('token carries no participants claim');
  });
});

describe('bearer token verification — coverage of the request (URM entities per participant)', () => {
  it('a token of another participant (participants claim does not cover x-initiatingParticipantId) → 403 IDX_ERR_ENTITY_NOT_GRANTED', async () => {
    const southToken = await h().token('LNSPSOUTH', 'PQD_BPQD');
    const body = expectRefusal(h(), await listWith(southToken), 403, 'IDX_ERR_ENTITY_NOT_GRANTED');
    expect(body.detail).toMatch(/needs URM entity PQD_BPQD with read \(GET\) for LNSPNORTH; the token \(client lnspsouth-api, scope "PQD_BPQD"\) grants no PQD_BPQD for LNSPNORTH/);
  });

  it('a token holding the entity without the operation\'s CRUD letter (C, GET needs R) → 403 IDX_ERR_ENTITY_NOT_GRANTED', async () => {
    const res = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as('MDPONE', 'PQD_BPQD') });
    const body = expectRefusal(h(), res, 403, 'IDX_ERR_ENTITY_NOT_GRANTED');
    expect(body.detail).toMatch(/needs URM entity PQD_BPQD with read \(GET\) for MDPONE; .* grants only "C"/);
  });

  it('an unscoped token → 403 IDX_ERR_ENTITY_NOT_GRANTED telling to request the entity in the scope', async () => {
    const unscoped = await h().token('LNSPNORTH', '');
    const body = expectRefusal(h(), await listWith(unscoped), 403, 'IDX_ERR_ENTITY_NOT_GRANTED');
    expect(body.detail).toMatch(/\(client lnspnorth-api, no scope\) grants no PQD_BPQD for LNSPNORTH\. Request the entity in the token's scope/);
  });
});
