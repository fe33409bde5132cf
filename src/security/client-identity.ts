/**
 * Who is on the other end of the TLS connection (spec §6, §13.2). The TLS layer has already proved the
 * client holds the certificate's private key; here idx-sim decides whether it trusts the certificate —
 * issued by the dev CA, CN `<ParticipantID>-NonProd` of a known participant (once per connection), and
 * on every request: registered to that participant, not revoked, valid on the *simulated* clock (testers
 * rehearse expiry by moving the clock), and in an accepted slot.
 */
import { X509Certificate } from 'node:crypto';
import { certificateUsability, checkCommonName, type CertificateEnvironment, type SlotRule, type Unusable } from '../domain/certificate-rules.js';
import { IdxError, type ErrorCode, type ProblemItem } from '../domain/errors.js';
import type { RegisteredCertificate, RegistryView } from './certificate-registry.js';
import { x509Of } from './parsed-pem.js';

export interface ClientCertificate {
  commonName: string;
  serialNumber: string;
  fingerprint256: string;
  /**
   * Participant ids this certificate may act for right now: every id it is registered for whose
   * registration is usable (spec §6: "one cert may serve several Participant IDs"). Empty until the
   * registry has been consulted for this request.
   */
  participantIds: string[];
}

const certProblem = (message: string): ProblemItem[] => [{ in: 'tls', name: 'client-certificate', code: 'CERTIFICATE', message }];

export function commonNameOf(cert: X509Certificate): string | undefined {
  return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
}

/** Trust decisions that do not depend on time; the result is cached per TLS connection. */
export function inspectCertificate(
  raw: Buffer | string,
  ca: X509Certificate,
  environment: CertificateEnvironment,
  participantExists: (participantId: string) => boolean,
): ClientCertificate {
  let cert: X509Certificate;
  try {
    cert = typeof raw === 'string' ? x509Of(raw) : new X509Certificate(raw);
  } catch {
    throw new IdxError('IDX_ERR_CLIENT_CERT_UNTRUSTED', 'the client certificate could not be parsed', { errors: certProblem('unparseable') });
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new IdxError('IDX_ERR_CLIENT_CERT_UNTRUSTED',
      `certificate "${cert.subject.replace(/\n/g, ', ')}" is issued by "${cert.issuer.replace(/\n/g, ', ')}", not by this simulator's CA (certs/ca/ca.crt)`,
      { errors: certProblem('untrusted issuer') });
  }
  const commonName = commonNameOf(cert) ?? '';
  const cn = checkCommonName(commonName, environment);
  if (!cn.ok) throw new IdxError('IDX_ERR_CLIENT_CERT_CN_INVALID', cn.message, { errors: certProblem(`CN ${cn.rule}`) });
  if (cn.participantId !== null && !participantExists(cn.participantId)) {
    throw new IdxError('IDX_ERR_CLIENT_CERT_UNKNOWN', `certificate CN "${commonName}" names participant ${cn.participantId}, which is not registered`,
      { errors: certProblem('unknown participant') });
  }
  return {
    commonName,
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    participantIds: [],
  };
}

const UNUSABLE: Record<Unusable['reason'], ErrorCode> = {
  replaced: 'IDX_ERR_CLIENT_CERT_UNKNOWN',
  revoked: 'IDX_ERR_CLIENT_CERT_REVOKED',
  expired: 'IDX_ERR_CLIENT_CERT_EXPIRED',
  'not-yet-valid': 'IDX_ERR_CLIENT_CERT_NOT_YET_VALID',
  inactive: 'IDX_ERR_CLIENT_CERT_INACTIVE',
};

/**
 * Checked on every request, against the registry as it is now (a revocation applies to the next request
 * on an open connection) and the simulated clock. A certificate may be registered for several participant
 * ids (spec §6), each registration with its own slot and revocation: the one judged is that of
 * `requestedParticipantId` (x-initiatingParticipantId) when the certificate is registered for it, else the
 * first usable one. Returns the certificate with the participant ids it may act for now.
 */
export function checkRegistration(cert: ClientCertificate, view: RegistryView, rule: SlotRule, now: number, requestedParticipantId?: string): ClientCertificate {
  const registrations = view.registrationsOf(cert.fingerprint256);
  const unusable = (r: RegisteredCertificate) => certificateUsability(r, view.activeSlot(r.participantId).slot, rule, now, 'IDX_SIM_TLS_CERT_SLOTS');
  const usable = registrations.filter((r) => !unusable(r));
  const requested = registrations.find((r) => r.participantId === requestedParticipantId);
  if (registrations.length === 0) {
    const named = /^([A-Z0-9]{1,10})-(?:NonProd|Prod)$/.exec(cert.commonName)?.[1] ?? requestedParticipantId;
    throw new IdxError('IDX_ERR_CLIENT_CERT_UNKNOWN',
      `certificate ${cert.commonName} (serial ${cert.serialNumber}) is issued by the IDX CA but is not registered for ${named ?? 'any participant'}` +
      (named ? ` (registered: ${view.describeRegistered(named)})` : '') + '; ' +
      `only registered certificates are accepted — register it with idx-sim certs issue${named ? `, or use ${named}'s registered certificate` : ''}`,
      { errors: certProblem('not registered') });
  }
  const judged = requested ?? usable[0] ?? registrations[0]!;
  const problem = unusable(judged);
  if (problem) throw new IdxError(UNUSABLE[problem.reason], problem.message, { errors: certProblem(problem.reason) });
  return { ...cert, participantIds: usable.map((r) => r.participantId) };
}
