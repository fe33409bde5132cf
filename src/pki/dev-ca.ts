/**
 * The development PKI: a dev CA standing in for AEMO-RCA-G2, a server certificate for localhost, and a
 * primary and a secondary client certificate per participant with CN `<PARTICIPANTID>-NonProd` (spec §6).
 * Certificates are built with node-forge; RSA keys come from node:crypto (native, ~50x faster than forge's
 * pure-JS generator). None of this is on a request path.
 */
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, privateEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type forge from 'node-forge';
import { CERTIFICATE_SLOTS, type CertificateSlot } from '../domain/certificate-rules.js';
import { writeFileAtomically } from '../store/files.js';

/** The names the server certificate carries unless IDX_SIM_SERVER_HOSTS says otherwise. */
export const DEFAULT_SERVER_HOSTS = ['localhost', '127.0.0.1', '::1'];

const DAY_MS = 86_400_000;

export interface KeyAndCert {
  keyPem: string;
  certPem: string;
}

export interface Subject {
  commonName: string;
  organization?: string;
}

/** A fresh 2048-bit RSA private key (PKCS #8 PEM). */
export function generateKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

let keySource: () => string = generateKeyPem;

/**
 * Where the keys of new certificates come from: generated on the spot, unless the test suite hands out keys
 * it generated in an earlier run (test/helpers/key-pool.ts; each is a fresh 2048-bit key to the test that
 * gets it). RSA key generation is most of the cost of issuing a certificate.
 */
export function useKeySource(source: (() => string) | undefined): void {
  keySource = source ?? generateKeyPem;
}

function newKeyPem(): string {
  return keySource();
}

/**
 * node-forge, loaded when a certificate is built or read: every `idx-sim` command loads this module (for
 * `pkiPaths`), and all of node-forge (its TLS and ciphers too) is ~30 ms of CPU to load that `sign`, `token`
 * or `poll` never need.
 */
let forgeLoaded: typeof forge | undefined;
const nodeForge = (): typeof forge => (forgeLoaded ??= createRequire(import.meta.url)('node-forge') as typeof forge);

/** A positive, random 16-byte serial (RFC 5280 §4.1.2.2). */
function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f | 0x10;
  return bytes.toString('hex');
}

function attrs(subject: Subject): forge.pki.CertificateField[] {
  return [
    { name: 'commonName', value: subject.commonName },
    { name: 'organizationName', value: subject.organization ?? 'idx-sim development' },
    { name: 'countryName', value: 'AU' },
  ];
}

/** The public half of a PEM private key, as node-forge's certificates want it. */
function forgePublicKey(keyPem: string): forge.pki.PublicKey {
  return nodeForge().pki.publicKeyFromPem(createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString());
}

/** DigestInfo's prefix for SHA-256 (RFC 8017 §9.2, note 1): what EMSA-PKCS1-v1_5 wraps around the hash. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * A signer with node-forge's private-key interface (`sign(md)`, a binary string) whose RSA runs in
 * node:crypto. RSASSA-PKCS1-v1_5 is deterministic: the signature is the one forge's own RSA computes, but
 * forge's is pure JavaScript, ~40 ms of CPU per certificate (and as much again to parse the key from PEM).
 */
function nodeSigner(keyPem: string): { sign(md: forge.md.MessageDigest): string } {
  const key = createPrivateKey(keyPem);
  return {
    sign: (md) => privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING },
      Buffer.concat([SHA256_DIGEST_INFO, Buffer.from(md.digest().getBytes(), 'binary')])).toString('binary'),
  };
}

interface IssueOptions {
  subject: Subject;
  publicKey: forge.pki.PublicKey;
  issuer?: { cert: forge.pki.Certificate };
  /** PEM private key that signs the certificate (the issuer's, or the subject's own for a self-signed one). */
  signingKeyPem: string;
  notBefore: Date;
  notAfter: Date;
  extensions: object[];
  serialNumber?: string;
}

function build(o: IssueOptions): string {
  const cert = nodeForge().pki.createCertificate();
  cert.publicKey = o.publicKey;
  cert.serialNumber = o.serialNumber ?? newSerial();
  cert.validity.notBefore = o.notBefore;
  cert.validity.notAfter = o.notAfter;
  cert.setSubject(attrs(o.subject));
  cert.setIssuer(o.issuer ? o.issuer.cert.subject.attributes : attrs(o.subject));
  cert.setExtensions([
    ...o.extensions,
    { name: 'subjectKeyIdentifier' },
    ...(o.issuer ? [{ name: 'authorityKeyIdentifier', keyIdentifier: o.issuer.cert.generateSubjectKeyIdentifier().getBytes() }] : []),
  ]);
  cert.sign(nodeSigner(o.signingKeyPem) as unknown as forge.pki.rsa.PrivateKey, nodeForge().md.sha256.create());
  return nodeForge().pki.certificateToPem(cert);
}

export interface CaOptions {
  commonName?: string;
  now?: number;
}

/** A self-signed CA, valid from two years ago for ten years. */
export function createCa({ commonName = 'idx-sim Dev Root CA (not AEMO-RCA-G2)', now = Date.now() }: CaOptions = {}): KeyAndCert {
  const keyPem = newKeyPem();
  const certPem = build({
    subject: { commonName },
    publicKey: forgePublicKey(keyPem),
    signingKeyPem: keyPem,
    notBefore: new Date(now - 2 * 365 * DAY_MS),
    notAfter: new Date(now + 10 * 365 * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { keyPem, certPem };
}

export interface LeafOptions {
  /** Defaults: valid from a year before `now` (so a simulated clock set earlier in the year still accepts it) for 3 years (spec §6). */
  notBefore?: number;
  notAfter?: number;
  now?: number;
  /** Use this public key (from a CSR) instead of generating a key pair. */
  publicKeyPem?: string;
  /** Use this serial (hex) instead of a random one — tests forge certificates that impersonate another's issuer and serial. */
  serialNumber?: string;
}

type LeafKind = 'client' | 'server' | 'signer';

/** Key usages per kind: AEMO client certificates carry Digital Signature, Server Auth, Client Auth (spec §6); the hub signer signs only. */
function leafExtensions(kind: LeafKind, hosts: string[]): object[] {
  if (kind === 'signer') return [{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true }];
  return [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: kind === 'client' },
    ...(hosts.length
      ? [{ name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) }]
      : []),
  ];
}

function issueLeaf(ca: KeyAndCert, subject: Subject, kind: LeafKind, options: LeafOptions, hosts: string[] = []): KeyAndCert {
  const now = options.now ?? Date.now();
  const issuerCert = nodeForge().pki.certificateFromPem(ca.certPem);
  let keyPem = '';
  let publicKey: forge.pki.PublicKey;
  if (options.publicKeyPem) {
    publicKey = nodeForge().pki.publicKeyFromPem(options.publicKeyPem);
  } else {
    keyPem = newKeyPem();
    publicKey = forgePublicKey(keyPem);
  }
  const certPem = build({
    subject,
    publicKey,
    issuer: { cert: issuerCert },
    signingKeyPem: ca.keyPem,
    notBefore: new Date(options.notBefore ?? now - 365 * DAY_MS),
    notAfter: new Date(options.notAfter ?? now + 3 * 365 * DAY_MS),
    extensions: leafExtensions(kind, hosts),
    ...(options.serialNumber ? { serialNumber: options.serialNumber } : {}),
  });
  return { keyPem, certPem };
}

export function issueClientCertificate(ca: KeyAndCert, commonName: string, options: LeafOptions = {}): KeyAndCert {
  return issueLeaf(ca, { commonName }, 'client', options);
}

/** The hub's own signing certificate (CN `IDXHUB-NonProd`): IDX re-signs archive copies with it (spec §4.6, §13.3). */
export function issueHubSigningCertificate(ca: KeyAndCert, options: LeafOptions = {}): KeyAndCert {
  return issueLeaf(ca, { commonName: participantCommonName(HUB_ID) }, 'signer', options);
}

/** The participant-like id in the hub signer's CN. */
export const HUB_ID = 'IDXHUB';

export function issueServerCertificate(ca: KeyAndCert, hosts: readonly string[] = DEFAULT_SERVER_HOSTS, options: LeafOptions = {}): KeyAndCert {
  if (hosts.length === 0) throw new Error('the server certificate needs at least one host name or address');
  return issueLeaf(ca, { commonName: hosts[0]! }, 'server', options, [...hosts]);
}

/** The CN AEMO prefers for a participant's certificate (spec §6). */
export function participantCommonName(participantId: string, environment: 'NonProd' | 'Prod' = 'NonProd'): string {
  return `${participantId}-${environment}`;
}

export { CERTIFICATE_SLOTS, type CertificateSlot } from '../domain/certificate-rules.js';

/** Where each generated file lives under the certificates directory. */
export const pkiPaths = (dir: string) => ({
  caCert: join(dir, 'ca', 'ca.crt'),
  caKey: join(dir, 'ca', 'ca.key'),
  serverCert: join(dir, 'server', 'server.crt'),
  serverKey: join(dir, 'server', 'server.key'),
  tokenSigningKey: join(dir, 'hub', 'oauth-signing.key'),
  hubCert: join(dir, 'hub', 'hub.crt'),
  hubKey: join(dir, 'hub', 'hub.key'),
  participantCert: (pid: string, slot: CertificateSlot) => join(dir, 'participants', pid, `${slot}.crt`),
  participantKey: (pid: string, slot: CertificateSlot) => join(dir, 'participants', pid, `${slot}.key`),
});

function write(path: string, content: string, secret = false): void {
  writeFileAtomically(path, content, secret ? 0o600 : 0o644);
}

/** The key first, then the certificate: a crash in between leaves a pair the next start sees as broken and reissues. */
function writePair(certPath: string, keyPath: string, pair: KeyAndCert): void {
  if (pair.keyPem) write(keyPath, pair.keyPem, true);
  write(certPath, pair.certPem);
}

export interface DevPki {
  ca: KeyAndCert;
  server: KeyAndCert;
  tokenSigningKeyPem: string;
  /** The hub signer's certificate and key (archive re-signing). */
  hub: KeyAndCert;
  /** Files created by this call (empty when everything already existed). */
  created: string[];
  /** Generated certificates found broken and issued again, with what was wrong (startup logs them). */
  repaired: Array<{ file: string; problem: string }>;
}

/** What is wrong with a certificate file, or undefined. */
function certificateProblem(certPath: string): string | undefined {
  if (!existsSync(certPath)) return 'missing';
  const pem = readFileSync(certPath, 'utf8');
  if (pem.trim() === '') return 'empty';
  try {
    new X509Certificate(pem);
    return undefined;
  } catch (err) {
    return `not a PEM certificate (${(err as Error).message})`;
  }
}

/**
 * What is wrong with a certificate and its key, naming the file: undefined when both read and belong
 * together (and, with `issuer`, the certificate was issued by it). `keyOptional`: a participant
 * certificate issued from a CSR has no key here.
 */
export function pairProblem(certPath: string, keyPath: string, o: { keyOptional?: boolean; issuer?: string } = {}): string | undefined {
  const certIssue = certificateProblem(certPath);
  if (certIssue) return `${certPath}: ${certIssue}`;
  const cert = new X509Certificate(readFileSync(certPath, 'utf8'));
  if (o.issuer !== undefined) {
    const issuer = new X509Certificate(o.issuer);
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return `${certPath}: not issued by the current dev CA`;
  }
  if (!existsSync(keyPath)) return o.keyOptional ? undefined : `${keyPath}: missing`;
  const keyPem = readFileSync(keyPath, 'utf8');
  if (keyPem.trim() === '') return `${keyPath}: empty`;
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    return `${keyPath}: not a PEM private key (${(err as Error).message})`;
  }
  if (!cert.checkPrivateKey(key)) return `${keyPath} does not belong to ${certPath}`;
  return undefined;
}

/** The DNS names and IP addresses of a certificate's subjectAltName, canonical and sorted. */
export function certificateHosts(certPem: string): string[] {
  const ext = nodeForge().pki.certificateFromPem(certPem).getExtension('subjectAltName') as { altNames?: Array<{ type: number; value?: string; ip?: string }> } | undefined;
  return canonicalHosts((ext?.altNames ?? []).map((n) => (n.type === 7 ? n.ip! : n.value!)));
}

/** node-forge's own IP text form (its typings omit these), so configured and stored addresses compare equal. */
const forgeIp = () => nodeForge().util as unknown as { bytesFromIP(ip: string): string; bytesToIP(bytes: string): string };

function canonicalHosts(hosts: readonly string[]): string[] {
  return [...new Set(hosts.map((h) => (isIP(h) ? forgeIp().bytesToIP(forgeIp().bytesFromIP(h)) : h.toLowerCase())))].sort();
}

/**
 * Creates whatever is missing under `dir` — CA, server certificate, OAuth signing key, hub signer, and both
 * certificates of each participant — and leaves sound existing files alone, so it is safe on every start.
 * Every pair is checked (issue 7, defect 9): a generated certificate whose file is empty, unreadable, whose
 * key is missing or does not match, or that the current CA did not issue, is issued again (and reported in
 * `repaired`); a broken CA that has already issued certificates is not replaced — that throws, naming the
 * file. The server certificate is issued again when its names differ from `hosts` (IDX_SIM_SERVER_HOSTS).
 */
export function ensureDevPki(dir: string, participantIds: readonly string[], hosts: readonly string[] = DEFAULT_SERVER_HOSTS): DevPki {
  const p = pkiPaths(dir);
  const created: string[] = [];
  const repaired: DevPki['repaired'] = [];
  const readPair = (certPath: string, keyPath: string): KeyAndCert => ({ certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') });
  /** Issues the pair when it is missing or broken; true when it did. */
  const ensurePair = (certPath: string, keyPath: string, issue: () => KeyAndCert, o: { keyOptional?: boolean; issuer?: string } = {}): boolean => {
    const problem = pairProblem(certPath, keyPath, o);
    if (!problem) return false;
    if (problem !== `${certPath}: missing`) repaired.push({ file: certPath, problem });
    writePair(certPath, keyPath, issue());
    created.push(certPath);
    return true;
  };

  const caProblem = pairProblem(p.caCert, p.caKey);
  if (caProblem && caProblem !== `${p.caCert}: missing` && existsSync(p.serverCert)) {
    throw new Error(`${caProblem}. The dev CA issued every other certificate under ${dir}, so it is not replaced: restore it, or delete ${dir} to have a new PKI generated`);
  }
  ensurePair(p.caCert, p.caKey, () => createCa());
  const ca = readPair(p.caCert, p.caKey);
  const issuer = { issuer: ca.certPem };
  if (!ensurePair(p.serverCert, p.serverKey, () => issueServerCertificate(ca, hosts), issuer)) {
    const had = certificateHosts(readFileSync(p.serverCert, 'utf8'));
    if (had.join(',') !== canonicalHosts(hosts).join(',')) {
      writePair(p.serverCert, p.serverKey, issueServerCertificate(ca, hosts));
      created.push(p.serverCert);
    }
  }
  let tokenKeyProblem: string | undefined;
  if (existsSync(p.tokenSigningKey)) {
    try {
      createPrivateKey(readFileSync(p.tokenSigningKey, 'utf8'));
    } catch (err) {
      tokenKeyProblem = `not a PEM private key (${(err as Error).message})`;
    }
  }
  if (!existsSync(p.tokenSigningKey) || tokenKeyProblem) {
    if (tokenKeyProblem) repaired.push({ file: p.tokenSigningKey, problem: `${p.tokenSigningKey}: ${tokenKeyProblem}` });
    write(p.tokenSigningKey, newKeyPem(), true);
    created.push(p.tokenSigningKey);
  }
  ensurePair(p.hubCert, p.hubKey, () => issueHubSigningCertificate(ca), issuer);
  for (const pid of participantIds) {
    for (const slot of CERTIFICATE_SLOTS) {
      // A certificate issued from a participant's CSR has no key here (the participant keeps it): a
      // missing key is fine, a key that is here must match.
      ensurePair(p.participantCert(pid, slot), p.participantKey(pid, slot), () => issueClientCertificate(ca, participantCommonName(pid)), { keyOptional: true, ...issuer });
    }
  }
  return {
    ca,
    server: readPair(p.serverCert, p.serverKey),
    tokenSigningKeyPem: readFileSync(p.tokenSigningKey, 'utf8'),
    hub: readPair(p.hubCert, p.hubKey),
    created,
    repaired,
  };
}

/** The participant CN of a CSR and its public key, once its self-signature has been verified (PKCS #10). */
export interface CertificateRequest {
  commonName: string | undefined;
  publicKeyPem: string;
  keyBits: number;
}

/** Reads a PEM CSR; throws when it is not one, or its signature does not verify (the requester must hold the key). */
export function readCertificateRequest(pem: string): CertificateRequest {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = nodeForge().pki.certificationRequestFromPem(pem);
  } catch (err) {
    throw new Error(`not a PEM certificate signing request (PKCS #10) with an RSA key: ${(err as Error).message}`);
  }
  let verified = false;
  try {
    verified = csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) throw new Error('the CSR signature does not verify: it was altered, or not signed with the key it contains');
  const publicKey = csr.publicKey as forge.pki.rsa.PublicKey;
  const cn = csr.subject.getField('CN') as { value: string } | null;
  return { commonName: cn?.value, publicKeyPem: nodeForge().pki.publicKeyToPem(publicKey), keyBits: publicKey.n.bitLength() };
}
