/**
 * Authentication and URM authorisation for every IDX route (spec §6, §13.1–§13.2), driven by each
 * operation's `security` requirement in the OpenAPI documents (`mutualTLS`, `idxOAuth` with the URM entity
 * as its scope, `adminKey`) and the CRUD letter of its `x-idx-auth` (src/contract/openapi.ts, `RouteAuth`):
 *   onRequest  — client certificate (mTLS) and bearer token, before the body is read;
 *   preHandler — after header validation: the certificate covers x-initiatingParticipantId, and the
 *                token grants the operation's URM entity and CRUD letter for that participant.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { RouteAuth } from '../contract/openapi.js';
import { headerProblem, IdxError } from '../domain/errors.js';
import { hasPermission, isUrmEntity, type Crud } from '../domain/participants.js';
import { checkRegistration, inspectCertificate, type ClientCertificate } from '../security/client-identity.js';
import { sameSecret } from '../security/same-secret.js';
import { bearerCredential, bearerToken, type TokenClaims } from '../security/tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's client certificate, once authenticated. */
    client?: ClientCertificate;
    /** The caller's access-token claims, once authenticated. */
    token?: TokenClaims;
  }
}

/** Where the peer certificate comes from: the TLS socket in production; tests may inject one. */
export type PeerCertificateSource = (request: FastifyRequest) => Buffer | string | undefined;

export const tlsPeerCertificate: PeerCertificateSource = (request) => {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const raw = socket.getPeerCertificate().raw;
  return raw && raw.length ? raw : undefined;
};

const CRUD_WORDS: Record<string, string> = { C: 'create (POST)', R: 'read (GET)', U: 'update (PATCH)', D: 'delete (DELETE)' };

export class Authenticator {
  /** Certificate inspection is done once per TLS connection (STYLE: read the peer certificate once). */
  private readonly perConnection = new WeakMap<object, ClientCertificate>();

  constructor(private readonly ctx: AppContext, private readonly peerCertificate: PeerCertificateSource = tlsPeerCertificate) {}

  /** onRequest: who is calling. */
  authenticate(request: FastifyRequest, auth: RouteAuth): void {
    if (auth.admin) return this.checkAdminKey(request);
    if (auth.certificate) request.client = this.clientCertificate(request);
    if (auth.token) request.token = this.ctx.tokens.verify(bearerToken(request.headers.authorization));
  }

  /** preHandler: may they do this, for this participant. */
  authorize(request: FastifyRequest, auth: RouteAuth): void {
    const participantId = request.headers['x-initiatingparticipantid'];
    if (typeof participantId !== 'string') return; // operations without the header authorise on the token alone
    if (request.client && !request.client.participantIds.includes(participantId)) {
      throw new IdxError('IDX_ERR_CERT_PARTICIPANT_MISMATCH',
        `the client certificate ${request.client.commonName} covers ${request.client.participantIds.join(', ')}, not ${participantId}`,
        { errors: [headerProblem('x-initiatingParticipantId', 'CERTIFICATE_PARTICIPANT', `not covered by certificate ${request.client.commonName}`)] });
    }
    if (!request.token) return;
    if (!auth.entity) {
      this.requireTokenHolder(request.token, participantId);
      return;
    }
    if (!isUrmEntity(auth.entity)) throw new Error(`the security requirement names unknown URM entity ${auth.entity} as its idxOAuth scope`);
    const letter = (auth.permission === 'delete' ? this.ctx.config.deletePermission : auth.permission ?? 'R') as Crud;
    if (!hasPermission(request.token.participants, participantId, auth.entity, letter)) {
      const held = request.token.participants[participantId]?.[auth.entity];
      const scopes = request.token.scope ? `scope "${request.token.scope}"` : 'no scope';
      throw new IdxError('IDX_ERR_ENTITY_NOT_GRANTED',
        `this operation needs URM entity ${auth.entity} with ${CRUD_WORDS[letter] ?? letter} for ${participantId}; the token (client ${request.token.client_id}, ${scopes}) ` +
        (held ? `grants only "${held}"` : `grants no ${auth.entity} for ${participantId}`) +
        `. Request the entity in the token's scope, and check the URM user holds it.`,
        { errors: [headerProblem('Authorization', 'ENTITY', `${auth.entity}:${letter} for ${participantId} not granted`)] });
    }
  }

  private checkAdminKey(request: FastifyRequest): void {
    const presented = bearerCredential(request.headers.authorization);
    if (!presented || !sameSecret(presented, this.ctx.config.adminKey)) {
      request.log.warn({ controlAction: 'refused', url: request.url, method: request.method, remoteAddress: request.ip, reason: presented ? 'wrong key' : 'no key' }, 'control API: key refused');
      throw new IdxError('IDX_ERR_ADMIN_KEY', 'the simulator control API needs `Authorization: Bearer <IDX_SIM_ADMIN_KEY>`',
        { errors: [headerProblem('Authorization', 'ADMIN_KEY', presented ? 'wrong key' : 'missing')] });
    }
  }

  /**
   * Operations that need no URM entity (Business Function Information, spec §4.4) take an unscoped
   * token, which names no participant. It must still be a token of a URM user of x-initiatingParticipantId:
   * a token is never a pass for another participant, even with a certificate that covers this one.
   */
  private requireTokenHolder(token: TokenClaims, participantId: string): void {
    if (participantId in token.participants || this.ctx.participants.urmUserParticipants(token.client_id).includes(participantId)) return;
    throw new IdxError('IDX_ERR_TOKEN_PARTICIPANT_MISMATCH',
      `the token was issued to URM user ${token.client_id}, which does not act for ${participantId}; request a token with a URM user of ${participantId}`,
      { errors: [headerProblem('Authorization', 'TOKEN_PARTICIPANT', `token of ${token.client_id}, not of a ${participantId} user`)] });
  }

  /**
   * The certificate is parsed and its issuer and CN checked once per TLS connection; its registration
   * (revoked? replaced? active slot?) and validity on the simulated clock are checked on every request.
   */
  private clientCertificate(request: FastifyRequest): ClientCertificate {
    // Injected test requests may have no socket object to cache on.
    const socket: object | undefined = request.raw.socket ?? undefined;
    let cert = socket && this.perConnection.get(socket);
    if (!cert) {
      const raw = this.peerCertificate(request);
      if (!raw) {
        throw new IdxError('IDX_ERR_CLIENT_CERT_REQUIRED',
          'IDX APIs are mTLS-only: present your participant certificate (e.g. certs/participants/<ID>/primary.crt and .key) in the TLS handshake',
          { errors: [{ in: 'tls', name: 'client-certificate', code: 'MISSING', message: 'no client certificate' }] });
      }
      cert = inspectCertificate(raw, this.ctx.ca, this.ctx.config.certificateEnvironment, (pid) => this.ctx.participants.participant(pid) !== undefined);
      if (socket) this.perConnection.set(socket, cert);
    }
    // A certificate may serve several participant ids (spec §6): x-initiatingParticipantId says which registration to judge.
    const requested = request.headers['x-initiatingparticipantid'];
    return checkRegistration(cert, this.ctx.certificates.view(), this.ctx.config.tlsCertificateSlots, this.ctx.clock.now(),
      typeof requested === 'string' ? requested : undefined);
  }
}
