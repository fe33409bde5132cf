/**
 * `idx-sim submit`: sends BPQD files or folders as a participant (gzip, x-signature, headers of spec §3).
 * With a manifest (idx-sim generate, fixtures/payloads) each answer is checked against what the
 * manifest expects; a mismatch fails the run (exit 1).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { priorityOf, type IdxClient } from '../client/idx-client.js';
import type { Expectation } from '../domain/bpqd-dataset.js';
import type { PriorityLetter } from '../domain/message-context-id.js';
import type { MessageSigner } from '../security/message-signature.js';
import { connect, CONNECTION_OPTIONS, CONNECTION_USAGE, describeError, EXIT, isUnreachable, UsageError, type ConnectionValues } from './connection.js';

export const SUBMIT_USAGE = `usage: idx-sim submit [--as ID] [options] <file.json|file.json.gz|folder>...

POSTs each BPQD payload to /pqd/v1/bpqd: gzips it (a .gz is sent as is), signs it with the sender's key
(x-signature over the uncompressed JSON, or --over gzip), and sends the IDX headers. A folder sends
its manifest.json entries (idx-sim generate writes one; each entry names its sender, messageContextId
and the answer expected, which is checked) or else every *.json in it.

  --over json|gzip    what x-signature signs (default json, IDX_SIM_SIGNATURE_OVER)
  --fresh-ids         new messageContextIds instead of the manifest's (to send a folder again)
  --priority h|m|l    priority letter (default: the payload header's priority)
  --no-sign           send without x-signature
  --no-check          ignore the manifest's expectations
  --concurrency N     requests in flight (default 1)
${CONNECTION_USAGE}  Without --as, each entry is sent as its manifest sender (or the payload's initiatingParticipantId),
  with that participant's dev certificate.
`;

interface ManifestEntry {
  file: string;
  gzip?: string;
  sender?: string;
  priority?: PriorityLetter;
  messageContextId?: string;
  expect?: Expectation;
  about?: string;
}

interface Item {
  path: string;
  gzipPath?: string;
  sender?: string;
  priority?: PriorityLetter;
  messageContextId?: string;
  expect?: Expectation;
}

export interface SubmitOutcome {
  file: string;
  sender: string;
  messageContextId: string;
  status: number;
  code?: string;
  detail?: string;
  traceId?: string;
  ms: number;
  expected?: Expectation;
  /** Whether the answer is what the manifest expected (or, without one, a 200). */
  ok: boolean;
  mismatch?: string;
}

/** Files named on the command line, folders expanded through their manifest. */
export function collectItems(paths: string[]): Item[] {
  const items: Item[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`${p}: no such file or folder`);
    if (statSync(p).isDirectory()) {
      const manifestPath = join(p, 'manifest.json');
      if (existsSync(manifestPath)) {
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { payloads?: ManifestEntry[] };
        if (!Array.isArray(manifest.payloads)) throw new UsageError(`${manifestPath} has no "payloads" list`);
        for (const e of manifest.payloads) {
          items.push({ path: join(p, e.file), ...(e.gzip ? { gzipPath: join(p, e.gzip) } : {}), sender: e.sender, priority: e.priority, messageContextId: e.messageContextId, expect: e.expect });
        }
      } else {
        for (const name of readdirSync(p).sort()) if (/\.json(\.gz)?$/.test(name) && name !== 'nmi-standing-data.json') items.push({ path: join(p, name) });
      }
    } else {
      items.push({ path: p, ...manifestEntryFor(p) });
    }
  }
  return items;
}

/** A single file from a folder with a manifest still gets its expectation. */
function manifestEntryFor(path: string): Partial<Item> {
  const manifestPath = join(dirname(path), 'manifest.json');
  if (!existsSync(manifestPath)) return {};
  try {
    const entry = (JSON.parse(readFileSync(manifestPath, 'utf8')) as { payloads?: ManifestEntry[] }).payloads?.find((e) => e.file === basename(path) || e.gzip === basename(path));
    return entry ? { sender: entry.sender, priority: entry.priority, messageContextId: entry.messageContextId, expect: entry.expect } : {};
  } catch {
    return {};
  }
}

export function checkExpectation(expect: Expectation | undefined, status: number, problem: { code?: string; errors?: Array<{ code?: string }> } | undefined): string | undefined {
  if (!expect) return status >= 200 && status < 300 ? undefined : `refused: ${status} ${problem?.code ?? ''}`.trim();
  const got = `${status}${problem?.code ? ` ${problem.code}` : ''}`;
  const want = `${expect.status}${expect.code ? ` ${expect.code}` : ''}`;
  if (status !== expect.status || (expect.code && problem?.code !== expect.code)) return `expected ${want}, got ${got}`;
  if (expect.problem && !(problem?.errors ?? []).some((e) => e.code === expect.problem)) {
    return `expected a problem ${expect.problem} in errors[], got ${(problem?.errors ?? []).map((e) => e.code).join(', ') || 'none'}`;
  }
  return undefined;
}

export interface SubmitSession {
  clientFor(sender: string): { client: IdxClient; signer: () => MessageSigner };
  close(): Promise<void>;
}

export async function submitItems(items: Item[], session: SubmitSession, o: {
  over: 'json' | 'gzip'; freshIds: boolean; sign: boolean; check: boolean; priority?: PriorityLetter; as?: string; concurrency: number;
  progress?: (done: number, total: number, last: SubmitOutcome) => void;
}): Promise<SubmitOutcome[]> {
  const outcomes: SubmitOutcome[] = new Array(items.length);
  const signers = new Map<string, MessageSigner>();
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i]!;
      const raw = readFileSync(item.path);
      const isGzip = raw[0] === 0x1f && raw[1] === 0x8b;
      const json = isGzip ? gunzipSync(raw) : raw;
      const gzip = isGzip ? raw : item.gzipPath && existsSync(item.gzipPath) ? readFileSync(item.gzipPath) : undefined;
      const sender = o.as ?? item.sender ?? /"initiatingParticipantId"\s*:\s*"([A-Z0-9]{1,10})"/.exec(json.subarray(0, 4096).toString('utf8'))?.[1];
      if (!sender) throw new UsageError(`${item.path}: cannot tell the sender; pass --as`);
      const { client, signer } = session.clientFor(sender);
      let signature: string | undefined;
      if (o.sign) {
        if (!signers.has(sender)) signers.set(sender, signer());
        const body = o.over === 'gzip' ? (gzip ?? (await import('node:zlib')).gzipSync(json)) : json;
        signature = signers.get(sender)!.sign(body);
      }
      const priority = o.priority ?? item.priority ?? priorityOf(json) ?? 'l';
      const reply = await client.submit(json, {
        priority, signature,
        ...(gzip ? { gzip } : {}),
        ...(!o.freshIds && item.messageContextId ? { messageContextId: item.messageContextId } : {}),
      });
      const problem = reply.status >= 300 ? reply.json() as { code?: string; detail?: string; errors?: Array<{ code?: string }> } | undefined : undefined;
      const mismatch = checkExpectation(o.check ? item.expect : undefined, reply.status, problem);
      const outcome: SubmitOutcome = {
        file: item.path, sender, messageContextId: reply.messageContextId, status: reply.status,
        ...(problem?.code ? { code: problem.code } : {}), ...(problem?.detail ? { detail: problem.detail } : {}),
        traceId: reply.headers['x-traceid'] as string | undefined, ms: Math.round(reply.ms),
        ...(o.check && item.expect ? { expected: item.expect } : {}), ok: mismatch === undefined, ...(mismatch ? { mismatch } : {}),
      };
      outcomes[i] = outcome;
      o.progress?.(++done, items.length, outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, items.length)) }, worker));
  return outcomes;
}

function progressBar(done: number, total: number, failed: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${failed ? `  ${failed} not as expected` : ''}`;
}

export async function submitCommand(args: string[], out: (text: string) => void, err: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      ...CONNECTION_OPTIONS, over: { type: 'string' }, 'fresh-ids': { type: 'boolean', default: false }, priority: { type: 'string' },
      'no-sign': { type: 'boolean', default: false }, 'no-check': { type: 'boolean', default: false }, concurrency: { type: 'string' },
    },
  });
  if (values.help) {
    out(SUBMIT_USAGE);
    return EXIT.OK;
  }
  if (!positionals.length) throw new UsageError(`name at least one file or folder\n\n${SUBMIT_USAGE}`);
  const over = values.over ?? process.env.IDX_SIM_SIGNATURE_OVER ?? 'json';
  if (over !== 'json' && over !== 'gzip') throw new UsageError(`--over must be json or gzip, got "${values.over}"`);
  if (values.priority !== undefined && !['h', 'm', 'l'].includes(values.priority)) throw new UsageError(`--priority must be h, m or l, got "${values.priority}"`);
  const concurrency = Number(values.concurrency ?? 1);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw new UsageError(`--concurrency must be 1..16, got "${values.concurrency}"`);
  const items = collectItems(positionals);
  if (!items.length) throw new UsageError(`no payloads found in ${positionals.join(' ')}`);
  const session = connectionSession(values);
  const tty = Boolean(process.stderr.isTTY) && !values.json && items.length > 1;
  let failed = 0;
  let outcomes: SubmitOutcome[];
  try {
    outcomes = await submitItems(items, session, {
      over, freshIds: values['fresh-ids'], sign: !values['no-sign'], check: !values['no-check'], concurrency,
      priority: values.priority as PriorityLetter | undefined, as: values.as,
      progress: (done, total, last) => {
        if (!last.ok) failed++;
        if (tty) err(progressBar(done, total, failed));
        else if (!values.json && items.length <= 20) out(describe(last));
      },
    });
  } catch (e) {
    if (tty) err('\n');
    if (isUnreachable(e)) {
      err(`idx-sim submit: cannot reach the hub: ${describeError(e)}\n`);
      return EXIT.UNREACHABLE;
    }
    throw e;
  } finally {
    await session.close();
  }
  if (tty) err('\n');
  const summary = summarise(outcomes);
  if (values.json) out(`${JSON.stringify({ summary, results: outcomes })}\n`);
  else {
    if (items.length > 20 || tty) for (const o of outcomes.filter((x) => !x.ok)) out(describe(o));
    out(`${summary.total} sent: ${summary.accepted} accepted, ${summary.refused} refused; ${summary.asExpected} as expected, ${summary.unexpected} not\n`);
  }
  return summary.unexpected ? EXIT.FAILED : EXIT.OK;
}

function describe(o: SubmitOutcome): string {
  const answer = o.status === 200 ? '200 accepted' : `${o.status} ${o.code ?? ''}`.trim();
  const verdict = o.ok ? (o.expected ? 'as expected' : '') : `✗ ${o.mismatch}`;
  return `${o.ok ? '✓' : '✗'} ${basename(o.file)}  ${o.sender}  ${answer}  ${o.ms} ms${verdict ? `  ${verdict.replace(/^✗ /, '')}` : ''}${!o.ok && o.detail ? `\n    ${o.detail}` : ''}\n`;
}

export function summarise(outcomes: SubmitOutcome[]) {
  return {
    total: outcomes.length,
    accepted: outcomes.filter((o) => o.status >= 200 && o.status < 300).length,
    refused: outcomes.filter((o) => o.status >= 300).length,
    asExpected: outcomes.filter((o) => o.ok).length,
    unexpected: outcomes.filter((o) => !o.ok).length,
  };
}

/** One client per sender: --cert/--key apply to --as; other senders use their dev certificates. */
export function connectionSession(values: ConnectionValues): SubmitSession {
  const conns = new Map<string, ReturnType<typeof connect>>();
  return {
    clientFor(sender) {
      let c = conns.get(sender);
      if (!c) {
        const own = values.as === undefined || values.as === sender;
        c = connect(own ? { ...values, as: sender } : { ...values, as: sender, cert: undefined, key: undefined, 'client-id': undefined, 'client-secret': undefined });
        conns.set(sender, c);
      }
      return { client: c.client, signer: c.signer };
    },
    async close() {
      await Promise.all([...conns.values()].map((c) => c.client.close()));
    },
  };
}
