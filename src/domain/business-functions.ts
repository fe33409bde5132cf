/**
 * The Business Function Information catalogue (spec §4.4, BFI-OAS 1.0.0): each business function the
 * hub runs, its resources, schema versions, payload types, retention, limits and identifiers. Built by
 * a pure function from the configuration, so it always describes this hub as it is configured.
 */
import { IdxError } from './errors.js';
import { MESSAGE_CONTEXT_ID_PATTERN, type PriorityLetter, type PriorityWord } from './message-context-id.js';

/** Decimal megabytes: the strict reading of AEMO's "MB" (docs/spec-variance.md #22, #75). */
const MB = 1_000_000;

/**
 * The business functions this hub runs, their market and resources (spec §4.1: pqd / bpqd, NEM, is the
 * first). The one list the catalogue, flow control and participant status all read.
 */
export const HUB_BUSINESS_FUNCTIONS: Readonly<Record<string, { market: string; resources: readonly string[] }>> = {
  pqd: { market: 'NEM', resources: ['bpqd'] },
};

export interface PriorityLimit {
  priority: PriorityLetter;
  priorityName: PriorityWord;
  /** Largest message of this priority, uncompressed. */
  maxMessageBytes: number;
  /** Messages per participant per market day. */
  dailyMessageQuota: number;
}

/**
 * spec §8, §4.1 (DRAFT-PQD-API [S~]): "per Participant ID per day: High (1 MB) 180,000 messages;
 * Medium (5 MB) 35,000; Low (10 MB) 18,000". Megabytes read as decimal (1,000,000 bytes), like the
 * 10 MB payload limit (docs/spec-variance.md #22).
 */
export const PUBLISHED_PQD_PRIORITY_LIMITS: readonly PriorityLimit[] = [
  { priority: 'h', priorityName: 'High', maxMessageBytes: 1 * MB, dailyMessageQuota: 180_000 },
  { priority: 'm', priorityName: 'Medium', maxMessageBytes: 5 * MB, dailyMessageQuota: 35_000 },
  { priority: 'l', priorityName: 'Low', maxMessageBytes: 10 * MB, dailyMessageQuota: 18_000 },
];

/** spec §4.1 [S]: "each endpoint 50 requests per participantId per minute". */
export const PUBLISHED_PQD_REQUESTS_PER_MINUTE = 50;

/** spec §4.1, §9 [S]: a message stays in the LNSP's queue "up to 10 calendar days, unless deleted earlier". */
export const QUEUE_RETENTION_CALENDAR_DAYS = 10;

export interface CatalogueSettings {
  schemaVersions: readonly string[];
  maxPayloadBytes: number;
  archiveRetentionDays: number;
  deletePermission: 'R' | 'D';
  /** The published numbers unless the hub is configured otherwise (quota settings). */
  priorityLimits?: readonly PriorityLimit[];
  requestsPerMinutePerEndpoint?: number;
  queueRetentionDays?: number;
  watermarks: { low: number; warn: number; high: number };
}

/** What `expand=false` shows. */
export interface BusinessFunctionSummary {
  businessFunctionId: string;
  businessFunctionName: string;
  description: string;
  market: string;
  apiVersion: string;
  basePath: string;
}

export interface ResourceOperation {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** CRUD letter of the resource's URM entity the operation needs. */
  permission: 'C' | 'R' | 'D';
  summary: string;
}

export interface BusinessFunctionResource {
  businessFunctionResourceId: string;
  businessFunctionResourceName: string;
  description: string;
  path: string;
  urmEntity: string;
  operations: ResourceOperation[];
  schemaVersions: { supported: string[]; default: string };
  payloadTypes: Array<{ contentType: string; contentEncoding: string }>;
  maxPayloadBytes: number;
  senderRoles: string[];
  receiverRoles: string[];
  deliveryModel: 'fire-and-forget';
}

/** What `expand=true` and `GET /businessFunctions/{id}` show. */
export interface BusinessFunctionDetail extends BusinessFunctionSummary {
  resources: BusinessFunctionResource[];
  retention: { queueDays: number; queueDayBasis: 'calendar'; archiveDays: number };
  limits: { maxPayloadBytes: number; requestsPerMinutePerEndpoint: number; priorities: PriorityLimit[]; watermarks: { low: number; warn: number; high: number } };
  identifiers: { messageContextId: { format: string; pattern: string; example: string; uniqueness: string } };
}

/** The hub's catalogue: today one business function, PQD with its resource BPQD (spec §4.1). */
export function businessFunctionCatalogue(s: CatalogueSettings): BusinessFunctionDetail[] {
  const limits = (s.priorityLimits ?? PUBLISHED_PQD_PRIORITY_LIMITS).map((l) => ({ ...l, maxMessageBytes: Math.min(l.maxMessageBytes, s.maxPayloadBytes) }));
  return [{
    businessFunctionId: 'pqd',
    businessFunctionName: 'Power Quality Data',
    description: 'API for submitting basic and advanced power quality data in the NEM',
    market: HUB_BUSINESS_FUNCTIONS.pqd!.market,
    apiVersion: '1.0.0',
    basePath: '/pqd/v1',
    resources: [{
      businessFunctionResourceId: HUB_BUSINESS_FUNCTIONS.pqd!.resources[0]!,
      businessFunctionResourceName: 'Basic Power Quality Data',
      description: 'Voltage, current and phase angle of small customers\' smart meters, sent by the MC (or its MDP) to the LNSP',
      path: '/pqd/v1/bpqd',
      urmEntity: 'PQD_BPQD',
      operations: [
        { method: 'POST', path: '/pqd/v1/bpqd', permission: 'C', summary: 'Submit a BPQD payload' },
        { method: 'GET', path: '/pqd/v1/bpqd', permission: 'R', summary: 'List the metadata of the messages in your queue' },
        { method: 'GET', path: '/pqd/v1/bpqd/{messageContextId}', permission: 'R', summary: 'Get a message\'s payload' },
        { method: 'DELETE', path: '/pqd/v1/bpqd/{messageContextId}', permission: s.deletePermission, summary: 'Delete a message from your queue' },
      ],
      schemaVersions: { supported: [...s.schemaVersions], default: s.schemaVersions[s.schemaVersions.length - 1]! },
      payloadTypes: [{ contentType: 'application/json', contentEncoding: 'gzip' }],
      maxPayloadBytes: s.maxPayloadBytes,
      senderRoles: ['MC', 'MDP'],
      receiverRoles: ['LNSP'],
      deliveryModel: 'fire-and-forget',
    }],
    retention: { queueDays: s.queueRetentionDays ?? QUEUE_RETENTION_CALENDAR_DAYS, queueDayBasis: 'calendar', archiveDays: s.archiveRetentionDays },
    limits: {
      maxPayloadBytes: s.maxPayloadBytes,
      requestsPerMinutePerEndpoint: s.requestsPerMinutePerEndpoint ?? PUBLISHED_PQD_REQUESTS_PER_MINUTE,
      priorities: limits,
      watermarks: s.watermarks,
    },
    identifiers: {
      messageContextId: {
        format: 'businessFunctionId~businessFunctionResourceId~priority(h|m|l)~initiatingParticipantId~uniqueId',
        pattern: MESSAGE_CONTEXT_ID_PATTERN,
        example: 'pqd~bpqd~l~mdpone~20260702091500000a',
        uniqueness: 'unique per initiating participant; the participant part is compared case-insensitively',
      },
    },
  }];
}

export function summaryOf(bf: BusinessFunctionDetail): BusinessFunctionSummary {
  const { businessFunctionId, businessFunctionName, description, market, apiVersion, basePath } = bf;
  return { businessFunctionId, businessFunctionName, description, market, apiVersion, basePath };
}

/** The business functions of a market (x-market, spec §3). */
export function businessFunctionsOf(catalogue: readonly BusinessFunctionDetail[], market: string): BusinessFunctionDetail[] {
  return catalogue.filter((bf) => bf.market === market);
}

/** One business function of a market, or a 404 that says what exists. */
export function findBusinessFunction(catalogue: readonly BusinessFunctionDetail[], businessFunctionId: string, market: string): BusinessFunctionDetail {
  const found = catalogue.find((bf) => bf.businessFunctionId === businessFunctionId);
  if (found && found.market === market) return found;
  const detail = found
    ? `${businessFunctionId} is a ${found.market} business function, and x-market is ${market}`
    : `no business function "${businessFunctionId}" on this hub; ${market} has: ${businessFunctionsOf(catalogue, market).map((bf) => bf.businessFunctionId).join(', ') || 'none'}`;
  throw new IdxError('IDX_ERR_BUSINESS_FUNCTION_NOT_FOUND', detail,
    { errors: [{ in: 'path', name: 'businessFunctionId', code: 'NOT_FOUND', message: `not a business function of ${market}` }] });
}
