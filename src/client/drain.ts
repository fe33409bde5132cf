/**
 * An LNSP's drain loop (spec §4.1 delivery flow): list queue metadata page by page following nextCursor,
 * GET each message, optionally save it, DELETE it unless kept. Used by `idx-sim poll` and the virtual LNSPs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { IdxClient, Reply } from './idx-client.js';

export interface PollResult {
  listed: number;
  retrieved: number;
  deleted: number;
  failed: Array<{ messageContextId: string; step: 'get' | 'delete'; status: number; code?: string }>;
  messages: Array<{ messageContextId: string; initiatingParticipantId: string; sizeBytes: number; saved?: string }>;
}

function refusal(reply: Reply): string {
  const p = reply.json() as { code?: string; detail?: string } | undefined;
  return `${reply.status}${p?.code ? ` ${p.code}` : ''}${p?.detail ? ` — ${p.detail}` : ''}`;
}

/**
 * One drain pass; `onMessage` sees each message as it is handled. `skipRetrieved` leaves messages already
 * retrieved alone (a GET-only receiver that never deletes would otherwise read its whole queue every time).
 */
export async function drainQueue(client: IdxClient, o: { keep: boolean; out?: string; page: number; max: number; skipRetrieved?: boolean },
  onMessage: (m: PollResult['messages'][number]) => void = () => {}): Promise<PollResult> {
  const result: PollResult = { listed: 0, retrieved: 0, deleted: 0, failed: [], messages: [] };
  if (o.out) mkdirSync(o.out, { recursive: true });
  let cursor: string | undefined;
  do {
    const page = await client.list({ itemCount: o.page, ...(cursor ? { cursor } : {}) });
    if (page.status !== 200) throw new Error(`listing the queue was refused: ${refusal(page)}`);
    const body = page.json() as { data: Array<{ messageContextId: string; initiatingParticipantId: string; sizeBytes: number; retrievedDateTime?: string | null }>; meta: { nextCursor: string | null } };
    result.listed += body.data.length;
    for (const item of body.data) {
      if (o.skipRetrieved && item.retrievedDateTime) continue;
      if (result.retrieved + result.failed.length >= o.max) return result;
      const got = await client.get(item.messageContextId);
      if (got.status !== 200) {
        result.failed.push({ messageContextId: item.messageContextId, step: 'get', status: got.status, code: (got.json() as { code?: string } | undefined)?.code });
        continue;
      }
      result.retrieved++;
      const entry: PollResult['messages'][number] = { messageContextId: item.messageContextId, initiatingParticipantId: item.initiatingParticipantId, sizeBytes: item.sizeBytes };
      if (o.out) {
        const isGzip = got.body[0] === 0x1f && got.body[1] === 0x8b;
        const file = join(o.out, `${item.messageContextId.replace(/~/g, '_')}.json`);
        writeFileSync(file, isGzip ? gunzipSync(got.body) : got.body);
        const signature = got.headers['x-signature'];
        if (typeof signature === 'string') writeFileSync(file.replace(/\.json$/, '.sig'), `${signature}\n`);
        entry.saved = file;
      }
      if (!o.keep) {
        const del = await client.delete(item.messageContextId);
        if (del.status === 204) result.deleted++;
        else result.failed.push({ messageContextId: item.messageContextId, step: 'delete', status: del.status, code: (del.json() as { code?: string } | undefined)?.code });
      }
      result.messages.push(entry);
      onMessage(entry);
    }
    cursor = body.meta.nextCursor ?? undefined;
  } while (cursor);
  return result;
}

