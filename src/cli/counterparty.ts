/**
 * `idx-sim counterparty`: start, change, run and stop virtual counterparties through the control API
 * (`/sim/v1/counterparties`, admin key).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { loadConfig } from '../config.js';
import type { CounterpartyView } from '../services/counterparty-service.js';
import { pkiPaths } from '../pki/dev-ca.js';
import { describeError, EXIT, isUnreachable, UsageError } from './connection.js';

export const COUNTERPARTY_USAGE = `usage: idx-sim counterparty <list|add|set|show|remove|tick> [options]

Virtual counterparties play the other side on the simulated clock, through the real IDX API:
  idx-sim counterparty add sender --as MDPONE [--every day | --every-minutes N] [--from YYYY-MM-DD]
        [--nmis N1,N2] [--interval 5|15|30] [--priority-mix h=1,m=1,l=8] [--invalid-share 0.1]
        [--invalid-variants bad-checksum,gaps,duplicate-intervals,out-of-range,wrong-lnsp,oversize] [--id ID]
  idx-sim counterparty add lnsp --as LNSPNORTH --policy normal|get-only|slow|stopped [--per-minute N] [--id ID]
  idx-sim counterparty set ID [--policy P] [--per-minute N] [--invalid-share S] [--priority-mix …] [--pause | --resume]
  idx-sim counterparty list | show ID | remove ID
  idx-sim counterparty tick        run what is due at the simulated now (the server also does every second)
options: --url URL (default https://127.0.0.1:8443; env IDX_URL)  --admin-key K (env IDX_SIM_ADMIN_KEY)
         --ca FILE (default certs/ca/ca.crt)  --certs-dir D  --json
exit codes: 0 ok · 1 refused · 2 usage · 3 hub unreachable
`;

function parseMix(raw: string): Record<string, number> {
  const mix: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const [k, v] = part.split('=');
    const n = Number(v);
    if (!k || !['h', 'm', 'l'].includes(k) || !Number.isFinite(n) || n < 0) throw new UsageError(`--priority-mix takes h=N,m=N,l=N with N >= 0, got "${raw}"`);
    mix[k] = n;
  }
  return mix;
}

function num(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got "${raw}"`);
  return n;
}

export function describeCounterparty(c: CounterpartyView): string {
  const s = c.spec;
  const what = s.kind === 'lnsp' ? `LNSP ${s.participantId}, policy ${s.policy}${s.policy === 'slow' ? ` (${s.perMinute}/min)` : ''}`
    : `sender ${s.participantId}, ${'everyMinutes' in (s.schedule ?? {}) ? `every ${(s.schedule as { everyMinutes: number }).everyMinutes} min` : 'daily'}${s.invalidShare ? `, ${Math.round(s.invalidShare * 100)}% invalid` : ''}`;
  const st = c.stats;
  const did = s.kind === 'lnsp' ? `retrieved ${st.retrieved}, deleted ${st.deleted}, failed ${st.failed}`
    : `sent ${st.sent}: ${st.accepted} accepted, ${st.refused} refused${Object.keys(st.refusedByCode).length ? ` (${Object.entries(st.refusedByCode).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`;
  const next = c.nextDueAt ? `; next ${c.nextMarketDate ? `${c.nextMarketDate} ` : ''}at ${c.nextDueAt}` : '';
  return `${c.id.padEnd(24)} ${c.state.padEnd(8)} ${what}; ${did}${st.errors ? `; ${st.errors} errors` : ''}${next}\n`;
}

export async function counterpartyCommand(args: string[], out: (text: string) => void, err: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: {
      url: { type: 'string' }, 'admin-key': { type: 'string' }, ca: { type: 'string' }, 'certs-dir': { type: 'string' }, json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }, as: { type: 'string' }, id: { type: 'string' }, every: { type: 'string' }, 'every-minutes': { type: 'string' },
      from: { type: 'string' }, nmis: { type: 'string' }, interval: { type: 'string' }, 'priority-mix': { type: 'string' }, 'invalid-share': { type: 'string' },
      'invalid-variants': { type: 'string' }, policy: { type: 'string' }, 'per-minute': { type: 'string' }, pause: { type: 'boolean' }, resume: { type: 'boolean' },
    },
  });
  if (values.help || action === undefined || action === 'help' || action === '--help' || action === '-h') {
    out(COUNTERPARTY_USAGE);
    return EXIT.OK;
  }
  const config = loadConfig({ certsDir: values['certs-dir'] });
  const url = (values.url ?? process.env.IDX_URL ?? `https://127.0.0.1:${config.port}`).replace(/\/$/, '');
  const caPath = values.ca ?? pkiPaths(config.certsDir).caCert;
  const agent = new Agent({ connect: existsSync(caPath) ? { ca: readFileSync(caPath) } : {} });
  const call = async (method: string, path: string, body?: object) => {
    const res = await request(`${url}/sim/v1${path}`, {
      method: method as 'GET', dispatcher: agent,
      headers: { authorization: `Bearer ${values['admin-key'] ?? config.adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
  };
  const fields = () => {
    const f: Record<string, unknown> = {};
    if (values.nmis) f.nmis = values.nmis.split(',').map((n) => n.trim());
    if (values['every-minutes'] !== undefined) f.schedule = { everyMinutes: num('every-minutes', values['every-minutes']) };
    else if (values.every !== undefined) {
      if (values.every !== 'day') throw new UsageError(`--every takes "day" (or use --every-minutes N), got "${values.every}"`);
      f.schedule = { every: 'day' };
    }
    if (values.from) f.from = values.from;
    if (values.interval) f.intervalLength = num('interval', values.interval);
    if (values['priority-mix']) f.priorityMix = parseMix(values['priority-mix']);
    if (values['invalid-share'] !== undefined) f.invalidShare = num('invalid-share', values['invalid-share']);
    if (values['invalid-variants']) f.invalidVariants = values['invalid-variants'].split(',').map((v) => v.trim());
    if (values.policy) f.policy = values.policy;
    if (values['per-minute'] !== undefined) f.perMinute = num('per-minute', values['per-minute']);
    if (values.pause) f.paused = true;
    if (values.resume) f.paused = false;
    return f;
  };

  let reply: { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    switch (action) {
      case 'list': reply = await call('GET', '/counterparties'); break;
      case 'tick': reply = await call('POST', '/counterparties/tick'); break;
      case 'show':
      case 'remove': {
        const id = positionals[0];
        if (!id) throw new UsageError(`idx-sim counterparty ${action} ID`);
        reply = await call(action === 'show' ? 'GET' : 'DELETE', `/counterparties/${encodeURIComponent(id)}`);
        break;
      }
      case 'set': {
        const id = positionals[0];
        if (!id) throw new UsageError('idx-sim counterparty set ID [--policy …]');
        reply = await call('PATCH', `/counterparties/${encodeURIComponent(id)}`, fields());
        break;
      }
      case 'add': {
        const kind = positionals[0];
        if (kind !== 'sender' && kind !== 'lnsp') throw new UsageError('idx-sim counterparty add sender|lnsp --as ID …');
        if (!values.as) throw new UsageError('--as <participant ID> is required');
        reply = await call('POST', '/counterparties', { kind, participantId: values.as, ...(values.id ? { id: values.id } : {}), ...fields() });
        break;
      }
      default:
        throw new UsageError(`unknown action "${action}"\n\n${COUNTERPARTY_USAGE}`);
    }
  } catch (e) {
    if (isUnreachable(e)) {
      err(`idx-sim counterparty: cannot reach the hub at ${url}: ${describeError(e)}\n`);
      return EXIT.UNREACHABLE;
    }
    throw e;
  } finally {
    await agent.close();
  }
  if (reply.status >= 300) {
    err(`idx-sim counterparty ${action}: ${reply.status} ${reply.body?.code ?? ''} ${reply.body?.detail ?? ''}\n`);
    return EXIT.FAILED;
  }
  if (values.json) out(`${JSON.stringify(reply.body ?? {})}\n`);
  else if (reply.status === 204) out(`removed ${positionals[0]}\n`);
  else {
    const data = reply.body.data as CounterpartyView | CounterpartyView[];
    for (const c of Array.isArray(data) ? data : [data]) out(describeCounterparty(c));
    if (Array.isArray(data) && !data.length) out('no counterparties\n');
  }
  return EXIT.OK;
}
