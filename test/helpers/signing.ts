/**
 * Signatures made other ways than idx-sim's own signer — node-forge's PKCS #7 signer, the openssl CLI,
 * hand-built or altered DER — for the interop and refusal tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, sign as cryptoSign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { pkiPaths, type CertificateSlot, type KeyAndCert } from '../../src/pki/dev-ca.js';
import { OID, signDetached, type SignOptions } from '../../src/security/cms.js';
import { certificateIdentity, der } from '../../src/security/der.js';
import { formatSignatureHeader } from '../../src/security/message-signature.js';
import { pkiDir } from './harness.js';

/** A fixture participant's certificate and key from the test PKI. */
export function participantIdentity(participantId: string, slot: CertificateSlot = 'primary'): KeyAndCert {
  const p = pkiPaths(pkiDir());
  return { certPem: readFileSync(p.participantCert(participantId, slot), 'utf8'), keyPem: readFileSync(p.participantKey(participantId, slot), 'utf8') };
}

/** The test PKI's dev CA, to issue extra certificates with. */
export function devCa(): KeyAndCert {
  const p = pkiPaths(pkiDir());
  return { certPem: readFileSync(p.caCert, 'utf8'), keyPem: readFileSync(p.caKey, 'utf8') };
}

/** An x-signature made by idx-sim's CMS code with any certificate and key (even a key that is not the certificate's). */
export function cmsHeader(content: Buffer, certPem: string, keyPem: string, options: SignOptions = {}): string {
  return formatSignatureHeader(signDetached(content, new X509Certificate(certPem).raw, createPrivateKey(keyPem), options));
}

export interface ForgeSignOptions {
  digest?: 'sha256' | 'sha1';
  detached?: boolean;
  attributes?: boolean;
}

/** node-forge's PKCS #7 SignedData signer (pure JavaScript, independent of node:crypto). Returns DER. */
export function forgeSignedData(content: Buffer, identity: KeyAndCert, { digest = 'sha256', detached = true, attributes = true }: ForgeSignOptions = {}): Buffer {
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(content.toString('binary'));
  const certificate = forge.pki.certificateFromPem(identity.certPem);
  p7.addCertificate(certificate);
  p7.addSigner({
    key: forge.pki.privateKeyFromPem(identity.keyPem),
    certificate,
    digestAlgorithm: forge.pki.oids[digest]!,
    authenticatedAttributes: attributes
      ? [{ type: forge.pki.oids.contentType!, value: forge.pki.oids.data! }, { type: forge.pki.oids.messageDigest! }, { type: forge.pki.oids.signingTime! }]
      : [],
  });
  p7.sign({ detached });
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
}

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** `openssl cms -sign -binary -outform DER -md sha256` (detached) with extra flags; returns DER. */
export function opensslSignedData(content: Buffer, identity: KeyAndCert, extra: string[] = []): Buffer {
  return withFiles({ 'content.bin': content, 'signer.crt': identity.certPem, 'signer.key': identity.keyPem }, (dir) =>
    execFileSync('openssl', ['cms', '-sign', '-binary', '-outform', 'DER', '-md', 'sha256', '-signer', join(dir, 'signer.crt'), '-inkey', join(dir, 'signer.key'),
      '-in', join(dir, 'content.bin'), ...extra]));
}

/** `openssl cms -verify` of a detached DER SignedData against a CA; returns true when OpenSSL accepts it. */
export function opensslVerifies(signedData: Buffer, content: Buffer, caPem: string): boolean {
  return withFiles({ 'sig.der': signedData, 'content.bin': content, 'ca.crt': caPem }, (dir) => spawnSync('openssl', [
    'cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig.der'), '-content', join(dir, 'content.bin'),
    '-CAfile', join(dir, 'ca.crt'), '-purpose', 'any', '-out', '/dev/null',
  ]).status === 0);
}

function withFiles<T>(files: Record<string, Buffer | string>, use: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-openssl-'));
  try {
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    return use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replaces the last occurrence of `find` in `bytes` (same length), e.g. an OID in the SignerInfo rather than in the certificate before it. */
export function replaceLast(bytes: Buffer, find: Buffer, replacement: Buffer): Buffer {
  const at = bytes.lastIndexOf(find);
  if (at < 0 || find.length !== replacement.length) throw new Error('nothing to replace');
  const out = Buffer.from(bytes);
  replacement.copy(out, at);
  return out;
}

export interface HandBuiltOptions {
  /** Signed attributes to use as they are (each a DER Attribute); undefined signs the content directly. */
  attributes?: Buffer[];
  eContentType?: string;
  /** How many times the same SignerInfo appears. */
  signerCount?: number;
}

/**
 * A detached SignedData assembled field by field, for structures no sane signer produces (missing
 * attributes, several signers, another content type). The RSA signature itself is genuine.
 */
export function handBuiltSignedData(content: Buffer, identity: KeyAndCert, { attributes, eContentType = OID.data, signerCount = 1 }: HandBuiltOptions = {}): Buffer {
  const certificate = new X509Certificate(identity.certPem);
  const { issuer, serial } = certificateIdentity(certificate.raw);
  const key = createPrivateKey(identity.keyPem);
  const sha256Algorithm = der.sequence(der.oid(OID.sha256));
  const attributeSet = attributes ? der.setOf(...attributes) : undefined;
  const signature = cryptoSign('sha256', attributeSet ?? content, key);
  const signerInfo = der.sequence(
    der.integer(1), der.sequence(issuer, serial), sha256Algorithm,
    ...(attributeSet ? [Buffer.concat([Buffer.from([0xa0]), attributeSet.subarray(1)])] : []),
    der.sequence(der.oid(OID.rsaEncryption), der.null()), der.octetString(signature),
  );
  const signedData = der.sequence(der.integer(1), der.setOf(sha256Algorithm), der.sequence(der.oid(eContentType)), der.context(0, certificate.raw),
    der.setOf(...Array.from({ length: signerCount }, () => signerInfo)));
  return der.sequence(der.oid(OID.signedData), der.context(0, signedData));
}

/** A signed attribute (type, one value). */
export const attribute = (type: string, value: Buffer): Buffer => der.sequence(der.oid(type), der.setOf(value));
