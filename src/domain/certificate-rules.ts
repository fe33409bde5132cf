/**
 * The rules for participant certificates (spec §6): the CN AEMO expects, and whether a registered
 * certificate may be used right now — for mTLS and for message signatures alike. Pure: no crypto, no SQL.
 */
import { formatMarketDateTime } from './market-time.js';

export type CertificateSlot = 'primary' | 'secondary';
export const CERTIFICATE_SLOTS: readonly CertificateSlot[] = ['primary', 'secondary'];

/** Which of a participant's two certificates are accepted: either (`both`), or only the slot it was rotated to (`active`). */
export type SlotRule = 'both' | 'active';

export type CertificateEnvironment = 'NonProd' | 'Prod';

/** spec §6: "≤ 64 chars; [A-Za-z0-9.-]". */
export const MAX_COMMON_NAME_LENGTH = 64;

export type CommonNameCheck =
  /** `participantId` is the participant a `<ParticipantID>-<environment>` CN names; null for an FQDN CN. */
  | { ok: true; participantId: string | null }
  | { ok: false; rule: 'missing' | 'length' | 'characters' | 'form' | 'environment'; message: string };

/** A fully qualified domain name: two or more dot-separated labels (letters, digits, inner hyphens), the last not all digits. */
const FQDN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]*[A-Za-z][A-Za-z0-9-]*$/;

export function isFqdnCommonName(commonName: string): boolean {
  return FQDN.test(commonName) && !commonName.split('.').some((label) => label.startsWith('-') || label.endsWith('-'));
}

/**
 * Checks a CN against spec §6: at most 64 characters from `[A-Za-z0-9.-]`, either of the preferred form
 * `<ParticipantID>-<environment>` with a 1–10 character upper-case participant id (spec §3), or an FQDN
 * ("optional FQDN via request"). An FQDN names no participant: the registry says which ids the certificate
 * serves ("one cert may serve several Participant IDs", spec §6).
 */
export function checkCommonName(commonName: string | undefined, environment: CertificateEnvironment): CommonNameCheck {
  const example = `MDPONE-${environment}`;
  if (!commonName) return { ok: false, rule: 'missing', message: `the certificate has no CN; AEMO expects <ParticipantID>-${environment}, e.g. ${example}, or an FQDN (spec §6)` };
  if (commonName.length > MAX_COMMON_NAME_LENGTH) {
    return { ok: false, rule: 'length', message: `CN "${commonName.slice(0, 20)}…" is ${commonName.length} characters long; AEMO allows at most ${MAX_COMMON_NAME_LENGTH} (spec §6)` };
  }
  const bad = [...new Set(commonName.replace(/[A-Za-z0-9.-]/g, ''))];
  if (bad.length) {
    return { ok: false, rule: 'characters', message: `CN "${commonName}" contains ${bad.map((c) => JSON.stringify(c)).join(', ')}; only letters, digits, "." and "-" are allowed (spec §6)` };
  }
  if (commonName.includes('.') && isFqdnCommonName(commonName)) return { ok: true, participantId: null };
  const match = /^([A-Za-z0-9]{1,10})-(NonProd|Prod)$/i.exec(commonName);
  if (!match || match[1] !== match[1]!.toUpperCase() || !/^(NonProd|Prod)$/.test(match[2]!)) {
    const hint = match ? ` (participant ids are upper-case and the suffix is spelt ${environment}: ${match[1]!.toUpperCase()}-${environment})` : '';
    return { ok: false, rule: 'form', message: `CN "${commonName}" is not of the form <ParticipantID>-${environment}, e.g. ${example}${hint}, nor an FQDN such as idx.example.com.au (spec §6)` };
  }
  if (match[2] !== environment) {
    return { ok: false, rule: 'environment', message: `CN "${commonName}" is a ${match[2]} certificate; this environment accepts <ParticipantID>-${environment} (AEMO issues separate pre-production and production certificates, spec §6)` };
  }
  return { ok: true, participantId: match[1]! };
}

/** A registered certificate, as the registry holds it. */
export interface CertificateRecord {
  participantId: string;
  slot: CertificateSlot;
  serialNumber: string;
  fingerprint256: string;
  commonName: string;
  validFrom: number;
  validTo: number;
  registeredAt: number;
  revokedAt: number | null;
  /** When another certificate took this slot; the certificate is no longer registered from then on. */
  replacedAt: number | null;
}

export interface Unusable {
  reason: 'replaced' | 'revoked' | 'expired' | 'not-yet-valid' | 'inactive';
  message: string;
}

export const describeCertificate = (c: CertificateRecord): string => `${c.participantId}'s ${c.slot} certificate ${c.commonName} (serial ${c.serialNumber})`;

/**
 * Whether a registered certificate may be used at `now` (simulated clock), or why not. `ruleSetting` names
 * the setting that chose `rule`, so the message can say how to change it.
 */
export function certificateUsability(c: CertificateRecord, activeSlot: CertificateSlot, rule: SlotRule, now: number, ruleSetting: string): Unusable | undefined {
  const at = formatMarketDateTime;
  if (c.replacedAt !== null) {
    return { reason: 'replaced', message: `${describeCertificate(c)} was replaced at ${at(c.replacedAt)} by a newer ${c.slot} certificate; use the current one (idx-sim certs list)` };
  }
  if (c.revokedAt !== null) {
    const other: CertificateSlot = c.slot === 'primary' ? 'secondary' : 'primary';
    return { reason: 'revoked', message: `${describeCertificate(c)} was revoked at ${at(c.revokedAt)}; use the ${other} certificate, or have a new ${c.slot} issued (idx-sim certs issue --participant ${c.participantId} --slot ${c.slot})` };
  }
  if (now < c.validFrom) {
    return { reason: 'not-yet-valid', message: `${describeCertificate(c)} is valid from ${at(c.validFrom)}; the simulated clock says ${at(now)}` };
  }
  if (now > c.validTo) {
    return { reason: 'expired', message: `${describeCertificate(c)} expired at ${at(c.validTo)}; the simulated clock says ${at(now)}. Have it re-issued (idx-sim certs issue --participant ${c.participantId} --slot ${c.slot})` };
  }
  if (rule === 'active' && c.slot !== activeSlot) {
    return {
      reason: 'inactive',
      message: `${describeCertificate(c)} is not the active one: ${c.participantId}'s active certificate is its ${activeSlot}, and ${ruleSetting}=active accepts only the active slot ` +
        `(to switch: idx-sim certs rotate --participant ${c.participantId} --to ${c.slot})`,
    };
  }
  return undefined;
}
