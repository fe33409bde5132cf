/**
 * The token endpoint as an independent, standards-conformant OAuth client sees it (oauth4webapi): a token on
 * success, and on refusal the RFC 6749 §5.2 `error` code the library surfaces — the code a participant's own
 * library (Spring Security, MSAL, oauthlib, Go x/oauth2, openid-client) reads. The library talks to the app
 * through `customFetch` and `app.inject`: no sockets.
 */
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { certHeader, certificatePem, useHarness } from '../helpers/harness.js';

const h = useHarness();
const as: oauth.AuthorizationServer = { issuer: 'https://idx.test', token_endpoint: 'https://idx.test/oauth/v1/token' };

/** fetch, as the library calls it, answered by the app in-process; the MDPONE certificate stands in for mTLS. */
const viaInject = (async (url: string, init: { method: string; headers: Record<string, string>; body: URLSearchParams }) => {
  const res = await h().app.inject({
    method: init.method as 'POST',
    url: new URL(url).pathname,
    headers: { ...init.headers, ...certHeader(certificatePem('MDPONE')) },
    payload: init.body.toString(),
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers.set(name, String(value));
  return new Response(res.rawPayload, { status: res.statusCode, headers });
}) as unknown as typeof fetch;
const options = { [oauth.customFetch]: viaInject };

/** The client-credentials grant, as an application using the library would make it. */
async function grant(clientId: string, auth: oauth.ClientAuth, parameters: URLSearchParams | Record<string, string> = { scope: 'PQD_BPQD' }) {
  const client: oauth.Client = { client_id: clientId };
  return oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, options));
}

/** What the library throws, or fails the test when it returns a token. */
async function refusal(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then((value) => expect.fail(`expected a refusal, got ${JSON.stringify(value)}`), (err: unknown) => err);
}

describe('the token endpoint through a standard OAuth 2.0 client (oauth4webapi, RFC 6749 §5.1, §5.2)', () => {
  it('gets a token with client_secret_post and with client_secret_basic', async () => {
    const post = await grant('mdpone-api', oauth.ClientSecretPost('mdpone-secret'));
    expect(post.token_type).toBe('bearer');
    expect(post.expires_in).toBe(3599);
    const basic = await grant('mdpone-api', oauth.ClientSecretBasic('mdpone-secret'));
    expect(JSON.parse(Buffer.from(basic.access_token.split('.')[1]!, 'base64url').toString())).toMatchObject({ sub: 'mdpone-api', scope: 'PQD_BPQD' });
  });

  it.each([
    ['a wrong secret', 'mdpone-api', 'wrong'],
    ['an unknown client', 'nobody-api', 'mdpone-secret'],
  ])('surfaces invalid_client for %s sent in the form (401)', async (_label, clientId, secret) => {
    const err = await refusal(grant(clientId, oauth.ClientSecretPost(secret)));
    expect(err).toBeInstanceOf(oauth.ResponseBodyError);
    const e = err as oauth.ResponseBodyError;
    expect({ error: e.error, status: e.status }).toEqual({ error: 'invalid_client', status: 401 });
    expect(e.error_description).toMatch(/client_secret/);
    // Still the hub's problem details: stable code and trace id beside the RFC 6749 members.
    expect(e.cause).toMatchObject({ code: 'IDX_ERR_INVALID_CLIENT', traceId: expect.any(String) });
  });

  it('with HTTP Basic, a wrong secret is 401 with a Basic challenge (RFC 6749 §5.2 MUST) and invalid_client in the body', async () => {
    const err = await refusal(grant('mdpone-api', oauth.ClientSecretBasic('wrong')));
    expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const e = err as oauth.WWWAuthenticateChallengeError;
    expect(e.status).toBe(401);
    expect(e.cause.map((c) => c.scheme)).toEqual(['basic']);
    expect(await e.response.json()).toMatchObject({ error: 'invalid_client', code: 'IDX_ERR_INVALID_CLIENT' });
  });

  it('surfaces unsupported_grant_type for another grant type (400)', async () => {
    const client: oauth.Client = { client_id: 'mdpone-api' };
    const response = await oauth.genericTokenEndpointRequest(as, client, oauth.ClientSecretPost('mdpone-secret'), 'password',
      new URLSearchParams({ username: 'u', password: 'p' }), options);
    const err = await refusal(oauth.processGenericTokenEndpointResponse(as, client, response));
    expect(err).toBeInstanceOf(oauth.ResponseBodyError);
    expect(err).toMatchObject({ error: 'unsupported_grant_type', status: 400, cause: { code: 'IDX_ERR_UNSUPPORTED_GRANT_TYPE' } });
  });

  it('surfaces invalid_request for a malformed request: a parameter sent twice (400)', async () => {
    const err = await refusal(grant('mdpone-api', oauth.ClientSecretPost('mdpone-secret'), new URLSearchParams([['scope', 'PQD_BPQD'], ['scope', 'FCTRL_FCTRL']])));
    expect(err).toBeInstanceOf(oauth.ResponseBodyError);
    expect(err).toMatchObject({ error: 'invalid_request', status: 400, cause: { code: 'IDX_ERR_FORM_INVALID', errors: [{ in: 'form', name: 'scope' }] } });
  });
});
