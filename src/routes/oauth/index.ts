/** Access Token API (spec §4.8): client credentials → RS256 bearer token, and the JWKS to verify it. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import { oauthDescription, oauthErrorOf } from '../../domain/oauth-errors.js';
import { grantScopes } from '../../domain/participants.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import { FORM_BODY_LIMIT_BYTES, toIdxError } from '../../plugins/problem-details.js';

/** RFC 6749 §5.1, §5.2: token responses, tokens and refusals alike, must not be stored by caches. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * Whether the client names `application/json` in Accept and not `application/problem+json`, as OAuth
 * libraries do (`Accept: application/json`): it gets the type RFC 6749 §5.2 prescribes, the only one
 * oauth4webapi/openid-client read an error from. Any other client gets the hub's problem+json.
 */
function acceptsOnlyJson(accept: string | undefined): boolean {
  const types = (accept ?? '').split(',').map((range) => range.split(';')[0]!.trim().toLowerCase());
  return types.includes('application/json') && !types.includes('application/problem+json');
}

/**
 * A token-endpoint refusal as RFC 6749 §5.2 has it, for the client's OAuth library: the problem details
 * gain `error` and `error_description`, in the media type the client accepts. A client that tried HTTP
 * Basic and was not accepted gets the Basic challenge §5.2 requires with the 401.
 */
function tokenRefusal(err: IdxError, request: FastifyRequest): IdxError {
  const error = oauthErrorOf(err.code, err.status);
  const headers: Record<string, string> = { ...err.headers, ...NO_STORE };
  if (error === 'invalid_client' && request.headers.authorization !== undefined) headers['www-authenticate'] = 'Basic realm="idx-sim", charset="UTF-8"';
  return new IdxError(err.code, err.detail, {
    errors: err.errors,
    headers,
    status: err.status,
    ...(err.messageContextId ? { messageContextId: err.messageContextId } : {}),
    ...(error ? {
      members: { error, error_description: oauthDescription(err.detail) },
      mediaType: acceptsOnlyJson(request.headers.accept) ? 'application/json' : 'application/problem+json',
    } : {}),
  });
}

const formError = (name: string, code: string, message: string) => ({ errors: [{ in: 'form' as const, name, code, message }] });

/**
 * `Authorization: Basic base64(id:secret)`, accepted as an alternative to the form fields (spec §13.1).
 * RFC 6749 §2.3.1 form-urlencodes id and secret before base64 (standard libraries send `mdpone%2Dapi`);
 * AEMO's legacy gateway took them as typed. Both readings are returned, the RFC's first.
 */
function basicCredentials(header: string | undefined): Array<{ id: string; secret: string }> {
  const match = header && /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return [];
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return [];
  const raw = { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  const formDecode = (text: string) => {
    try {
      return decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  };
  const id = formDecode(raw.id);
  const secret = formDecode(raw.secret);
  const rfc = id !== undefined && secret !== undefined && (id !== raw.id || secret !== raw.secret) ? [{ id, secret }] : [];
  return [...rfc, raw];
}

export async function oauthRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  // Only form bodies: a JSON body is refused with 415 rather than guessed at.
  app.removeAllContentTypeParsers();
  // RFC 6749 §3.2: unknown parameters are ignored (the schema is open), known ones may appear only once.
  const known = new Set(Object.keys(ctx.contract.route('requestToken').schema.body?.properties ?? {}));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT_BYTES }, (_req, body, done) => {
    const params = new URLSearchParams(body as string);
    const repeated = [...known].filter((name) => params.getAll(name).length > 1);
    if (repeated.length) {
      done(new IdxError('IDX_ERR_FORM_INVALID', `${repeated.join(', ')} sent more than once; each token request parameter may appear only once (RFC 6749 §3.2)`,
        { errors: repeated.map((name) => ({ in: 'form' as const, name, code: 'REPEATED', message: `${name} appears ${params.getAll(name).length} times` })) }), undefined);
      return;
    }
    done(null, Object.fromEntries(params));
  });

  contractRoute(app, ctx, auth, 'requestToken', async (request, reply) => {
    const form = request.body;
    if (form.grant_type !== 'client_credentials') {
      throw new IdxError('IDX_ERR_UNSUPPORTED_GRANT_TYPE', `grant_type "${form.grant_type}" is not supported; IDX uses client_credentials`,
        formError('grant_type', 'GRANT_TYPE', 'must be client_credentials'));
    }
    const basic = basicCredentials(request.headers.authorization);
    const candidates = basic.map((b) => ({ id: form.client_id ?? b.id, secret: form.client_secret ?? b.secret }));
    const { id, secret } = candidates[0] ?? { id: form.client_id, secret: form.client_secret };
    if (!id || !secret) {
      throw new IdxError('IDX_ERR_INVALID_CLIENT', 'send client_id and client_secret (your URM API user name and password) in the form, or as HTTP Basic',
        formError(id ? 'client_secret' : 'client_id', 'MISSING', 'required'));
    }
    const user = ctx.participants.authenticate(id, secret) ?? candidates.slice(1).map((c) => ctx.participants.authenticate(c.id, c.secret)).find(Boolean);
    if (!user) {
      throw new IdxError('IDX_ERR_INVALID_CLIENT', 'unknown client_id or wrong client_secret', formError('client_secret', 'CREDENTIALS', 'not accepted'));
    }
    const granted = grantScopes(user, (form.scope ?? '').split(/\s+/).filter(Boolean));
    const { token } = ctx.tokens.issue(user.clientId, granted.scope, granted.participants);
    reply.headers(NO_STORE);
    return { access_token: token, token_type: 'Bearer', expires_in: ctx.config.tokenLifetimeSeconds };
  }, {
    // The token route's refusals — the certificate check, the form parser, the handler — pass through here
    // on their way to the hub's one error handler, which sends them. A failure of the hub itself (not an
    // IdxError, answered 5xx) goes on as it came, so it is logged with its stack.
    errorHandler: (err: Error, request) => {
      const idxError = toIdxError(err, ctx, request);
      throw err instanceof IdxError || idxError.status < 500 ? tokenRefusal(idxError, request) : err;
    },
  });

  contractRoute(app, ctx, auth, 'getJwks', async () => ctx.tokens.jwks());
}
