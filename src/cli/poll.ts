/**
 * `idx-sim poll`: an LNSP's drain loop (spec §4.1 delivery flow): list queue metadata page by page
 * following nextCursor, GET each message, save it, DELETE it (unless --keep).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { drainQueue } from '../client/drain.js';
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
