/**
 * `idx-sim doctor`: the connectivity test a participant runs before anything else (seed 001 §2:
 * certificates, a small and a maximum-size file, exit criteria), each step pass/warn/fail with the
 * reason: TLS to the hub, the client certificate (CN, expiry — a warning inside 14 days, as seed 001 asks
 * to replace certificates two weeks before expiry), a token, a small and a maximum-size payload (or the
 * queue, for an LNSP), the WebSocket channel, and clock skew against the hub.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import type { Reply } from '../client/idx-client.js';
import { largestPayload, smallPayload, type StandingDataEntry } from '../domain/bpqd-dataset.js';
import { checkCommonName } from '../domain/certificate-rules.js';

import { expandNmis } from '../domain/nmi.js';
import { priorityPayloadCap } from '../domain/quotas.js';
import { connect, CONNECTION_OPTIONS, CONNECTION_USAGE, describeError, EXIT, UsageError, type Connection } from './connection.js';

export const DOCTOR_USAGE = `usage: idx-sim doctor [--as ID] [options]

Connectivity checks, each pass, warn or fail with the reason:
  tls          TLS handshake with the hub, its certificate trusted by --ca
  certificate  the client certificate: key matches, CN <ID>-NonProd|Prod names --as, not expired
               (warning inside 14 days of expiry)
  token        an access token over mTLS
  small        a small BPQD payload accepted (senders; an LNSP lists its queue instead)
  maximum      a payload as large as the priority allows accepted (senders)
  websocket    the event channel opens and answers a ping
  clock        the hub's Date header within 5 s of this machine's clock (fail beyond 60 s)
Payload checks send real messages to the NMI's LNSP; pick them with --nmi/--lnsp/--date (default: the
first NMI the standing data gives --as, on 2026-07-01), or skip them with --no-submit.
  --nmi NMI  --lnsp ID  --date YYYY-MM-DD  --priority h|m|l (default l)  --role sender|lnsp
  --fixtures-dir D   where to find the standing data and participants (default fixtures)
  --over json|gzip   what x-signature signs (default json)   --environment NonProd|Prod (default NonProd)
${CONNECTION_USAGE}`;

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  ms: number;
}

const DAY_MS = 86_400_000;

/** Who --as is, and which NMI it may send, from the fixtures (local idx-sim). */
function fromFixtures(dir: string, participantId: string): { role?: string; nmi?: string; lnsp?: string } {
  try {
    const participants = JSON.parse(readFileSync(join(dir, 'participants.json'), 'utf8')) as { participants: Array<{ participantId: string; role: string }> };
    const role = participants.participants.find((p) => p.participantId === participantId)?.role;
    const standing = JSON.parse(readFileSync(join(dir, 'nmi-standing-data.json'), 'utf8')) as { nmis: StandingDataEntry[] };
    for (const e of standing.nmis) {
      const sends = e.roles.some((r) => r.role !== 'LNSP' && r.participantId === participantId && !r.to);
      const lnsp = e.roles.find((r) => r.role === 'LNSP' && !r.to)?.participantId;
      if (sends && lnsp) return { role, nmi: expandNmis(e.nmis)[0], lnsp };
    }
    return { role };
  } catch {
    return {};
  }
}

function problemText(reply: Reply): string {
  const p = reply.json() as { code?: string; detail?: string } | undefined;
  return `${reply.status}${p?.code ? ` ${p.code}` : ''}${p?.detail ? `: ${p.detail}` : ''}`;
}

export interface DoctorOptions {
  now: number;
  role: 'sender' | 'lnsp';
  submit: boolean;
  nmi?: string;
  lnsp?: string;
  date: string;
  priority: 'h' | 'm' | 'l';
  maxBytes: number;
  over: 'json' | 'gzip';
  environment: 'NonProd' | 'Prod';
}

export async function runDoctor(conn: Connection, o: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const step = async (name: string, run: () => Promise<[CheckStatus, string]>) => {
    const started = performance.now();
    let result: [CheckStatus, string];
    try {
      result = await run();
    } catch (err) {
      result = ['fail', describeError(err)];
    }
    checks.push({ name, status: result[0], detail: result[1], ms: Math.round(performance.now() - started) });
    return result[0];
  };
  const { identity, client } = conn;
  const url = new URL(identity.url);

  const tls = await step('tls', () => new Promise((resolve) => {
    const socket = tlsConnect({
      host: url.hostname, port: Number(url.port || 443), servername: /^[\d.]+$|:/.test(url.hostname) ? undefined : url.hostname,
      cert: identity.cert, key: identity.key, ...(identity.ca ? { ca: identity.ca } : {}), rejectUnauthorized: true, timeout: 10_000,
    }, () => {
      const peer = socket.getPeerX509Certificate();
      resolve(['pass', `${socket.getProtocol()} to ${url.host}; hub certificate ${peer?.subject.replace(/\n/g, ', ') ?? '?'} valid until ${peer?.validTo ?? '?'}`]);
      socket.end();
    });
    socket.on('timeout', () => { socket.destroy(); resolve(['fail', `no TLS handshake with ${url.host} within 10 s`]); });
    socket.on('error', (err) => resolve(['fail', `TLS with ${url.host} failed: ${describeError(err)}${/self.signed|unable to (get|verify)/i.test(String(err)) ? ' — is --ca the CA that issued the hub\'s certificate?' : ''}`]));
  }));

  await step('certificate', async () => {
    const cert = new X509Certificate(identity.cert);
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
    const { createPrivateKey } = await import('node:crypto');
    if (!cert.checkPrivateKey(createPrivateKey(identity.key))) return ['fail', `the key ${conn.keyPath} does not belong to the certificate ${conn.certPath}`];
    const until = Date.parse(cert.validTo);
    const from = Date.parse(cert.validFrom);
    if (until < o.now) return ['fail', `certificate ${cn ?? '(no CN)'} expired on ${cert.validTo}; ask for a new one (idx-sim certs issue, or AEMO for pre-production)`];
    if (from > o.now) return ['fail', `certificate ${cn ?? '(no CN)'} is not valid before ${cert.validFrom}`];
    const rule = checkCommonName(cn, o.environment);
    if (rule.ok && rule.participantId !== identity.participantId) return ['fail', `certificate CN ${cn} names participant ${rule.participantId}, not ${identity.participantId} (spec §6: CN <ParticipantID>-${o.environment})`];
    const days = Math.floor((until - o.now) / DAY_MS);
    if (!rule.ok) return ['warn', `CN ${cn ?? '(none)'}: ${rule.message}; the hub must map it to ${identity.participantId} some other way`];
    if (days < 14) return ['warn', `certificate ${cn} expires in ${days} day(s), on ${cert.validTo}: replace it now (renew at least two weeks before expiry)`];
    return ['pass', `${cn}, serial ${cert.serialNumber}, valid until ${cert.validTo} (${days} days)`];
  });

  let serverDate: string | undefined;
  const token = await step('token', async () => {
    const t = await client.requestToken('PQD_BPQD EVENT_NOTIFY');
    serverDate = t.reply.headers.date as string | undefined;
    return ['pass', `${identity.clientId}: token for ${t.scope ?? '(no scope listed)'}, ${t.expiresIn} s`];
  });
  const ready = tls === 'pass' && token === 'pass';
  const skip = async (name: string, why: string) => step(name, async () => ['skip', why]);

  if (!ready) {
    for (const name of ['small', 'maximum']) await skip(name, 'needs TLS and a token');
  } else if (o.role === 'lnsp') {
    await step('small', async () => {
      const page = await client.list({ itemCount: 1 });
      if (page.status !== 200) return ['fail', `listing the queue: ${problemText(page)}`];
      const meta = (page.json() as { meta: { totalRecords: number } }).meta;
      return ['pass', `GET /bpqd answered: ${meta.totalRecords} message(s) queued`];
    });
    await skip('maximum', 'an LNSP does not send payloads');
  } else if (!o.submit) {
    for (const name of ['small', 'maximum']) await skip(name, '--no-submit');
  } else if (!o.nmi || !o.lnsp) {
    for (const name of ['small', 'maximum']) await skip(name, `no NMI for ${identity.participantId} in the standing data; pass --nmi and --lnsp`);
  } else {
    const probe = { seed: `doctor:${o.now}`, nmi: o.nmi, sender: identity.participantId, lnsp: o.lnsp, date: o.date, priority: o.priority, maxBytes: o.maxBytes };
    const signer = conn.signer();
    const send = async (json: string): Promise<[CheckStatus, string]> => {
      const bytes = Buffer.from(json);
      const { gzipSync } = await import('node:zlib');
      const gzip = gzipSync(bytes);
      const reply = await client.submit(bytes, { priority: o.priority, gzip, signature: signer.sign(o.over === 'gzip' ? gzip : bytes) });
      return reply.status === 200
        ? ['pass', `${bytes.length} bytes (${gzip.length} gzip) accepted in ${Math.round(reply.ms)} ms as ${reply.messageContextId}`]
        : ['fail', `${bytes.length} bytes refused: ${problemText(reply)}`];
    };
    await step('small', () => send(smallPayload(probe)));
    await step('maximum', () => send(largestPayload(probe)));
  }

  if (!ready) await skip('websocket', 'needs TLS and a token');
  else {
    await step('websocket', async () => {
      let resolvePong: (v: string) => void = () => {};
      const pong = new Promise<string>((r) => { resolvePong = r; });
      const ws = await client.events((frame) => {
        const type = (frame as { eventType?: string }).eventType;
        if (type === 'PONG') resolvePong(type);
      });
      try {
        ws.send(JSON.stringify({ action: 'ping' }));
        const timer = new Promise<string>((r) => setTimeout(() => r('timeout'), 5000).unref());
        const got = await Promise.race([pong, timer]);
        return got === 'PONG' ? ['pass', 'event channel open; ping answered with PONG'] : ['fail', 'event channel open, but no PONG within 5 s'];
      } finally {
        ws.close();
      }
    });
  }

  await step('clock', async () => {
    if (!serverDate) return ['skip', 'the hub sent no Date header'];
    const skew = Math.round((o.now - Date.parse(serverDate)) / 1000);
    const text = `this machine is ${Math.abs(skew)} s ${skew >= 0 ? 'ahead of' : 'behind'} the hub (Date: ${serverDate})`;
    if (Math.abs(skew) > 60) return ['fail', `${text}; tokens and signatures will be refused — sync with NTP`];
    return [Math.abs(skew) > 5 ? 'warn' : 'pass', text];
  });
  return checks;
}

export async function doctorCommand(args: string[], out: (text: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS, nmi: { type: 'string' }, lnsp: { type: 'string' }, date: { type: 'string' }, priority: { type: 'string' }, role: { type: 'string' },
      'fixtures-dir': { type: 'string' }, over: { type: 'string' }, environment: { type: 'string' }, 'no-submit': { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    out(DOCTOR_USAGE);
    return EXIT.OK;
  }
  const priority = values.priority ?? 'l';
  if (!['h', 'm', 'l'].includes(priority)) throw new UsageError(`--priority must be h, m or l, got "${priority}"`);
  if (values.role !== undefined && !['sender', 'lnsp'].includes(values.role)) throw new UsageError(`--role must be sender or lnsp, got "${values.role}"`);
  const over = values.over ?? 'json';
  if (over !== 'json' && over !== 'gzip') throw new UsageError(`--over must be json or gzip, got "${values.over}"`);
  const environment = values.environment ?? 'NonProd';
  if (environment !== 'NonProd' && environment !== 'Prod') throw new UsageError(`--environment must be NonProd or Prod, got "${values.environment}"`);
  const date = values.date ?? '2026-07-01';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UsageError(`--date must be YYYY-MM-DD, got "${values.date}"`);
  const config = loadConfig({ fixturesDir: values['fixtures-dir'] });
  const conn = connect(values);
  const known = existsSync(config.fixturesDir) ? fromFixtures(config.fixturesDir, conn.identity.participantId) : {};
  const role = (values.role ?? (known.role === 'LNSP' ? 'lnsp' : 'sender')) as 'sender' | 'lnsp';
  try {
    const checks = await runDoctor(conn, {
      now: Date.now(), role, submit: !values['no-submit'], nmi: values.nmi ?? known.nmi, lnsp: values.lnsp ?? known.lnsp, date,
      priority: priority as 'h' | 'm' | 'l', maxBytes: Math.min(priorityPayloadCap(config, priority as 'h' | 'm' | 'l'), config.maxPayloadBytes),
      over, environment,
    });
    const failed = checks.filter((c) => c.status === 'fail').length;
    if (values.json) out(`${JSON.stringify({ participantId: conn.identity.participantId, url: conn.identity.url, ok: failed === 0, checks })}\n`);
    else {
      const mark: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };
      out(`idx-sim doctor: ${conn.identity.participantId} → ${conn.identity.url}\n`);
      for (const c of checks) out(`  ${mark[c.status]}  ${c.name.padEnd(11)} ${c.detail}\n`);
      out(failed ? `${failed} check(s) failed\n` : 'all checks passed\n');
    }
    return failed ? EXIT.FAILED : EXIT.OK;
  } finally {
    await conn.client.close();
  }
}


