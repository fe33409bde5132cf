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
import { TranslogService } from './services/translog-service.js';
import { TokenService } from './security/tokens.js';
import type { Db } from './store/database.js';
import { MessageStore } from './store/message-store.js';
import { ParticipantStore } from './store/participant-store.js';
import { TransactionLog } from './store/transaction-log.js';
import { TranslogSearch } from './store/translog-search.js';
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
  bpqd: BpqdService;
  translog: TranslogService;
}

export function createContext(o: ContextOptions): AppContext {
  const contract = projectContract(o.openapiDir ?? join(PROJECT_ROOT, 'openapi'));
  const participants = new ParticipantStore(o.db);
  const transactionLog = new TransactionLog(o.db);
  const messages = new MessageStore(o.db, transactionLog);
  const { config } = o;
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
    bpqd: new BpqdService(messages, participants, contract.validator('pqd.yaml', '#/components/schemas/BpqdPayload'), config, o.clock, o.random),
    translog: new TranslogService(new TranslogSearch(o.db), messages, config, o.clock),
  };
}
