/**
 * The PQD business function (spec §4.1, §5, §12, §13.4): submission checks in the order a participant
 * would want to hear about them, queue listing with stable cursors, retrieval and deletion.
 */
import { gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { BoundedResult } from '../contract/bounded-validation.js';
import { checkContextAgreement, checkContextHeaders, checkRoutingFacts, describeChurnDays, type ChurnDayRule, type RoutingRule, type StandingDataLookup } from '../domain/bpqd-rules.js';
import type { Clock } from '../domain/clock.js';
import { decodeCursor, encodeCursor, isPositiveInteger } from '../domain/cursor.js';
import { bodyProblem, headerProblem, IdxError } from '../domain/errors.js';
import { dateTimeParameter, formatMarketDateTime } from '../domain/market-time.js';
import { messageFields } from '../domain/message-fields.js';
import { PRIORITY_LETTER, PRIORITY_WORD, parseMessageContextId, type MessageContextId, type PriorityLetter, type PriorityWord } from '../domain/message-context-id.js';
import { priorityPayloadCap, type DailyMessageQuota } from '../domain/quotas.js';
import type { Random } from '../domain/random.js';
import type { PreparedSignature, SignatureVerifier } from '../security/message-signature.js';
import type { MessageStore, QueuedMessage, QueueFilter } from '../store/message-store.js';
import { uniqueViolation } from '../store/database.js';
import type { DeliveryService } from './delivery-service.js';
import { checkPayload, refusalOf, type PayloadFacts } from './payload-check.js';
import type { PayloadPool } from './payload-pool.js';
import type { QueryOf } from '../contract/types/index.js';

const gunzipAsync = promisify(gunzip);
/** Below this, inflating on the event loop is cheaper than a thread-pool round trip. */
const SYNC_GUNZIP_MAX_BYTES = 64 * 1024;

export interface BpqdSettings {
  maxPayloadBytes: number;
  maxPayloadBytesHigh: number;
  maxPayloadBytesMedium: number;
  maxPayloadBytesLow: number;
  schemaVersions: string[];
  pageSizeDefault: number;
  pageSizeMax: number;
  bpqdIntervalGaps: 'refuse' | 'accept';
  /** How receivers are checked against standing data (IDX_SIM_ROUTING_RULE). */
  routingRule: RoutingRule;
  /** Who may send on a churn day (IDX_SIM_CHURN_DAY). */
  churnDay: ChurnDayRule;
  /** A submission to a recipient stopped by flow control: accepted and held, or refused with 503 (spec §9). */
  stoppedRecipient: 'hold' | 'refuse';
  /** Gzip bodies of at least this many bytes are checked in a payload worker, when there is a pool (IDX_SIM_PAYLOAD_WORKER_MIN_BYTES). */
  payloadWorkerMinBytes: number;
}

export interface Submission {
  initiatingParticipantId: string;
  messageContextId: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  schemaVersion: string | undefined;
  signature: string | undefined;
  body: Buffer;
  traceId: string;
  /** Told the accepted message's row id once committed: its payload is `body` itself (the request journal refers to it). */
  stored?: (messagePk: number) => void;
}

export interface SubmissionReceipt {
  messageContextId: string;
  messageId: string;
  receivedDateTime: string;
  status: 'delivery_pending';
  receivingParticipantIds: string[];
}

/** The query parameters of `listBpqd`, as generated from the OpenAPI document (src/contract/types). */
export type ListQuery = QueryOf<'listBpqd'>;

export interface MessageMetadata {
  messageContextId: string;
  messageId: string;
  businessFunctionId: string;
  businessFunctionResourceId: string;
  initiatingParticipantId: string;
  priority: PriorityWord;
  messageDateTime: string;
  receivedDateTime: string;
  retrievedDateTime: string | null;
  sizeBytes: number;
  schemaVersion: string;
  transactionCount: number;
}

export interface Page<T> {
  data: T[];
  meta: { itemCount: number; nextCursor: string | null; totalRecords: number; totalPages: number };
}

/** Queue cursors hold the delivery position to resume from. */
const QUEUE_CURSOR = 'pqd~bpqd';

/** What BpqdService works with, by name. */
export interface BpqdServiceOptions {
  messages: MessageStore;
  delivery: DeliveryService;
  /** NMI roles and participants, for routing (spec §4.1). */
  standingData: StandingDataLookup;
  /** The contract's BpqdPayload schema, compiled. */
  /** Bounded for any input (src/contract/bounded-validation.ts). */
  validatePayload: (payload: unknown) => BoundedResult;
  settings: BpqdSettings;
  clock: Clock;
  random: Random;
  dailyMessages: DailyMessageQuota;
  signatures: SignatureVerifier;
  /** Whether a participant is a registered LNSP (default: everyone is). */
  isRegisteredLnsp?: (participantId: string) => boolean;
  /** Worker threads for large payloads (IDX_SIM_PAYLOAD_WORKERS); without one, every payload is checked on the event loop. */
  payloadPool?: PayloadPool;
}

export class BpqdService {
  private readonly messages: MessageStore;
  private readonly delivery: DeliveryService;
  private readonly standingData: StandingDataLookup;
  /** Bounded for any input (src/contract/bounded-validation.ts). */
  private readonly validatePayload: (payload: unknown) => BoundedResult;
  private readonly settings: BpqdSettings;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly dailyMessages: DailyMessageQuota;
  private readonly signatures: SignatureVerifier;
  private readonly isRegisteredLnsp: (participantId: string) => boolean;
  private readonly payloadPool: PayloadPool | undefined;

  constructor(o: BpqdServiceOptions) {
    this.messages = o.messages;
    this.delivery = o.delivery;
    this.standingData = o.standingData;
    this.validatePayload = o.validatePayload;
    this.settings = o.settings;
    this.clock = o.clock;
    this.random = o.random;
    this.dailyMessages = o.dailyMessages;
    this.signatures = o.signatures;
    this.isRegisteredLnsp = o.isRegisteredLnsp ?? (() => true);
    this.payloadPool = o.payloadPool;
  }

  /** Payload workers running now (they start with the first large body). */
  get payloadWorkersStarted(): number {
    return this.payloadPool?.started ?? 0;
  }

  /** Stops the payload workers (with the server). */
  async close(): Promise<void> {
    await this.payloadPool?.close();
  }

  async submit(s: Submission): Promise<SubmissionReceipt> {
    const context = this.parseContext(s.messageContextId);
    checkContextHeaders(context, s.initiatingParticipantId, { businessFunctionId: 'pqd', businessFunctionResourceId: 'bpqd' });
    // Nothing of this priority can be accepted today: say so before the body is even inflated.
    this.dailyMessages.check(s.initiatingParticipantId, context.priority, this.clock.now(), context.raw);
    const schemaVersion = this.schemaVersion(s.schemaVersion, context.raw);
    if (this.messages.isDuplicate(s.initiatingParticipantId, context.key)) {
      throw new IdxError('IDX_ERR_DUPLICATE_MESSAGE', `${s.initiatingParticipantId} already submitted ${context.raw}; messageContextId must be unique per sender (spec §3)`,
        { errors: [headerProblem('x-messageContextId', 'DUPLICATE', 'already used')], messageContextId: context.raw });
    }
    checkEncoding(s.contentType, s.contentEncoding, context.raw);
    // The signature's structure and signer are checked before inflating; the bytes before parsing (spec §3, §13.3).
    const signature = this.signatures.prepare(s.initiatingParticipantId, s.signature, context.raw);
    const { sizeBytes, facts } = this.payloadPool && s.body.length >= this.settings.payloadWorkerMinBytes
      ? await this.checkInWorker(this.payloadPool, s.body, context, signature)
      : await this.checkHere(s.body, context, signature);
    checkContextAgreement(context, s.initiatingParticipantId, { data: { header: facts.header } });
    const { recipients, churnDays } = checkRoutingFacts(facts.routing, s.initiatingParticipantId, this.standingData, {
      routing: this.settings.routingRule, churnDay: this.settings.churnDay, isRegisteredLnsp: this.isRegisteredLnsp,
    }, context.raw);
    if (this.settings.stoppedRecipient === 'refuse') this.refuseStoppedRecipients(recipients, context);
    const churnNote = describeChurnDays(s.initiatingParticipantId, churnDays);

    const receivedAt = this.clock.now();
    let messageId = `MSG-${this.random.uuid()}`;
    // check() and record() run with no await between them (record() inside the acceptance write), so
    // concurrent submissions cannot both take the last message of the quota; only accepted messages
    // count (docs/spec-variance.md).
    this.dailyMessages.check(s.initiatingParticipantId, context.priority, receivedAt, context.raw);
    for (let attempt = 1; ; attempt++) {
      try {
        const messagePk = await this.delivery.accept({
          messageId,
          messageContextId: context.raw,
          contextKey: context.key,
          senderId: s.initiatingParticipantId,
          businessFunctionId: context.businessFunctionId,
          resourceId: context.businessFunctionResourceId,
          priority: context.priority,
          messageDateTime: facts.header.messageDateTime,
          receivedAt,
          sizeBytes,
          schemaVersion,
          transactionCount: facts.transactionCount,
          signature: s.signature ?? null,
          traceId: s.traceId,
          payloadGzip: s.body,
        }, recipients, () => this.dailyMessages.record(s.initiatingParticipantId, context.priority, receivedAt),
        churnNote ? { reasonCode: 'CHURN_DAY', detail: churnNote } : undefined);
        s.stored?.(messagePk);
        break;
      } catch (err) {
        const violated = uniqueViolation(err);
        // Two concurrent submissions of the same id: the UNIQUE constraint decides, the loser gets 409.
        if (violated === 'messages.sender_id, messages.context_key') {
          throw new IdxError('IDX_ERR_DUPLICATE_MESSAGE', `${s.initiatingParticipantId} already submitted ${context.raw}`,
            { errors: [headerProblem('x-messageContextId', 'DUPLICATE', 'already used')], messageContextId: context.raw });
        }
        // The hub's own identifier collided (a replayed random sequence, issue 7 defect 10): not the
        // sender's fault — draw another. Any other failure is the hub's and stays a 500.
        if (violated === 'messages.message_id' && attempt < 3) {
          messageId = `MSG-${this.random.uuid()}`;
          continue;
        }
        throw err;
      }
    }
    return { messageContextId: context.raw, messageId, receivedDateTime: formatMarketDateTime(receivedAt), status: 'delivery_pending', receivingParticipantIds: recipients };
  }

  /**
   * spec §9 [D] "optionally reject with 503 via config": nothing is accepted while a receiver's queue is
   * stopped; the sender resends later. No Retry-After: only the receiver's retrievals decide when.
   */
  private refuseStoppedRecipients(recipients: readonly string[], context: MessageContextId): void {
    const closed = this.delivery.closedRecipients(recipients, context.businessFunctionId, this.clock.now());
    if (closed.length === 0) return;
    throw new IdxError('IDX_ERR_RECIPIENT_STOPPED',
      `${closed.map((c) => `${c.participantId}'s ${context.businessFunctionId} queue is not taking messages (${c.reason})`).join('; ')}; ` +
      `nothing was accepted: send the message again once delivery has resumed (GET /fctrl/v1/participants?participantId=${closed[0]!.participantId} tells when)`,
      { errors: closed.map((c) => bodyProblem('/data/header/receivingParticipantId', 'RECIPIENT_STOPPED', `${c.participantId}: ${c.reason}`)), messageContextId: context.raw });
  }

  list(recipientId: string, q: ListQuery): Page<MessageMetadata> {
    const itemCount = q.itemCount ?? this.settings.pageSizeDefault;
    if (itemCount > this.settings.pageSizeMax) {
      throw new IdxError('IDX_ERR_QUERY_INVALID', `itemCount ${itemCount} exceeds the maximum page size ${this.settings.pageSizeMax}`,
        { errors: [{ in: 'query', name: 'itemCount', code: 'MAXIMUM', message: `at most ${this.settings.pageSizeMax}` }] });
    }
    const filter: QueueFilter = {
      recipientId,
      expiredUpTo: this.delivery.expiredUpTo(),
      fromReceivedAt: dateTimeParameter('fromDateTime', q.fromDateTime),
      toReceivedAt: dateTimeParameter('toDateTime', q.toDateTime),
      priority: q.priority === undefined ? undefined : q.priority.length === 1 ? (q.priority as PriorityLetter) : PRIORITY_LETTER[q.priority as PriorityWord],
    };
    if (filter.fromReceivedAt !== undefined && filter.toReceivedAt !== undefined && filter.fromReceivedAt > filter.toReceivedAt) {
      throw new IdxError('IDX_ERR_QUERY_INVALID', `fromDateTime ${q.fromDateTime} is after toDateTime ${q.toDateTime}`,
        { errors: [{ in: 'query', name: 'fromDateTime', code: 'RANGE', message: 'after toDateTime' }] });
    }
    const startAt = q.cursor === undefined ? 0 : decodeCursor(QUEUE_CURSOR, q.cursor, [isPositiveInteger])[0] as number;
    const rows = this.messages.page(filter, startAt, itemCount + 1);
    const page = rows.slice(0, itemCount);
    // Unfiltered (the usual poll): the counter kept with the queue, so a page costs the same at 10 or 1M queued.
    const filtered = filter.fromReceivedAt !== undefined || filter.toReceivedAt !== undefined || filter.priority !== undefined;
    const totalRecords = filtered ? this.messages.count(filter) : this.delivery.queueSize(recipientId, 'pqd', filter.expiredUpTo);
    return {
      data: page.map(toMetadata),
      meta: {
        itemCount: page.length,
        nextCursor: rows.length > itemCount ? encodeCursor(QUEUE_CURSOR, [rows[itemCount]!.deliverySeq!]) : null,
        totalRecords,
        totalPages: Math.ceil(totalRecords / itemCount),
      },
    };
  }

  /** The stored gzip bytes; the first retrieval completes delivery (spec §4.5). */
  async retrieve(recipientId: string, messageContextId: string, traceId: string) {
    const context = this.parseContext(messageContextId);
    const item = this.found(this.messages.queued(recipientId, context.participantId, context.key, this.delivery.expiredUpTo()), recipientId, messageContextId);
    await this.delivery.retrieve(recipientId, item, traceId);
    return item;
  }

  async remove(recipientId: string, messageContextId: string, traceId: string): Promise<void> {
    // The same lookup as retrieve, without reading the payload it does not need.
    const context = this.parseContext(messageContextId);
    const item = this.found(this.messages.queuedItem(recipientId, context.participantId, context.key, this.delivery.expiredUpTo()), recipientId, messageContextId);
    await this.delivery.remove(recipientId, item, traceId, 'DELETED', 'deleted by the receiving participant');
  }

  private found<T>(item: T | undefined, recipientId: string, messageContextId: string): T {
    if (!item) {
      // Same answer whether the message never existed or sits in another participant's queue.
      throw new IdxError('IDX_ERR_MESSAGE_NOT_FOUND', `${messageContextId} is not in ${recipientId}'s queue (never sent to it, deleted, or expired)`,
        { errors: [{ in: 'path', name: 'messageContextId', code: 'NOT_FOUND', message: 'not in your queue' }], messageContextId });
    }
    return item;
  }

  private parseContext(raw: string): MessageContextId {
    const parsed = parseMessageContextId(raw);
    if (!parsed.ok) {
      throw new IdxError('IDX_ERR_CONTEXT_ID_INVALID', `x-messageContextId "${raw}": ${parsed.reason}`,
        { errors: [headerProblem('x-messageContextId', 'GRAMMAR', parsed.reason)], messageContextId: raw });
    }
    return parsed.value;
  }

  private schemaVersion(requested: string | undefined, messageContextId: string): string {
    const supported = this.settings.schemaVersions;
    if (requested === undefined) return supported[supported.length - 1]!;
    if (!supported.includes(requested)) {
      throw new IdxError('IDX_ERR_HEADER_INVALID', `x-schemaVersion ${requested} is not supported; supported: ${supported.join(', ')}`,
        { errors: [headerProblem('x-schemaVersion', 'UNSUPPORTED_VERSION', `supported: ${supported.join(', ')}`)], messageContextId });
    }
    return requested;
  }

  /**
   * The body's checks in the order a participant would want to hear about them (spec §3, §13.3): gzip,
   * the priority's size cap, the signature over the bytes, then the payload itself (checkPayload).
   */
  private async checkHere(body: Buffer, context: MessageContextId, signature: PreparedSignature | undefined): Promise<{ sizeBytes: number; facts: PayloadFacts }> {
    const json = await this.inflate(body, context.raw);
    this.checkPriorityCap(json.length, context);
    signature?.verify({ json, gzip: body });
    return { sizeBytes: json.length, facts: checkPayload(json, context.raw, this.payloadCheckOptions()) };
  }

  /**
   * `checkHere` for a large body, with the same outcome (test/services/payload-pool.test.ts): a worker
   * inflates, hashes and checks it all at once; the answers are then taken in `checkHere`'s order, so a
   * body that fails several checks is refused for the same one.
   */
  private async checkInWorker(pool: PayloadPool, body: Buffer, context: MessageContextId, signature: PreparedSignature | undefined): Promise<{ sizeBytes: number; facts: PayloadFacts }> {
    const answer = await pool.check({ gzip: body, maxOutputLength: this.settings.maxPayloadBytes, messageContextId: context.raw,
      allowGaps: this.settings.bpqdIntervalGaps === 'accept', returnJson: signature?.needsJson ?? false });
    if ('inflateError' in answer) throw this.inflateError(answer.inflateError, context.raw);
    const { jsonLength, digests, outcome } = answer;
    this.checkPriorityCap(jsonLength, context);
    // Without the JSON itself (not asked for), only its digest is ever read.
    await signature?.verifyLarge({ json: answer.json ?? Buffer.alloc(0), gzip: body }, digests);
    if (outcome.ok) return { sizeBytes: jsonLength, facts: outcome.facts };
    if ('refusal' in outcome) throw refusalOf(outcome.refusal);
    throw new Error(`checking the payload failed in a worker: ${outcome.failure}`);
  }

  private payloadCheckOptions() {
    return { validatePayload: this.validatePayload, allowGaps: this.settings.bpqdIntervalGaps === 'accept' };
  }

  private async inflate(body: Buffer, messageContextId: string): Promise<Buffer> {
    try {
      const options = { maxOutputLength: this.settings.maxPayloadBytes };
      return body.length <= SYNC_GUNZIP_MAX_BYTES ? gunzipSync(body, options) : await gunzipAsync(body, options);
    } catch (err) {
      throw this.inflateError({ code: (err as { code?: string }).code, message: (err as Error).message }, messageContextId);
    }
  }

  private inflateError(err: { code: string | undefined; message: string }, messageContextId: string): IdxError {
    const limit = this.settings.maxPayloadBytes;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') {
      return new IdxError('IDX_ERR_PAYLOAD_TOO_LARGE', `payload is larger than ${limit} bytes uncompressed (spec §8: 10 MB)`,
        { errors: [bodyProblem('', 'TOO_LARGE', `more than ${limit} bytes after gunzip`)], messageContextId });
    }
    return new IdxError('IDX_ERR_GZIP_INVALID', `the body is not valid gzip (${err.message}); compress the JSON with gzip and send Content-Encoding: gzip`,
      { errors: [bodyProblem('', 'GZIP', err.message)], messageContextId });
  }

  /** Priority is tied to a maximum size (spec §4.1, §8 [I]: High ≤ 1 MB, Medium ≤ 5 MB, Low ≤ 10 MB). */
  private checkPriorityCap(sizeBytes: number, context: MessageContextId): void {
    const cap = priorityPayloadCap(this.settings, context.priority);
    if (sizeBytes <= cap) return;
    const word = PRIORITY_WORD[context.priority];
    const fitting = (['h', 'm', 'l'] as const).filter((p) => sizeBytes <= Math.min(priorityPayloadCap(this.settings, p), this.settings.maxPayloadBytes))
      .map((p) => `${PRIORITY_WORD[p]} (≤ ${priorityPayloadCap(this.settings, p)} bytes)`);
    throw new IdxError('IDX_ERR_PAYLOAD_TOO_LARGE_FOR_PRIORITY',
      `the payload is ${sizeBytes} bytes uncompressed, more than the ${cap} bytes a ${word}-priority message may carry ` +
      `(priority "${context.priority}" in x-messageContextId; spec §4.1, §8: High ≤ 1 MB, Medium ≤ 5 MB, Low ≤ 10 MB). ` +
      `Split it${fitting.length ? `, or send it as ${fitting.join(' or ')}` : ''}.`,
      { errors: [bodyProblem('', 'PRIORITY_SIZE', `${sizeBytes} bytes > ${cap} bytes allowed for ${word} priority`)], messageContextId: context.raw });
  }
}

function checkEncoding(contentType: string | undefined, contentEncoding: string | undefined, messageContextId: string): void {
  if (contentEncoding?.trim().toLowerCase() !== 'gzip') {
    throw new IdxError('IDX_ERR_CONTENT_ENCODING_UNSUPPORTED', `Content-Encoding must be gzip (spec §3), got ${contentEncoding === undefined ? 'none' : `"${contentEncoding}"`}`,
      { errors: [headerProblem('Content-Encoding', 'ENCODING', 'must be gzip')], messageContextId });
  }
  const mediaType = contentType?.split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new IdxError('IDX_ERR_CONTENT_TYPE_UNSUPPORTED', `Content-Type must be application/json, got ${contentType === undefined ? 'none' : `"${contentType}"`}`,
      { errors: [headerProblem('Content-Type', 'MEDIA_TYPE', 'must be application/json')], messageContextId });
  }
}

function toMetadata(m: QueuedMessage): MessageMetadata {
  return {
    ...messageFields(m),
    retrievedDateTime: m.retrievedAt === null ? null : formatMarketDateTime(m.retrievedAt),
    transactionCount: m.transactionCount,
  };
}

