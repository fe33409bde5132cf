/**
 * Message signatures (spec §3, §6, §13.3): `x-signature: RSA-SHA256;<base64 CMS SignedData>`, a detached
 * signature by one of the sender's registered certificates (primary or secondary) over the uncompressed
 * JSON bytes — or over the gzip bytes as sent, when IDX_SIM_SIGNATURE_OVER=gzip.
 *
 * Verification is split in two so that nothing is inflated for a signature that cannot be right:
 * `prepare` (header grammar, CMS structure, algorithms, signer certificate) before the body is read, and
 * `verify` (one native RSA verification and a SHA-256) once the bytes are known. Every refusal has its
 * own code and says what to change.
 */
import { constants, publicDecrypt, verify, X509Certificate, type KeyObject } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { certificateUsability, describeCertificate, type SlotRule } from '../domain/certificate-rules.js';
import { headerProblem, IdxError, type ErrorCode } from '../domain/errors.js';
import type { CertificateRegistry, RegisteredCertificate, RegistryView } from './certificate-registry.js';
import { CmsFormatError, OID, oidName, parseDigestInfo, parseSignedData, sha256, shortOidName, signDetached, type CmsSignerInfo, type SignOptions, type SignerIdentifier } from './cms.js';
import { certificateIdentity } from './der.js';
import { privateKeyOf, x509Of } from './parsed-pem.js';

/** The algorithm of AEMO's example header (spec §3: `RSA-SHA256;MIIG…`), and what idx-sim's signers write. */
export const SIGNATURE_ALGORITHM = 'RSA-SHA256';
/**
 * AEMO's text says "RSA-256 should be used" while its example says RSA-SHA256 (spec §3): the same
 * algorithm (RSA PKCS #1 v1.5 with SHA-256) under two names. `both` accepts either; `RSA-SHA256` only the example's.
 */
export const SIGNATURE_ALGORITHM_NAMES = ['both', 'RSA-SHA256'] as const;
export type SignatureAlgorithmNames = (typeof SIGNATURE_ALGORITHM_NAMES)[number];
const AEMO_TEXT_ALGORITHM = 'RSA-256';
const HEADER = 'x-signature';
/** The base64 alphabet by character code (standard alphabet, RFC 4648 §4). */
const BASE64_ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_ALPHABET[c.charCodeAt(0)] = 1;

/**
 * Whether `text` is padded standard base64: what /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
 * matches (whole groups of four, at most two "=" and only at the end), without the regex: a signature
 * header is kilobytes, and the regex cost more than the CMS parsing after it (issue #13).
 */
export function isPaddedBase64(text: string): boolean {
  const n = text.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (n > 0 && text.charCodeAt(n - 1) === 61 /* = */) end = text.charCodeAt(n - 2) === 61 ? n - 2 : n - 1;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 127 || BASE64_ALPHABET[c] !== 1) return false;
  }
  return true;
}
const ACCEPTED_SIGNATURE_ALGORITHMS = new Set<string>([OID.rsaEncryption, OID.sha256WithRSAEncryption]);

export type SignedOver = 'json' | 'gzip';

export interface SignatureSettings {
  required: boolean;
  over: SignedOver;
  slots: SlotRule;
  /** Which header algorithm names are accepted; default both spellings (docs/spec-variance.md #77). */
  algorithmNames?: SignatureAlgorithmNames;
}

/** The two forms of a submitted message; which one is signed is a setting. */
export interface MessageBytes {
  json: Buffer;
  gzip: Buffer;
}

/** SHA-256 of each form, when already computed. */
export type Digests = Record<SignedOver, Buffer>;

const digestOf = (bytes: MessageBytes, form: SignedOver, digests: Digests | undefined): Buffer => digests?.[form] ?? sha256(bytes[form]);

const OVER_TEXT: Record<SignedOver, string> = { json: 'uncompressed JSON bytes', gzip: 'gzip bytes exactly as sent' };
const hex16 = (b: Buffer) => `${b.toString('hex').slice(0, 16)}…`;

export const formatSignatureHeader = (signedData: Buffer): string => `${SIGNATURE_ALGORITHM};${signedData.toString('base64')}`;

function refuse(code: ErrorCode, detail: string, problem: string, messageContextId: string): never {
  throw new IdxError(code, detail, { errors: [headerProblem(HEADER, code.replace('IDX_ERR_SIGNATURE_', ''), problem)], messageContextId });
}

/** A signature whose structure and signer have been accepted; `verify` checks it against the message bytes. */
export class PreparedSignature {
  constructor(
    readonly certificate: RegisteredCertificate,
    private readonly signer: CmsSignerInfo,
    private readonly over: SignedOver,
    private readonly messageContextId: string,
  ) {}

  /** Whether checking it reads the uncompressed JSON itself (no signed attributes, signed over the JSON), not only its digest. */
  get needsJson(): boolean {
    return this.signer.signedAttributes === undefined && this.over === 'json';
  }

  verify(bytes: MessageBytes): void {
    const { signer, certificate } = this;
    if (signer.signedAttributes) return this.verifyAttributes(bytes);
    if (verify('sha256', bytes[this.over], certificate.publicKey, signer.signature)) return;
    this.signatureFailed(bytes);
  }

  /**
   * `verify` for a large message, with the same outcome: the SHA-256 of both forms already computed
   * (in a payload worker, src/services/payload-pool.ts), and an RSA check over the whole content hashed
   * on libuv's thread pool — nothing proportional to the message's size runs on the event loop.
   */
  async verifyLarge(bytes: MessageBytes, digests: Digests): Promise<void> {
    const { signer, certificate } = this;
    if (signer.signedAttributes) return this.verifyAttributes(bytes, digests);
    const ok = await new Promise<boolean>((resolve, reject) =>
      verify('sha256', bytes[this.over], certificate.publicKey, signer.signature, (err, valid) => (err ? reject(err) : resolve(valid))));
    if (ok) return;
    this.signatureFailed(bytes, digests);
  }

  /** Signed attributes: the RSA signature covers them, and their messageDigest the content. */
  private verifyAttributes(bytes: MessageBytes, digests?: Digests): void {
    const { signer, certificate } = this;
    const attributes = signer.signedAttributes!;
    if (!verify('sha256', attributes.signedBytes, certificate.publicKey, signer.signature)) this.signatureFailed(undefined);
    const digest = digestOf(bytes, this.over, digests);
    if (!attributes.messageDigest!.equals(digest)) this.digestMismatch(attributes.messageDigest!, digest, bytes, 'its messageDigest attribute is', digests);
  }

  /**
   * The RSA check failed: tell a wrong key from signed bytes that differ. Opening the PKCS #1 v1.5 block
   * with the certificate's public key succeeds only if that certificate's private key made it.
   */
  private signatureFailed(bytes: MessageBytes | undefined, digests?: Digests): never {
    const { certificate, messageContextId } = this;
    let block: Buffer | undefined;
    try {
      block = publicDecrypt({ key: certificate.publicKey, padding: constants.RSA_PKCS1_PADDING }, this.signer.signature);
    } catch {
      block = undefined;
    }
    if (!block) {
      refuse('IDX_ERR_SIGNATURE_WRONG_KEY',
        `the signature names ${describeCertificate(certificate)} but does not verify with its public key: it was made with a different private key. ` +
        'Sign with the key that belongs to that certificate.', 'made with another key', messageContextId);
    }
    if (!bytes) {
      refuse('IDX_ERR_SIGNATURE_MISMATCH',
        `the signed attributes were altered after signing: the RSA signature is by ${describeCertificate(certificate)} but covers different attributes`,
        'signed attributes altered', messageContextId);
    }
    const info = parseDigestInfo(block);
    const digest = digestOf(bytes, this.over, digests);
    this.digestMismatch(info?.algorithm === OID.sha256 ? info.digest : block, digest, bytes, 'the digest it signs is', digests);
  }

  private digestMismatch(signed: Buffer, actual: Buffer, bytes: MessageBytes, what: string, digests?: Digests): never {
    const other: SignedOver = this.over === 'json' ? 'gzip' : 'json';
    const hint = signed.equals(digestOf(bytes, other, digests))
      ? ` It matches the ${OVER_TEXT[other]}: this hub verifies signatures over the ${OVER_TEXT[this.over]} (IDX_SIM_SIGNATURE_OVER=${this.over}).`
      : ` Was the payload changed after signing, or re-serialised before it was gzipped? Sign the exact ${OVER_TEXT[this.over]}.`;
    refuse('IDX_ERR_SIGNATURE_MISMATCH',
      `the signature does not match the message: ${what} SHA-256 ${hex16(signed)}, the ${OVER_TEXT[this.over]} hash to ${hex16(actual)}.${hint}`,
      'signature over other bytes', this.messageContextId);
  }
}

export class SignatureVerifier {
  constructor(private readonly registry: CertificateRegistry, private readonly settings: SignatureSettings, private readonly clock: Clock) {}

  /**
   * Checks everything that does not need the body: presence, `<algorithm>;<base64>` grammar, CMS
   * SignedData structure, algorithms, and that the signer is a usable registered certificate of the
   * sender. Returns undefined for an absent signature when signatures are optional.
   */
  prepare(senderId: string, header: string | undefined, messageContextId: string): PreparedSignature | undefined {
    const over = OVER_TEXT[this.settings.over];
    if (header === undefined || header.trim() === '') {
      if (!this.settings.required) return undefined;
      refuse('IDX_ERR_SIGNATURE_MISSING',
        `x-signature is required (spec §3): send "${SIGNATURE_ALGORITHM};<base64 CMS SignedData>", a detached signature over the ${over} ` +
        `made with your primary or secondary certificate, e.g. SIG=$(idx-sim sign --participant ${senderId} payload.json)`, 'header absent', messageContextId);
    }
    const separator = header.indexOf(';');
    if (separator < 0) {
      refuse('IDX_ERR_SIGNATURE_MALFORMED', `x-signature must be "<algorithm>;<base64 CMS SignedData>", e.g. "${SIGNATURE_ALGORITHM};MIIG…"; this value has no ";"`,
        'not <algorithm>;<base64>', messageContextId);
    }
    const algorithm = header.slice(0, separator).trim();
    const bothNames = (this.settings.algorithmNames ?? 'both') === 'both';
    if (algorithm !== SIGNATURE_ALGORITHM && !(bothNames && algorithm === AEMO_TEXT_ALGORITHM)) {
      const note = /^RSA-?256$/i.test(algorithm)
        ? ` (AEMO's text says "RSA-256"; the header value in its example is RSA-SHA256${bothNames ? '' : '; this hub accepts only RSA-SHA256, IDX_SIM_SIGNATURE_ALGORITHM_NAMES=RSA-SHA256'})` : '';
      refuse('IDX_ERR_SIGNATURE_ALGORITHM',
        `x-signature algorithm "${algorithm.slice(0, 40)}" is not accepted: IDX signatures are ${SIGNATURE_ALGORITHM}${bothNames ? ` (or "${AEMO_TEXT_ALGORITHM}")` : ''}, RSA PKCS #1 v1.5 with SHA-256 (spec §3)${note}`,
        `algorithm ${algorithm.slice(0, 40)}`, messageContextId);
    }
    const base64 = header.slice(separator + 1).trim();
    if (base64 === '' || !isPaddedBase64(base64)) {
      refuse('IDX_ERR_SIGNATURE_MALFORMED',
        `the part after "${algorithm};" is not base64 (standard alphabet A–Z a–z 0–9 + /, "=" padding, no spaces or line breaks)`, 'not base64', messageContextId);
    }
    const signer = this.signerInfo(Buffer.from(base64, 'base64'), messageContextId);
    const view = this.registry.view();
    const certificate = this.signerCertificate(view, senderId, signer.info.sid, signer.certificates, messageContextId);
    const unusable = certificateUsability(certificate, view.activeSlot(senderId).slot, this.settings.slots, this.clock.now(), 'IDX_SIM_SIGNATURE_CERT_SLOTS');
    if (unusable) {
      const code: ErrorCode = unusable.reason === 'replaced' ? 'IDX_ERR_SIGNATURE_WRONG_KEY'
        : unusable.reason === 'revoked' ? 'IDX_ERR_SIGNATURE_CERT_REVOKED' : 'IDX_ERR_SIGNATURE_CERT_NOT_ACCEPTED';
      refuse(code, `the signing certificate is not accepted: ${unusable.message}`, unusable.reason, messageContextId);
    }
    return new PreparedSignature(certificate, signer.info, this.settings.over, messageContextId);
  }

  /** The one SignerInfo of a detached SignedData whose algorithms IDX accepts. */
  private signerInfo(der: Buffer, messageContextId: string): { info: CmsSignerInfo; certificates: Buffer[] } {
    let signed;
    try {
      signed = parseSignedData(der);
    } catch (err) {
      if (!(err instanceof CmsFormatError)) throw err;
      refuse('IDX_ERR_SIGNATURE_MALFORMED', `x-signature does not hold a CMS SignedData (RFC 5652): ${err.message}`, 'not CMS SignedData', messageContextId);
    }
    const malformed = (detail: string, problem: string): never => refuse('IDX_ERR_SIGNATURE_MALFORMED', detail, problem, messageContextId);
    if (signed.encapsulatedContentType !== OID.data) malformed(`the SignedData signs content of type ${oidName(signed.encapsulatedContentType)}; IDX signs data (${OID.data})`, 'eContentType');
    if (signed.hasEncapsulatedContent) {
      malformed('the SignedData carries the content (an attached signature); IDX signatures are detached — sign with `openssl cms -sign -binary` (without -nodetach)', 'attached content');
    }
    if (signed.signers.length !== 1) {
      malformed(signed.signers.length === 0 ? 'the SignedData has no SignerInfo: nobody signed it' : `the SignedData has ${signed.signers.length} SignerInfos; IDX expects exactly one, the sender's`,
        signed.signers.length === 0 ? 'no signer' : 'several signers');
    }
    const info = signed.signers[0]!;
    if (info.digestAlgorithm !== OID.sha256) {
      refuse('IDX_ERR_SIGNATURE_ALGORITHM', `the CMS signer uses digest algorithm ${oidName(info.digestAlgorithm)}; IDX requires sha256 (${OID.sha256}), e.g. openssl cms -sign -md sha256`,
        `digest ${shortOidName(info.digestAlgorithm)}`, messageContextId);
    }
    if (!ACCEPTED_SIGNATURE_ALGORITHMS.has(info.signatureAlgorithm)) {
      refuse('IDX_ERR_SIGNATURE_ALGORITHM', `the CMS signature algorithm is ${oidName(info.signatureAlgorithm)}; IDX requires RSA PKCS #1 v1.5 (rsaEncryption or sha256WithRSAEncryption) with SHA-256`,
        `signature ${shortOidName(info.signatureAlgorithm)}`, messageContextId);
    }
    const attributes = info.signedAttributes;
    if (attributes) {
      if (!attributes.messageDigest || !attributes.contentType) {
        malformed(`the signed attributes lack ${!attributes.contentType ? 'contentType' : 'messageDigest'}; RFC 5652 §5.3 requires contentType and messageDigest when attributes are signed`, 'signed attributes incomplete');
      }
      if (attributes.contentType !== signed.encapsulatedContentType) {
        malformed(`the contentType attribute (${oidName(attributes.contentType!)}) differs from the eContentType (${oidName(signed.encapsulatedContentType)})`, 'contentType attribute');
      }
    }
    return { info, certificates: signed.certificates };
  }

  /** The sender's registered certificate the signer identifier names, or a refusal saying whose it is. */
  private signerCertificate(view: RegistryView, senderId: string, sid: SignerIdentifier, carried: Buffer[], messageContextId: string): RegisteredCertificate {
    const matches = view.matching(sid);
    const own = matches.find((c) => c.participantId === senderId && c.replacedAt === null) ?? matches.find((c) => c.participantId === senderId);
    if (!own) {
      const registered = view.describeRegistered(senderId);
      const other = matches[0];
      refuse('IDX_ERR_SIGNATURE_WRONG_KEY', other
        ? `the signature was made with ${describeCertificate(other)}, not with one of ${senderId}'s certificates: a participant signs its own messages (registered for ${senderId}: ${registered})`
        : `the signature was made with ${describeSigner(sid, carried)}, which is not a registered certificate of ${senderId} (registered: ${registered}); sign with your primary or secondary certificate (idx-sim certs list)`,
      'signer not the sender', messageContextId);
    }
    // A certificate carried in the SignedData that claims the same issuer and serial must be the registered one.
    // (The registered certificate itself, the usual one carried, is compared by its bytes: nothing to parse.)
    const impostor = carried.find((der) => {
      if (der.equals(own.certificateDer)) return false;
      const id = safeIdentity(der);
      return id !== undefined && sidMatches(sid, id);
    });
    if (impostor) {
      refuse('IDX_ERR_SIGNATURE_WRONG_KEY',
        `the certificate carried in the signature (${describeCarried(impostor)}) claims to be ${describeCertificate(own)} but is a different certificate`,
        'carried certificate differs', messageContextId);
    }
    return own;
  }
}

function safeIdentity(der: Buffer) {
  try {
    return certificateIdentity(der);
  } catch {
    return undefined;
  }
}

function sidMatches(sid: SignerIdentifier, id: ReturnType<typeof certificateIdentity>): boolean {
  return sid.kind === 'subjectKeyIdentifier' ? id.subjectKeyId === sid.keyId : id.serialHex === sid.serialHex && id.issuer.equals(sid.issuer);
}

function describeCarried(der: Buffer): string {
  try {
    const cert = new X509Certificate(der);
    return `subject ${cert.subject.replace(/\n/g, ', ')}, issuer ${cert.issuer.replace(/\n/g, ', ')}, serial ${cert.serialNumber}`;
  } catch {
    return 'an unreadable certificate';
  }
}

function describeSigner(sid: SignerIdentifier, carried: Buffer[]): string {
  const cert = carried.find((der) => {
    const id = safeIdentity(der);
    return id !== undefined && sidMatches(sid, id);
  });
  if (cert) return `the certificate ${describeCarried(cert)}`;
  return sid.kind === 'subjectKeyIdentifier' ? `the certificate with subject key identifier ${sid.keyId}` : `the certificate with serial ${sid.serialHex}`;
}

export interface SignerIdentity {
  certPem: string;
  keyPem: string;
}

/**
 * Produces `x-signature` values: a detached CMS SignedData by one certificate. The CLI (`idx-sim sign`),
 * the test helpers and the hub signer all use it, so what participants compare against is what the hub
 * verifies.
 */
export class MessageSigner {
  readonly certificate: X509Certificate;
  private readonly key: KeyObject;

  constructor(identity: SignerIdentity, private readonly clock?: Clock) {
    this.certificate = x509Of(identity.certPem);
    this.key = privateKeyOf(identity.keyPem);
    if (!this.certificate.checkPrivateKey(this.key)) {
      throw new Error(`the private key does not belong to certificate ${this.certificate.subject.replace(/\n/g, ', ')} (serial ${this.certificate.serialNumber})`);
    }
  }

  /** The CMS SignedData (DER) over `bytes`. */
  signedData(bytes: Buffer, options: SignOptions = {}): Buffer {
    const signingTime = options.signingTime ?? (this.clock ? new Date(this.clock.now()) : undefined);
    return signDetached(bytes, this.certificate.raw, this.key, { ...options, ...(signingTime ? { signingTime } : {}) });
  }

  /** The `x-signature` header value over `bytes`. */
  sign(bytes: Buffer, options: SignOptions = {}): string {
    return formatSignatureHeader(this.signedData(bytes, options));
  }
}

/**
 * The IDX hub's own signer (CN IDXHUB-NonProd, issued by the dev CA): the Outbound Archive API returns
 * messages "re-signed by the IDX hub" (spec §4.6, §13.3). signingTime follows the simulated clock.
 */
export class HubSigner extends MessageSigner {
  readonly certificatePem: string;

  constructor(identity: SignerIdentity, clock: Clock) {
    super(identity, clock);
    this.certificatePem = identity.certPem;
  }
}
