/**
 * OAuth 2.0 client-credentials access tokens (spec §4.8, §13.1): RS256 JWTs signed with the hub key,
 * verified with node:crypto. Only RS256 is accepted: `alg: none` and HS256 "signed" with the public key
 * (the classic algorithm-confusion attack) are refused before any signature check.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject, type JsonWebKey } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { headerProblem, IdxError } from '../domain/errors.js';
import type { Entitlements, UrmEntity } from '../domain/participants.js';
import type { Random } from '../domain/random.js';
import { privateKeyOf } from './parsed-pem.js';

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  client_id: string;
  /** Space-separated granted URM entity names. */
  scope: string;
  participants: Entitlements;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  lifetimeSeconds: number;
  clockSkewSeconds: number;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const authHeader = (message: string) => [headerProblem('Authorization', 'TOKEN', message)];

export class TokenService {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(privateKeyPem: string, private readonly settings: TokenSettings, private readonly clock: Clock, private readonly random: Random) {
    this.privateKey = privateKeyOf(privateKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
    // RFC 7638 thumbprint of the public JWK.
    const { e, kty, n } = this.publicKey.export({ format: 'jwk' });
    this.keyId = b64url(createHash('sha256').update(JSON.stringify({ e, kty, n })).digest());
  }

  issue(clientId: string, scope: readonly UrmEntity[], participants: Entitlements): { token: string; claims: TokenClaims } {
    const iat = Math.floor(this.clock.now() / 1000);
    const claims: TokenClaims = {
      iss: this.settings.issuer,
      sub: clientId,
      aud: this.settings.audience,
      iat,
      nbf: iat,
      exp: iat + this.settings.lifetimeSeconds,
      jti: this.random.uuid(),
      client_id: clientId,
      scope: scope.join(' '),
      participants,
    };
    const signingInput = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: this.keyId }))}.${b64url(JSON.stringify(claims))}`;
    return { token: `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), this.privateKey))}`, claims };
  }

  /** The verification key as a JWKS (spec §13.1). */
  jwks(): { keys: JsonWebKey[] } {
    return { keys: [{ ...this.publicKey.export({ format: 'jwk' }), kid: this.keyId, use: 'sig', alg: 'RS256' }] };
  }

  /** Verifies a compact JWT and returns its claims, or throws a 401 IdxError saying what is wrong. */
  verify(token: string): TokenClaims {
    // A client sends the same token for up to an hour: skip the RSA check for one already verified,
    // but re-check the time-dependent claims against the clock every time.
    const known = this.verified.get(token);
    const claims = known ?? this.verifySignature(token);
    this.checkTimes(claims);
    if (!known) {
      if (this.verified.size >= 10_000) this.verified.clear();
      this.verified.set(token, claims);
    }
    return claims;
  }

  private readonly verified = new Map<string, TokenClaims>();

  private verifySignature(token: string): TokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3) throw new IdxError('IDX_ERR_TOKEN_INVALID', 'the bearer token is not a compact JWT (header.payload.signature)', { errors: authHeader('not a JWT') });
    const [h, p, s] = parts as [string, string, string];
    let header: { alg?: unknown; kid?: unknown };
    let claims: Partial<TokenClaims>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      throw new IdxError('IDX_ERR_TOKEN_INVALID', 'the bearer token header or payload is not base64url JSON', { errors: authHeader('undecodable JWT') });
    }
    if (header.alg !== 'RS256') {
      throw new IdxError('IDX_ERR_TOKEN_INVALID', `token algorithm "${String(header.alg)}" is not accepted; IDX tokens are RS256`, { errors: authHeader('wrong alg') });
    }
    if (header.kid !== undefined && header.kid !== this.keyId) {
      throw new IdxError('IDX_ERR_TOKEN_INVALID', `token key id "${String(header.kid)}" is not a key of this hub (see the JWKS)`, { errors: authHeader('unknown kid') });
    }
    if (!verify('sha256', Buffer.from(`${h}.${p}`), this.publicKey, Buffer.from(s, 'base64url'))) {
      throw new IdxError('IDX_ERR_TOKEN_INVALID', 'token signature does not verify against the hub key; was it issued by this simulator, and unmodified?', { errors: authHeader('bad signature') });
    }
    if (typeof claims.exp !== 'number') {
      throw new IdxError('IDX_ERR_TOKEN_INVALID', 'token has no numeric exp claim', { errors: authHeader('no exp') });
    }
    if (claims.iss !== this.settings.issuer) {
      throw new IdxError('IDX_ERR_TOKEN_INVALID', `token issuer "${String(claims.iss)}" is not "${this.settings.issuer}"`, { errors: authHeader('wrong issuer') });
    }
    if (claims.aud !== this.settings.audience) {
      throw new IdxError('IDX_ERR_TOKEN_INVALID', `token audience "${String(claims.aud)}" is not "${this.settings.audience}"`, { errors: authHeader('wrong audience') });
    }
    if (typeof claims.participants !== 'object' || claims.participants === null) {
      throw new IdxError('IDX_ERR_TOKEN_INVALID', 'token carries no participants claim', { errors: authHeader('no participants') });
    }
    return claims as TokenClaims;
  }

  private checkTimes(claims: TokenClaims): void {
    const now = this.clock.now() / 1000;
    const skew = this.settings.clockSkewSeconds;
    if (now > claims.exp + skew) {
      throw new IdxError('IDX_ERR_TOKEN_EXPIRED', `token expired at ${new Date(claims.exp * 1000).toISOString()}; request a new one from /oauth/v1/token`, { errors: authHeader('expired') });
    }
    if (typeof claims.nbf === 'number' && now + skew < claims.nbf) {
      throw new IdxError('IDX_ERR_TOKEN_INVALID', `token is not valid before ${new Date(claims.nbf * 1000).toISOString()}`, { errors: authHeader('not yet valid') });
    }
  }
}

/** The credential of `Authorization: Bearer <credential>` (RFC 6750 §2.1, scheme case-insensitive), if the header is one. */
export function bearerCredential(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
}

/** The token in `Authorization: Bearer <token>`, or a 401 saying what is missing. */
export function bearerToken(authorization: string | undefined): string {
  if (!authorization) {
    throw new IdxError('IDX_ERR_TOKEN_MISSING', 'send `Authorization: Bearer <access_token>`; get a token from POST /oauth/v1/token',
      { errors: [headerProblem('Authorization', 'MISSING', 'header absent')] });
  }
  const token = bearerCredential(authorization);
  if (token === undefined) {
    throw new IdxError('IDX_ERR_TOKEN_MISSING', 'the Authorization header must use the Bearer scheme: `Authorization: Bearer <access_token>`',
      { errors: [headerProblem('Authorization', 'SCHEME', 'not a Bearer credential')] });
  }
  return token;
}
