/**
 * Control API: participants, URM users and certificates changed while the hub runs (issue #10). The hub
 * reads the same tables on every request, so a participant added here gets a token, passes mTLS and
 * submits on its next request.
 */
import { X509Certificate } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import type { CertificateSlot } from '../../domain/certificate-rules.js';
import { bodyProblem, IdxError } from '../../domain/errors.js';
import { formatMarketDateTime } from '../../domain/market-time.js';
import type { Entitlements, MarketRole } from '../../domain/participants.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import type { SimDataStore } from '../../store/sim-data-store.js';

const notFound = (what: string, name: string, value: string) => new IdxError('IDX_ERR_SIM_NOT_FOUND', `no ${what} ${value}`,
  { errors: [{ in: 'path', name, code: 'NOT_FOUND', message: value }] });

export async function simParticipantRoutes(app: FastifyInstance, { ctx, auth, data }: { ctx: AppContext; auth: Authenticator; data: SimDataStore }): Promise<void> {
  const requireParticipant = (participantId: string) => {
    const p = data.participant(participantId);
    if (!p) throw notFound('participant', 'participantId', participantId);
    return p;
  };

  const certificatesOf = (participantId: string) => {
    const view = ctx.certificates.view();
    const active = view.activeSlot(participantId).slot;
    return view.certificates.filter((c) => c.participantId === participantId).map((c) => ({
      participantId, slot: c.slot, serialNumber: c.serialNumber, commonName: c.commonName, fingerprint256: c.fingerprint256,
      validFrom: formatMarketDateTime(c.validFrom), validTo: formatMarketDateTime(c.validTo),
      current: c.replacedAt === null, revoked: c.revokedAt !== null, active: c.replacedAt === null && c.slot === active,
    }));
  };

  contractRoute(app, ctx, auth, 'listParticipants', async () => ({ data: data.participants() }));

  contractRoute(app, ctx, auth, 'putParticipant', async (request, reply) => {
    const { participantId } = request.params as { participantId: string };
    const body = request.body as { name: string; role: MarketRole };
    const existing = data.participant(participantId);
    if (existing && existing.role !== body.role && data.rolesOf(participantId) > 0) {
      throw new IdxError('IDX_ERR_SCHEMA_INVALID', `${participantId} holds ${existing.role} roles in NMI standing data; end them before changing its role`,
        { errors: [bodyProblem('/role', 'ROLE_IN_USE', `${existing.role} roles in standing data`)] });
    }
    data.upsertParticipant({ participantId, name: body.name, role: body.role });
    return reply.code(existing ? 200 : 201).send({ data: data.participant(participantId) });
  });

  contractRoute(app, ctx, auth, 'deleteParticipant', async (request, reply) => {
    const { participantId } = request.params as { participantId: string };
    requireParticipant(participantId);
    const roles = data.rolesOf(participantId);
    if (roles > 0) {
      throw new IdxError('IDX_ERR_SIM_CONFLICT', `${participantId} is named by ${roles} NMI role span(s); end or move them first (GET /sim/v1/nmis?participantId=${participantId})`,
        { errors: [{ in: 'path', name: 'participantId', code: 'IN_USE', message: `${roles} role spans` }] });
    }
    data.deleteParticipant(participantId);
    ctx.certificates.changedOutside();
    return reply.code(204).send();
  });

  contractRoute(app, ctx, auth, 'listCertificates', async (request) => {
    const { participantId } = request.params as { participantId: string };
    requireParticipant(participantId);
    return { data: certificatesOf(participantId) };
  });

  contractRoute(app, ctx, auth, 'putCertificate', async (request, reply) => {
    const { participantId, slot } = request.params as { participantId: string; slot: CertificateSlot };
    const body = request.body as { certificatePem: string; active?: boolean };
    requireParticipant(participantId);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(body.certificatePem);
    } catch (err) {
      throw new IdxError('IDX_ERR_SCHEMA_INVALID', `certificatePem is not a PEM certificate: ${(err as Error).message}`, { errors: [bodyProblem('/certificatePem', 'PEM', 'not a certificate')] });
    }
    if (!cert.checkIssued(ctx.ca) || !cert.verify(ctx.ca.publicKey)) {
      throw new IdxError('IDX_ERR_SCHEMA_INVALID', `the certificate was not issued by the IDX CA this hub trusts (${ctx.ca.subject.replace(/\n/g, ', ')})`,
        { errors: [bodyProblem('/certificatePem', 'ISSUER', 'not issued by the IDX CA')] });
    }
    let outcome: string;
    try {
      outcome = ctx.certificates.register(participantId, slot, body.certificatePem, ctx.clock.now());
    } catch (err) {
      const message = (err as Error).message;
      if (/already registered/.test(message)) throw new IdxError('IDX_ERR_SIM_CONFLICT', message, { errors: [bodyProblem('/certificatePem', 'REGISTERED', 'registered elsewhere')] });
      throw new IdxError('IDX_ERR_SCHEMA_INVALID', message, { errors: [bodyProblem('/certificatePem', 'COMMON_NAME', message)] });
    }
    if (body.active) ctx.certificates.rotate(participantId, slot, ctx.clock.now());
    const view = certificatesOf(participantId).find((c) => c.fingerprint256 === cert.fingerprint256)!;
    return reply.code(outcome === 'registered' ? 201 : 200).send({ data: view });
  });

  contractRoute(app, ctx, auth, 'deleteCertificate', async (request, reply) => {
    const { participantId, slot } = request.params as { participantId: string; slot: CertificateSlot };
    requireParticipant(participantId);
    const current = ctx.certificates.view().current(participantId, slot);
    if (!current || current.revokedAt !== null) throw notFound(`certificate in force in the ${slot} slot of`, 'slot', participantId);
    ctx.certificates.revoke(participantId, slot, ctx.clock.now());
    return reply.code(204).send();
  });

  contractRoute(app, ctx, auth, 'listUrmUsers', async () => ({ data: data.users() }));

  contractRoute(app, ctx, auth, 'putUrmUser', async (request, reply) => {
    const { clientId } = request.params as { clientId: string };
    const body = request.body as { secret?: string; entitlements: Entitlements };
    const unknown = Object.keys(body.entitlements).filter((pid) => !data.participant(pid));
    if (unknown.length) {
      throw new IdxError('IDX_ERR_SCHEMA_INVALID', `unknown participants: ${unknown.join(', ')}; add them first (PUT /sim/v1/participants/{participantId})`,
        { errors: unknown.map((pid) => bodyProblem(`/entitlements/${pid}`, 'UNKNOWN', `no participant ${pid}`)) });
    }
    const existing = data.user(clientId);
    if (!existing && body.secret === undefined) {
      throw new IdxError('IDX_ERR_SCHEMA_INVALID', `a new URM user needs a secret`, { errors: [bodyProblem('/secret', 'REQUIRED', 'required for a new user')] });
    }
    data.upsertUser(clientId, body.secret, body.entitlements);
    return reply.code(existing ? 200 : 201).send({ data: data.user(clientId) });
  });

  contractRoute(app, ctx, auth, 'deleteUrmUser', async (request, reply) => {
    const { clientId } = request.params as { clientId: string };
    if (!data.deleteUser(clientId)) throw notFound('URM user', 'clientId', clientId);
    return reply.code(204).send();
  });
}
