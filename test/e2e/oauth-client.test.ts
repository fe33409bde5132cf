/**
 * A standard OAuth 2.0 client library (openid-client, client credentials) against the token endpoint over
 * mTLS, as a participant's own client would call it: the library adds parameters IDX does not define
 * (`resource`, `audience`), which RFC 6749 §3.2 says the server must ignore (docs/spec-variance.md #33).
 */
import * as oauth from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { useE2eServer } from '../helpers/e2e.js';

const e2e = useE2eServer('oauth-client');

describe('openid-client, client credentials over mTLS', () => {
  const agents: Agent[] = [];
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
  });

  /** A client configuration for a URM API user, presenting the participant's certificate in the TLS handshake. */
  function configFor(participantId: string, authentication: 'post' | 'basic'): oauth.Configuration {
    const pid = participantId.toLowerCase();
    const server = { issuer: e2e.server.ctx.config.tokenIssuer, token_endpoint: `${e2e.server.url}/oauth/v1/token` };
    const config = new oauth.Configuration(server, `${pid}-api`, undefined,
      authentication === 'post' ? oauth.ClientSecretPost(`${pid}-secret`) : oauth.ClientSecretBasic(`${pid}-secret`));
    const agent = new Agent({ connect: { ...e2e.tls(participantId), servername: 'localhost' } });
    agents.push(agent);
    config[oauth.customFetch] = ((url: string, options: object) => undiciFetch(url, { ...options, dispatcher: agent })) as never;
    return config;
  }

  it('gets a token with client_secret_post, scope, resource and audience; the token serves the PQD API', async () => {
    const tokens = await oauth.clientCredentialsGrant(configFor('LNSPNORTH', 'post'), {
      scope: 'PQD_BPQD', resource: 'https://apis.nem.ppd.marketnet.net.au/pqd/v1', audience: 'idx',
    });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(3599);
    expect(tokens.scope).toBeUndefined();
    const res = await e2e.call('LNSPNORTH', 'GET', '/pqd/v1/bpqd', { authorization: `Bearer ${tokens.access_token}`, 'x-initiatingParticipantId': 'LNSPNORTH' });
    expect(res.status, res.bytes.toString()).toBe(200);
  });

  it('gets a token with client_secret_basic', async () => {
    const tokens = await oauth.clientCredentialsGrant(configFor('MDPONE', 'basic'), { scope: 'PQD_BPQD', resource: 'https://apis.nem.ppd.marketnet.net.au/pqd/v1' });
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'mdpone-api', scope: 'PQD_BPQD', participants: { MDPONE: { PQD_BPQD: 'C' } } });
  });

  it('a wrong secret is refused with 401, and the library reports the RFC 6749 §5.2 error invalid_client', async () => {
    const config = configFor('MDPONE', 'post');
    const wrong = new oauth.Configuration(config.serverMetadata(), 'mdpone-api', undefined, oauth.ClientSecretPost('wrong'));
    wrong[oauth.customFetch] = config[oauth.customFetch]!;
    const err = await oauth.clientCredentialsGrant(wrong, { resource: 'https://apis.nem.ppd.marketnet.net.au/pqd/v1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(oauth.ResponseBodyError);
    expect(err).toMatchObject({ status: 401, error: 'invalid_client', cause: { code: 'IDX_ERR_INVALID_CLIENT' } });
  });
});
