/**
 * Who is on the other end of the TLS connection (spec §6, §13.2). The TLS layer has already proved the
 * client holds the certificate's private key; here idx-sim decides whether it trusts the certificate —
 * issued by the dev CA, valid on the *simulated* clock, CN `<ParticipantID>-NonProd` of a known
 * participant — so testers can rehearse expiry by moving the clock.
 */
import { X509Certificate } from 'node:crypto';
import { IdxError, type ProblemItem } from '../domain/errors.js';

export interface ClientCertificate {
  commonName: string;
  serialNumber: string;
  fingerprint256: string;
  validFrom: number;
  validTo: number;
  /** Participant ids this certificate may act for. */
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
  environment: 'NonProd' | 'Prod',
  participantExists: (participantId: string) => boolean,
): ClientCertificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(raw);
  } catch {
    throw new IdxError('IDX_ERR_CLIENT_CERT_UNTRUSTED', 'the client certificate could not be parsed', { errors: certProblem('unparseable') });
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new IdxError('IDX_ERR_CLIENT_CERT_UNTRUSTED',
      `certificate "${cert.subject.replace(/\n/g, ', ')}" is issued by "${cert.issuer.replace(/\n/g, ', ')}", not by this simulator's CA (certs/ca/ca.crt)`,
      { errors: certProblem('untrusted issuer') });
  }
  const commonName = commonNameOf(cert) ?? '';
  const match = /^([A-Z0-9]{1,10})-(NonProd|Prod)$/.exec(commonName);
  if (!match) {
    throw new IdxError('IDX_ERR_CLIENT_CERT_UNKNOWN', `certificate CN "${commonName}" is not of the form <ParticipantID>-${environment} (spec §6)`,
      { errors: certProblem('CN format') });
  }
  if (match[2] !== environment) {
    throw new IdxError('IDX_ERR_CLIENT_CERT_UNKNOWN', `certificate CN "${commonName}" is a ${match[2]} certificate; this environment accepts <ParticipantID>-${environment}`,
      { errors: certProblem('wrong environment') });
  }
  if (!participantExists(match[1]!)) {
    throw new IdxError('IDX_ERR_CLIENT_CERT_UNKNOWN', `certificate CN "${commonName}" names participant ${match[1]}, which is not registered`,
      { errors: certProblem('unknown participant') });
  }
  return {
    commonName,
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    validFrom: Date.parse(cert.validFrom),
    validTo: Date.parse(cert.validTo),
    participantIds: [match[1]!],
  };
}

/** Checked on every request, against the simulated clock. */
export function checkValidity(cert: ClientCertificate, now: number): void {
  if (now < cert.validFrom) {
    throw new IdxError('IDX_ERR_CLIENT_CERT_NOT_YET_VALID', `certificate ${cert.commonName} (serial ${cert.serialNumber}) is valid from ${new Date(cert.validFrom).toISOString()}`,
      { errors: certProblem('not yet valid') });
  }
  if (now > cert.validTo) {
    throw new IdxError('IDX_ERR_CLIENT_CERT_EXPIRED', `certificate ${cert.commonName} (serial ${cert.serialNumber}) expired at ${new Date(cert.validTo).toISOString()}`,
      { errors: certProblem('expired') });
  }
}
