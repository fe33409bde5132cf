/**
 * `idx-sim poll`: an LNSP's drain loop (spec §4.1 delivery flow): list queue metadata page by page
 * following nextCursor, GET each message, save it, DELETE it (unless --keep).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { IdxClient, Reply } from '../client/idx-client.js';
import { connect, CONNECTION_OPTIONS, CONNECTION_USAGE, describeError, EXIT, isUnreachable, UsageError } from './connection.js';

export const POLL_USAGE = `usage: idx-sim poll [--as LNSP] [--out DIR] [--keep] [--page N] [--max N] [options]

Drains the participant's BPQD queue: GET /pqd/v1/bpqd page by page (following meta.nextCursor), then
GET /pqd/v1/bpqd/{messageContextId} for each message, saves it, and DELETEs it.
  --out DIR     save each message as DIR/<messageContextId>.json (uncompressed) and .sig (the hub's
                x-signature); default: not saved
  --keep        do not DELETE (the messages stay queued; retrieved messages no longer count as unretrieved)
  --page N      itemCount per list call (default 100)
  --max N       stop after N messages
${CONNECTION_USAGE}`;

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

/** One drain pass; `onMessage` sees each message as it is handled. */
export async function drainQueue(client: IdxClient, o: { keep: boolean; out?: string; page: number; max: number },
  onMessage: (m: PollResult['messages'][number]) => void = () => {}): Promise<PollResult> {
  const result: PollResult = { listed: 0, retrieved: 0, deleted: 0, failed: [], messages: [] };
  if (o.out) mkdirSync(o.out, { recursive: true });
  let cursor: string | undefined;
  do {
    const page = await client.list({ itemCount: o.page, ...(cursor ? { cursor } : {}) });
    if (page.status !== 200) throw new Error(`listing the queue was refused: ${refusal(page)}`);
    const body = page.json() as { data: Array<{ messageContextId: string; initiatingParticipantId: string; sizeBytes: number }>; meta: { nextCursor: string | null } };
    result.listed += body.data.length;
    for (const item of body.data) {
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

export async function pollCommand(args: string[], out: (text: string) => void, err: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...CONNECTION_OPTIONS, out: { type: 'string' }, keep: { type: 'boolean', default: false }, page: { type: 'string' }, max: { type: 'string' } },
  });
  if (values.help) {
    out(POLL_USAGE);
    return EXIT.OK;
  }
  const page = Number(values.page ?? 100);
  if (!Number.isInteger(page) || page < 1 || page > 500) throw new UsageError(`--page must be 1..500, got "${values.page}"`);
  const max = values.max === undefined ? Infinity : Number(values.max);
  if (!(max >= 1)) throw new UsageError(`--max must be a positive number, got "${values.max}"`);
  const { client } = connect(values);
  try {
    const result = await drainQueue(client, { keep: values.keep, out: values.out ? resolve(values.out) : undefined, page, max }, (m) => {
      if (!values.json) out(`${values.keep ? 'got' : 'got+deleted'} ${m.messageContextId} from ${m.initiatingParticipantId} (${m.sizeBytes} bytes)${m.saved ? ` → ${m.saved}` : ''}\n`);
    });
    if (values.json) out(`${JSON.stringify(result)}\n`);
    else {
      for (const f of result.failed) out(`✗ ${f.step} ${f.messageContextId}: ${f.status} ${f.code ?? ''}\n`);
      out(`${client.participantId}: ${result.retrieved} retrieved, ${result.deleted} deleted${values.keep ? ' (--keep)' : ''}, ${result.failed.length} failed\n`);
    }
    return result.failed.length ? EXIT.FAILED : EXIT.OK;
  } catch (e) {
    if (isUnreachable(e)) {
      err(`idx-sim poll: cannot reach the hub: ${describeError(e)}\n`);
      return EXIT.UNREACHABLE;
    }
    throw e;
  } finally {
    await client.close();
  }
}
