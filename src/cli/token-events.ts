/**
 * `idx-sim token` (an access token over mTLS, spec §4.8) and `idx-sim events` (the WebSocket event
 * stream, spec §4.7, §13.6, printed as it arrives).
 */
import { parseArgs } from 'node:util';
import { IdxCallError } from '../client/idx-client.js';
import { connect, CONNECTION_OPTIONS, CONNECTION_USAGE, describeError, EXIT, isUnreachable, UsageError } from './connection.js';

export const TOKEN_USAGE = `usage: idx-sim token [--as ID] [--scope "PQD_BPQD EVENT_NOTIFY"] [options]

Requests an access token (client credentials over mTLS) and prints it; with --json the whole answer.
${CONNECTION_USAGE}`;

export const EVENTS_USAGE = `usage: idx-sim events [--as ID] [--count N] [--seconds S] [--bf pqd] [options]

Opens the event channel (wss://…/events/v1) and prints every frame as it arrives: one line each, or
the frame's JSON with --json. Stops after --count frames or --seconds seconds (default: until Ctrl-C).
${CONNECTION_USAGE}`;

async function guarded(name: string, err: (t: string) => void, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof IdxCallError) {
      err(`idx-sim ${name}: ${e.message}\n`);
      return EXIT.FAILED;
    }
    if (isUnreachable(e)) {
      err(`idx-sim ${name}: cannot reach the hub: ${describeError(e)}\n`);
      return EXIT.UNREACHABLE;
    }
    throw e;
  }
}

export async function tokenCommand(args: string[], out: (text: string) => void, err: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  const { values } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, scope: { type: 'string' } } });
  if (values.help) {
    out(TOKEN_USAGE);
    return EXIT.OK;
  }
  const { client } = connect(values);
  try {
    return await guarded('token', err, async () => {
      const t = await client.requestToken(values.scope ?? 'PQD_BPQD EVENT_NOTIFY');
      if (values.json) out(`${JSON.stringify({ access_token: t.accessToken, expires_in: t.expiresIn, scope: t.scope ?? null })}\n`);
      else out(`${t.accessToken}\n`);
      return EXIT.OK;
    });
  } finally {
    await client.close();
  }
}

export function describeFrame(frame: Record<string, unknown>): string {
  const parts = [frame.eventDateTime ?? '', frame.eventType, frame.subType ?? '',
    frame.messageContextId ?? '', frame.participantId ?? '', frame.messageCount !== undefined ? `count=${frame.messageCount}` : '',
    frame.watermark ? `watermark=${frame.watermark}` : '', frame.description ?? '', frame.detail ?? ''];
  return parts.filter((p) => p !== '' && p !== undefined).join('  ');
}

export async function eventsCommand(args: string[], out: (text: string) => void, err: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  const { values } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, count: { type: 'string' }, seconds: { type: 'string' }, bf: { type: 'string' } } });
  if (values.help) {
    out(EVENTS_USAGE);
    return EXIT.OK;
  }
  const count = values.count === undefined ? Infinity : Number(values.count);
  const seconds = values.seconds === undefined ? Infinity : Number(values.seconds);
  if (!(count >= 1)) throw new UsageError(`--count must be a positive number, got "${values.count}"`);
  if (!(seconds > 0)) throw new UsageError(`--seconds must be a positive number, got "${values.seconds}"`);
  const { client } = connect(values);
  try {
    return await guarded('events', err, async () => {
      let seen = 0;
      let finish: (code: number) => void = () => {};
      const finished = new Promise<number>((r) => { finish = r; });
      const ws = await client.events((frame, raw) => {
        if (seen >= count) return;
        seen++;
        out(values.json || typeof frame !== 'object' ? `${raw}\n` : `${describeFrame(frame as Record<string, unknown>)}\n`);
        if (seen >= count) finish(EXIT.OK);
      }, values.bf ? { businessFunctionIds: values.bf } : {});
      ws.addEventListener('close', (e) => {
        if (seen < count) err(`idx-sim events: the hub closed the channel: ${e.code} ${e.reason}\n`);
        finish(seen >= count || e.code === 1000 ? EXIT.OK : EXIT.FAILED);
      });
      const timer = Number.isFinite(seconds) ? setTimeout(() => finish(EXIT.OK), seconds * 1000) : undefined;
      const onSignal = () => finish(EXIT.OK);
      process.once('SIGINT', onSignal);
      const code = await finished;
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      ws.close();
      return code;
    });
  } finally {
    await client.close();
  }
}
