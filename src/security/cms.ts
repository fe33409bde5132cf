/**
 * CMS SignedData (RFC 5652) as IDX uses it for `x-signature` (spec §3, §6: the example decodes to a
 * SignedData, OID 1.2.840.113549.1.7.2): a detached signature over the message bytes, with or without
 * signed attributes (contentType, messageDigest, signingTime). Parsing uses the small DER reader; signing
 * uses node:crypto. Both are fast enough for every request.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { Asn1Error, certificateIdentity, children, contextTag, decodeOid, decodeTime, der, encodeTlv, expectTag, integerHex, readSingle, TAG, type Tlv } from './der.js';
import { systemClock } from '../domain/clock.js';

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
} as const;

export const sha256 = (bytes: Buffer): Buffer => createHash('sha256').update(bytes).digest();

/** Names for the OIDs a participant is likely to send, so refusals can say what was found. */
export const OID_NAMES: Readonly<Record<string, string>> = {
  [OID.signedData]: 'signedData',
  [OID.data]: 'data',
  '1.2.840.113549.1.7.1.1': 'data',
  '1.2.840.113549.1.7.3': 'envelopedData',
  '1.2.840.113549.1.9.16.1.2': 'authData',
  [OID.sha256]: 'sha256',
  '1.3.14.3.2.26': 'sha1',
  '1.2.840.113549.2.5': 'md5',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  [OID.rsaEncryption]: 'rsaEncryption',
  [OID.sha256WithRSAEncryption]: 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.2.1': 'ecPublicKey',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.3.101.112': 'Ed25519',
};

/** `sha1 (1.3.14.3.2.26)`, or the bare OID when it has no name here. */
export const oidName = (oid: string): string => (OID_NAMES[oid] ? `${OID_NAMES[oid]} (${oid})` : oid);
export const shortOidName = (oid: string): string => OID_NAMES[oid] ?? oid;

/** The structure is not a usable CMS SignedData; the message says which part. */
export class CmsFormatError extends Error {
  override readonly name = 'CmsFormatError';
}

export type SignerIdentifier =
  | { kind: 'issuerAndSerialNumber'; issuer: Buffer; serialHex: string }
  | { kind: 'subjectKeyIdentifier'; keyId: string };

export interface SignedAttributes {
  /** The attributes re-tagged as a SET: the bytes the signature covers (RFC 5652 §5.4). */
  signedBytes: Buffer;
  contentType: string | undefined;
  messageDigest: Buffer | undefined;
  signingTime: Date | undefined;
}

export interface CmsSignerInfo {
  sid: SignerIdentifier;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  signedAttributes: SignedAttributes | undefined;
  signature: Buffer;
}

export interface SignedData {
  encapsulatedContentType: string;
  /** True when the content travels inside the structure (an attached, not a detached, signature). */
  hasEncapsulatedContent: boolean;
  /** DER of each certificate carried in `certificates`. */
  certificates: Buffer[];
  signers: CmsSignerInfo[];
}

const algorithmOid = (tlv: Tlv | undefined, what: string): string => decodeOid(expectTag(children(expectTag(tlv, TAG.SEQUENCE, what))[0], TAG.OID, what).content);

function parseSid(tlv: Tlv | undefined): SignerIdentifier {
  if (tlv?.tag === TAG.SEQUENCE) {
    const [issuer, serial] = children(tlv);
    return { kind: 'issuerAndSerialNumber', issuer: expectTag(issuer, TAG.SEQUENCE, 'sid issuer').raw, serialHex: integerHex(expectTag(serial, TAG.INTEGER, 'sid serialNumber').content) };
  }
  if (tlv?.tag === contextTag(0, false)) return { kind: 'subjectKeyIdentifier', keyId: tlv.content.toString('hex') };
  throw new Asn1Error('signer identifier is neither issuerAndSerialNumber nor subjectKeyIdentifier');
}

function parseSignedAttributes(tlv: Tlv): SignedAttributes {
  const attributes: SignedAttributes = {
    signedBytes: Buffer.concat([Buffer.from([TAG.SET]), tlv.raw.subarray(1)]),
    contentType: undefined,
    messageDigest: undefined,
    signingTime: undefined,
  };
  for (const attribute of children(tlv)) {
    const [type, values] = children(expectTag(attribute, TAG.SEQUENCE, 'signed attribute'));
    const oid = decodeOid(expectTag(type, TAG.OID, 'signed attribute type').content);
    const value = children(expectTag(values, TAG.SET, `values of attribute ${oid}`));
    if (value.length !== 1 && (oid === OID.contentType || oid === OID.messageDigest || oid === OID.signingTime)) {
      throw new Asn1Error(`attribute ${oidName(oid)} has ${value.length} values; RFC 5652 §11 requires exactly one`);
    }
    if (oid === OID.contentType) attributes.contentType = decodeOid(expectTag(value[0], TAG.OID, 'contentType attribute').content);
    else if (oid === OID.messageDigest) attributes.messageDigest = expectTag(value[0], TAG.OCTET_STRING, 'messageDigest attribute').content;
    else if (oid === OID.signingTime) attributes.signingTime = decodeTime(value[0]!);
  }
  return attributes;
}

function parseSignerInfo(tlv: Tlv): CmsSignerInfo {
  const parts = children(expectTag(tlv, TAG.SEQUENCE, 'SignerInfo'));
  let i = 1; // version
  const sid = parseSid(parts[i++]);
  const digestAlgorithm = algorithmOid(parts[i++], 'SignerInfo digestAlgorithm');
  const signedAttributes = parts[i]?.tag === contextTag(0) ? parseSignedAttributes(parts[i++]!) : undefined;
  const signatureAlgorithm = algorithmOid(parts[i++], 'SignerInfo signatureAlgorithm');
  const signature = expectTag(parts[i], TAG.OCTET_STRING, 'SignerInfo signature').content;
  return { sid, digestAlgorithm, signatureAlgorithm, signedAttributes, signature };
}

/**
 * Parses a DER (or BER) ContentInfo holding a SignedData. Throws CmsFormatError naming the first part
 * that is not what RFC 5652 says; algorithm and signer checks are left to the caller.
 */
export function parseSignedData(bytes: Buffer): SignedData {
  try {
    const [contentType, explicit] = children(expectTag(readSingle(bytes), TAG.SEQUENCE, 'ContentInfo'));
    const type = decodeOid(expectTag(contentType, TAG.OID, 'ContentInfo contentType').content);
    if (type !== OID.signedData) throw new CmsFormatError(`ContentInfo holds ${oidName(type)}, not signedData (${OID.signedData})`);
    const parts = children(expectTag(children(expectTag(explicit, contextTag(0), 'ContentInfo content'))[0], TAG.SEQUENCE, 'SignedData'));
    let i = 2; // version, digestAlgorithms
    const encap = children(expectTag(parts[i++], TAG.SEQUENCE, 'encapContentInfo'));
    const encapsulatedContentType = decodeOid(expectTag(encap[0], TAG.OID, 'eContentType').content);
    const certificates: Buffer[] = [];
    if (parts[i]?.tag === contextTag(0)) for (const cert of children(parts[i++]!)) if (cert.tag === TAG.SEQUENCE) certificates.push(cert.raw);
    if (parts[i]?.tag === contextTag(1)) i++; // crls
    const signers = children(expectTag(parts[i], TAG.SET, 'signerInfos')).map(parseSignerInfo);
    return { encapsulatedContentType, hasEncapsulatedContent: encap.length > 1, certificates, signers };
  } catch (err) {
    if (err instanceof CmsFormatError) throw err;
    if (err instanceof Asn1Error) throw new CmsFormatError(err.message);
    throw err;
  }
}

export interface SignOptions {
  /** Sign contentType, messageDigest and signingTime attributes rather than the content itself (default true, as `openssl cms -sign`). */
  signedAttributes?: boolean;
  /** signingTime attribute; defaults to now. */
  signingTime?: Date;
  /** Carry the signer's certificate in the structure (default true). */
  includeCertificate?: boolean;
  /** Name the signer by issuer and serial (default, version 1) or by subject key identifier (version 3, like `openssl cms -keyid`). */
  signerIdentifier?: 'issuerAndSerialNumber' | 'subjectKeyIdentifier';
}

const SHA256_ALGORITHM = der.sequence(der.oid(OID.sha256));
const RSA_ENCRYPTION = der.sequence(der.oid(OID.rsaEncryption), der.null());

/**
 * A detached CMS SignedData over `content`: sha256 digest, PKCS #1 v1.5 RSA signature, signer identified
 * by issuer and serial number (RFC 5652 §5). Returns DER.
 */
export function signDetached(content: Buffer, certificateDer: Buffer, key: KeyObject, options: SignOptions = {}): Buffer {
  const { issuer, serial, subjectKeyId } = certificateIdentity(certificateDer);
  const byKeyId = options.signerIdentifier === 'subjectKeyIdentifier';
  if (byKeyId && !subjectKeyId) throw new Error('the certificate has no subjectKeyIdentifier extension to name the signer by');
  let signedAttributes: Buffer | undefined;
  let signature: Buffer;
  if (options.signedAttributes ?? true) {
    const digest = sha256(content);
    const attributes = [
      der.sequence(der.oid(OID.contentType), der.setOf(der.oid(OID.data))),
      der.sequence(der.oid(OID.signingTime), der.setOf(der.utcTime(options.signingTime ?? new Date(systemClock.now())))),
      der.sequence(der.oid(OID.messageDigest), der.setOf(der.octetString(digest))),
    ];
    const asSet = der.setOf(...attributes);
    signature = sign('sha256', asSet, key);
    signedAttributes = Buffer.concat([Buffer.from([contextTag(0)]), asSet.subarray(1)]);
  } else {
    signature = sign('sha256', content, key);
  }
  const signerInfo = der.sequence(
    der.integer(byKeyId ? 3 : 1),
    byKeyId ? encodeTlv(contextTag(0, false), Buffer.from(subjectKeyId!, 'hex')) : der.sequence(issuer, serial),
    SHA256_ALGORITHM,
    ...(signedAttributes ? [signedAttributes] : []),
    RSA_ENCRYPTION,
    der.octetString(signature),
  );
  const signedData = der.sequence(
    der.integer(byKeyId ? 3 : 1),
    der.setOf(SHA256_ALGORITHM),
    der.sequence(der.oid(OID.data)),
    ...((options.includeCertificate ?? true) ? [der.context(0, certificateDer)] : []),
    der.setOf(signerInfo),
  );
  return der.sequence(der.oid(OID.signedData), der.context(0, signedData));
}


/** A DigestInfo (PKCS #1 v1.5 signature block content): which hash, and the digest. */
export function parseDigestInfo(bytes: Buffer): { algorithm: string; digest: Buffer } | undefined {
  try {
    const [algorithm, digest] = children(expectTag(readSingle(bytes), TAG.SEQUENCE, 'DigestInfo'));
    return { algorithm: algorithmOid(algorithm, 'DigestInfo algorithm'), digest: expectTag(digest, TAG.OCTET_STRING, 'DigestInfo digest').content };
  } catch {
    return undefined;
  }
}
