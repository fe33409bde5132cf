/**
 * Everything the HTTP layer needs, wired once: configuration, clock, randomness, stores and services.
 * Plain objects passed in (no DI framework); tests build their own with an in-memory database.
 */
import { X509Certificate } from 'node:crypto';
import type { ResolvedConfig } from './config.js';
import { projectContract, type Contract } from './contract/openapi.js';
import type { Clock } from './domain/clock.js';
import type { Random } from './domain/random.js';
import { BpqdService } from './services/bpqd-service.js';
import { CertificateRegistry } from './security/certificate-registry.js';
import { HubSigner, SignatureVerifier, type SignerIdentity } from './security/message-signature.js';
import { TokenService } from './security/tokens.js';
import { CertificateStore } from './store/certificate-store.js';
import type { Db } from './store/database.js';
import { MessageStore } from './store/message-store.js';
import { ParticipantStore } from './store/participant-store.js';
import { TransactionLog } from './store/transaction-log.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (openapi/, fixtures/ live there), whether running from src/ or dist/src/. */
export const PROJECT_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));

export interface ContextOptions {
  config: ResolvedConfig;
  db: Db;
  clock: Clock;
  random: Random;
  caCertPem: string;
  tokenSigningKeyPem: string;
  /** The hub signer's certificate and key (certs/hub/hub.{crt,key}). */
  hubSigning: SignerIdentity;
  openapiDir?: string;
}

export interface AppContext {
  config: ResolvedConfig;
  db: Db;
  clock: Clock;
  random: Random;
  contract: Contract;
  ca: X509Certificate;
  participants: ParticipantStore;
  transactionLog: TransactionLog;
  messages: MessageStore;
  tokens: TokenService;
  /** Participants' primary and secondary certificates, rotation and revocation (spec §6). */
  certificates: CertificateRegistry;
  /** Verifies `x-signature` (spec §3, §13.3). */
  signatures: SignatureVerifier;
  /** Signs as the IDX hub (archive copies, spec §4.6). */
  hubSigner: HubSigner;
  bpqd: BpqdService;
}

export function createContext(o: ContextOptions): AppContext {
  const contract = projectContract(o.openapiDir ?? join(PROJECT_ROOT, 'openapi'));
  const participants = new ParticipantStore(o.db);
  const transactionLog = new TransactionLog(o.db);
  const messages = new MessageStore(o.db, transactionLog);
  const { config } = o;
  const certificates = new CertificateRegistry(new CertificateStore(o.db), config.certificateEnvironment);
  const signatures = new SignatureVerifier(certificates,
    { required: config.signatureRequired, over: config.signatureOver, slots: config.signatureCertificateSlots }, o.clock);
  return {
    config,
    db: o.db,
    clock: o.clock,
    random: o.random,
    contract,
    ca: new X509Certificate(o.caCertPem),
    participants,
    transactionLog,
    messages,
    tokens: new TokenService(o.tokenSigningKeyPem, {
      issuer: config.tokenIssuer,
      audience: config.tokenAudience,
      lifetimeSeconds: config.tokenLifetimeSeconds,
      clockSkewSeconds: config.tokenClockSkewSeconds,
    }, o.clock, o.random),
    certificates,
    signatures,
    hubSigner: new HubSigner(o.hubSigning, o.clock),
    bpqd: new BpqdService(messages, participants, contract.validator('pqd.yaml', '#/components/schemas/BpqdPayload'), config, o.clock, o.random, signatures),
  };
}
