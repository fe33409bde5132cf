/**
 * Outbound Archive (spec §4.6): the receiving participant lists and retrieves the messages sent to it,
 * for the retention period, "re-signed by the IDX hub" — the hub's own CMS signature over the payload,
 * next to the sender's original one.
 */
import { gunzipSync } from 'node:zlib';
import type { Clock } from '../domain/clock.js';
import { decodeCursor, encodeCursor, isInteger } from '../domain/cursor.js';
import { IdxError } from '../domain/errors.js';
import { dateTimeParameter } from '../domain/market-time.js';
import { parseMessageContextId } from '../domain/message-context-id.js';
import { messageFields } from '../domain/message-fields.js';
import { zip } from '../domain/zip.js';
import type { ArchivedMessage, ArchiveStore } from '../store/archive-store.js';
import type { QueryOf } from '../contract/types/index.js';

const DAY_MS = 86_400_000;
const ARCHIVE_CURSOR = 'archive';

/** What re-signs archive copies (the hub signer of src/security/message-signature.ts). */
export interface ArchiveSigner {
  /** `RSA-SHA256;<base64 CMS SignedData>` over the bytes. */
  sign(bytes: Buffer): string;
  /** The same CMS SignedData, DER. */
  signedData(bytes: Buffer): Buffer;
}

export interface ArchiveSettings {
  archiveRetentionDays: number;
  /** Whether signatures cover the uncompressed JSON (default) or the gzip bytes, as for participants. */
  signatureOver: 'json' | 'gzip';
}

/** The query parameters of `listArchivedMessages`, as generated from the OpenAPI document (src/contract/types). */
export type ArchiveListQuery = QueryOf<'listArchivedMessages'>;

export class ArchiveService {
  constructor(
    private readonly store: ArchiveStore,
    private readonly signer: ArchiveSigner,
    private readonly settings: ArchiveSettings,
    private readonly clock: Clock,
  ) {}

  private retainedSince(now: number): number {
    return now - this.settings.archiveRetentionDays * DAY_MS;
  }

  /**
   * Archived messages between startDateTime (default now) and endDateTime (default the start of the
   * retention period), newest first (spec §4.6: "startDateTime defaults to now").
   */
  list(recipientId: string, q: ArchiveListQuery) {
    const now = this.clock.now();
    const start = dateTimeParameter('startDateTime', q.startDateTime, { millisecondsRequired: true }) ?? now;
    const end = dateTimeParameter('endDateTime', q.endDateTime, { millisecondsRequired: true }) ?? this.retainedSince(now);
    const itemCount = q.itemCount ?? 100;
    const query = {
      recipientId,
      from: Math.max(Math.min(start, end), this.retainedSince(now)),
      to: Math.max(start, end),
      businessFunctionId: q.businessFunctionId,
      resourceId: q.businessFunctionResourceId,
    };
    const [at, id] = q.cursor === undefined ? [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] : decodeCursor(ARCHIVE_CURSOR, q.cursor, [isInteger, isInteger]) as number[];
    const before = { at: at!, id: id! };
    const rows = this.store.page(query, before, itemCount + 1);
    const page = rows.slice(0, itemCount);
    const totalRecords = this.store.count(query);
    const next = rows[itemCount];
    return {
      data: page.map(view),
      meta: {
        itemCount: page.length,
        nextCursor: next ? encodeCursor(ARCHIVE_CURSOR, [next.receivedAt, next.id]) : null,
        totalRecords,
        totalPages: Math.ceil(totalRecords / itemCount),
      },
    };
  }

  /** The archived copy: stored gzip bytes, the hub's signature, and the sender's original one. */
  retrieve(recipientId: string, messageContextId: string) {
    const now = this.clock.now();
    const parsed = parseMessageContextId(messageContextId); // the path pattern already checked the grammar
    const message = parsed.ok ? this.store.one(recipientId, parsed.value.participantId, parsed.value.key, this.retainedSince(now)) : undefined;
    if (!message || message.payloadGzip.length === 0) {
      throw new IdxError('IDX_ERR_MESSAGE_NOT_FOUND',
        `${messageContextId} is not in ${recipientId}'s outbound archive (never sent to it, or older than the ${this.settings.archiveRetentionDays}-day retention)`,
        { errors: [{ in: 'path', name: 'messageContextId', code: 'NOT_FOUND', message: 'not in your archive' }], messageContextId });
    }
    const json = gunzipSync(message.payloadGzip);
    const signed = this.settings.signatureOver === 'gzip' ? message.payloadGzip : json;
    return { message: view(message), payloadGzip: message.payloadGzip, json, hubSignature: this.signer.sign(signed), originalSignature: message.signature, signed };
  }

  /** Drops payload bytes older than the retention (the rows and their log stay). Returns how many. */
  purge(): number {
    return this.store.purge(this.retainedSince(this.clock.now()));
  }

  /** `<messageContextId>.zip`: the payload JSON and the hub's detached signature (`.p7s`) over the signed bytes. */
  zipOf(copy: ArchivedCopy): { fileName: string; bytes: Buffer } {
    const modified = new Date(Date.parse(copy.message.receivedDateTime));
    const base = copy.message.messageContextId;
    const overGzip = this.settings.signatureOver === 'gzip';
    return {
      fileName: `${base}.zip`,
      bytes: zip([
        { name: `${base}.json`, data: copy.json, modified },
        // Signed over the gzip bytes when so configured: then the archive carries them too, so the signature can be checked.
        ...(overGzip ? [{ name: `${base}.json.gz`, data: copy.signed, modified }] : []),
        { name: `${base}.${overGzip ? 'json.gz' : 'json'}.p7s`, data: this.signer.signedData(copy.signed), modified },
      ]),
    };
  }
}

export type ArchivedCopy = ReturnType<ArchiveService['retrieve']>;

function view(m: ArchivedMessage) {
  return { ...messageFields(m), receivingParticipantId: m.recipientId };
}
