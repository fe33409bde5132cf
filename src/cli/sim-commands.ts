/**
 * The simulator commands of `idx-sim` (issue #10): thin clients of the control API `/sim/v1` —
 * clock, faults, nmis, churn, reset, snapshot, journal, coverage. Human output by default, `--json` for
 * scripts; exit codes in CONNECTION_HELP.
 */
import { parseArgs } from 'node:util';
import type { components } from '../contract/types/sim-admin.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, table, UsageError, withControl, type ControlClient } from './control-client.js';

/** The control API's shapes, from the types generated from openapi/sim-admin.yaml (npm run contract:types). */
type Schemas = components['schemas'];

export type Writer = (text: string) => void;
type Values = Record<string, string | boolean | undefined>;
type Handler = (client: ControlClient, positionals: string[], values: Values, out: Writer) => Promise<number>;

interface Command {
  usage: string;
  flags: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  run: Handler;
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `2h`, `10d` → seconds. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new UsageError(`"${text}" is not a duration such as 90s, 15m, 2h or 10d`);
  return Math.round((Number(m[1]) * UNIT_MS[m[2]!]!) / 1000);
}

const str = (v: Values, k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
const need = (value: string | undefined, what: string, usage: string): string => {
  if (value === undefined || value === '') throw new UsageError(`${what} is required\n\n${usage}`);
  return value;
};
const print = (out: Writer, values: Values, json: unknown, human: () => string) => out(values.json ? `${JSON.stringify(json, null, 2)}\n` : human());

// ---------------------------------------------------------------------------------------------- clock
const CLOCK_USAGE = `usage: idx-sim clock [show | set <date-time> | advance <duration> | freeze | unfreeze]

  show                     the simulated time (default)
  set 2026-07-15T00:00:00+10:00   jump to an instant
  advance 10d              move forward (ms, s, m, h, d); queue expiry and archive purge run at once
  freeze | unfreeze        stop or restart the clock
`;
const clock: Command = {
  usage: CLOCK_USAGE,
  flags: {},
  async run(client, [sub = 'show', arg], values, out) {
    let body: Record<string, unknown> | undefined;
    if (sub === 'set') body = { dateTime: need(arg, 'a date-time', CLOCK_USAGE) };
    else if (sub === 'advance') body = { advanceSeconds: parseDuration(need(arg, 'a duration', CLOCK_USAGE)) };
    else if (sub === 'freeze' || sub === 'unfreeze') body = { frozen: sub === 'freeze' };
    else if (sub !== 'show') throw new UsageError(`unknown clock command "${sub}"\n\n${CLOCK_USAGE}`);
    const res = body ? await client.call('PUT', '/clock', body) : await client.call('GET', '/clock');
    const c = res.json();
    print(out, values, c, () => `${c.now}${c.frozen ? ' (frozen)' : ''}${c.expiredMessages ? `  — ${c.expiredMessages} expired message(s) removed` : ''}\n`);
    return 0;
  },
};

// --------------------------------------------------------------------------------------------- faults
const FAULTS_USAGE = `usage: idx-sim faults [list | add --kind KIND [filters] | off <id> | on <id> | rm <id> | clear]

  kinds:   latency --latency MS[..MAX]   error --status 500|502|503|504   reset   ws-close   ws-silence
           fc-stop --participant ID      bad-signature   truncated-gzip
  filters: --api pqd|fctrl|events|oauth|translog|bfinfo|archive  --operation OPERATION_ID  --participant ID
           --from DATE-TIME  --to DATE-TIME (simulated clock)  --share 0..1  --description TEXT
`;
const faults: Command = {
  usage: FAULTS_USAGE,
  flags: {
    kind: { type: 'string' }, api: { type: 'string' }, operation: { type: 'string' }, participant: { type: 'string' }, from: { type: 'string' },
    to: { type: 'string' }, share: { type: 'string' }, status: { type: 'string' }, latency: { type: 'string' }, description: { type: 'string' },
  },
  async run(client, [sub = 'list', id], values, out) {
    const show = (rules: Schemas['FaultRule'][]) => table(['id', 'kind', 'api', 'operation', 'participant', 'window', 'share', 'effect', 'on', 'active', 'hits'],
      rules.map((r) => [r.id, r.kind, r.api ?? '*', r.operationId ?? '*', r.participantId ?? '*', `${r.from ?? '…'} → ${r.to ?? '…'}`, r.share,
        r.status ?? (r.latencyMs !== null ? `${r.latencyMs}${r.latencyMaxMs !== null ? `..${r.latencyMaxMs}` : ''} ms` : ''), r.enabled ? 'yes' : 'no', r.active ? 'yes' : 'no', r.hits]));
    const ruleId = () => {
      const n = Number(need(id, 'a rule id', FAULTS_USAGE));
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`rule id must be a positive integer, got "${id}"`);
      return n;
    };
    if (sub === 'list') {
      const rules = (await client.call('GET', '/faults')).json().data;
      print(out, values, rules, () => (rules.length ? show(rules) : 'no fault rules\n'));
    } else if (sub === 'add') {
      const latency = str(values, 'latency')?.split('..');
      const number = (flag: string, text: string | undefined) => {
        if (text === undefined) return undefined;
        const n = Number(text);
        if (!Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got "${text}"`);
        return n;
      };
      const body = Object.fromEntries(Object.entries({
        kind: need(str(values, 'kind'), '--kind', FAULTS_USAGE), api: str(values, 'api'), operationId: str(values, 'operation'),
        participantId: str(values, 'participant'), from: str(values, 'from'), to: str(values, 'to'), share: number('share', str(values, 'share')),
        status: number('status', str(values, 'status')), latencyMs: number('latency', latency?.[0]), latencyMaxMs: number('latency', latency?.[1]),
        description: str(values, 'description'),
      }).filter(([, v]) => v !== undefined));
      const rule = (await client.call('POST', '/faults', body)).json().data;
      print(out, values, rule, () => `added fault rule ${rule.id}\n${show([rule])}`);
    } else if (sub === 'off' || sub === 'on') {
      const rule = (await client.call('PATCH', `/faults/${ruleId()}`, { enabled: sub === 'on' })).json().data;
      print(out, values, rule, () => `fault rule ${rule.id} switched ${sub}\n`);
    } else if (sub === 'rm') {
      const n = ruleId();
      await client.call('DELETE', `/faults/${n}`);
      print(out, values, { deleted: n }, () => `fault rule ${n} removed\n`);
    } else if (sub === 'clear') {
      await client.call('DELETE', '/faults');
      print(out, values, { cleared: true }, () => 'every fault rule removed\n');
    } else throw new UsageError(`unknown faults command "${sub}"\n\n${FAULTS_USAGE}`);
    return 0;
  },
};

// ----------------------------------------------------------------------------------------- nmis/churn
const NMIS_USAGE = `usage: idx-sim nmis [list [--nmi N] [--participant ID] [--role LNSP|MC|MDP] [--date D] | show <nmi>
                  | set <nmi> --lnsp ID --mc ID [--mdp ID] [--from D] | rm <nmi>]

  list   role spans of NMI standing data (effective-dated, dates inclusive)
  set    create an NMI, or replace all its roles, from --from (default 2026-01-01)
  rm     remove an NMI's standing data
  (meter churn: idx-sim churn)
`;
const roleRows = (roles: Schemas['NmiRole'][]) => table(['nmi', 'role', 'participant', 'from', 'to', 'id', 'source'],
  roles.map((r) => [r.nmi, r.role, r.participantId, r.fromDate, r.toDate ?? '…', r.id, r.source]));
const nmis: Command = {
  usage: NMIS_USAGE,
  flags: { nmi: { type: 'string' }, participant: { type: 'string' }, role: { type: 'string' }, date: { type: 'string' }, lnsp: { type: 'string' }, mc: { type: 'string' }, mdp: { type: 'string' }, from: { type: 'string' } },
  async run(client, [sub = 'list', nmi], values, out) {
    if (sub === 'list') {
      const q = new URLSearchParams(Object.entries({ nmi: str(values, 'nmi'), participantId: str(values, 'participant'), role: str(values, 'role'), date: str(values, 'date') })
        .filter((e): e is [string, string] => e[1] !== undefined));
      const roles = (await client.call('GET', `/nmis${q.size ? `?${q}` : ''}`)).json().data;
      print(out, values, roles, () => (roles.length ? roleRows(roles) : 'no standing data matches\n'));
    } else if (sub === 'show') {
      const data = (await client.call('GET', `/nmis/${need(nmi, 'an NMI', NMIS_USAGE)}`)).json().data;
      print(out, values, data, () => roleRows(data.roles));
    } else if (sub === 'set') {
      const fromDate = str(values, 'from') ?? '2026-01-01';
      const roles = (['lnsp', 'mc', 'mdp'] as const).filter((r) => str(values, r)).map((r) => ({ role: r.toUpperCase(), participantId: str(values, r), fromDate }));
      need(str(values, 'lnsp'), '--lnsp', NMIS_USAGE);
      need(str(values, 'mc'), '--mc', NMIS_USAGE);
      const res = await client.call('PUT', `/nmis/${need(nmi, 'an NMI', NMIS_USAGE)}`, { roles });
      print(out, values, res.json().data, () => `${res.status === 201 ? 'created' : 'replaced'} ${nmi}\n${roleRows(res.json().data.roles)}`);
    } else if (sub === 'rm') {
      await client.call('DELETE', `/nmis/${need(nmi, 'an NMI', NMIS_USAGE)}`);
      print(out, values, { deleted: nmi }, () => `standing data of ${nmi} removed\n`);
    } else throw new UsageError(`unknown nmis command "${sub}"\n\n${NMIS_USAGE}`);
    return 0;
  },
};

const CHURN_USAGE = `usage: idx-sim churn <nmi> --from DATE [--mdp ID] [--mc ID] [--lnsp ID]

  meter churn: from DATE the named roles pass to the new participants; the old spans end the day before.
  Routing uses the change from the next submission; DATE itself is a partial churn day in coverage.
`;
const churn: Command = {
  usage: CHURN_USAGE,
  flags: { from: { type: 'string' }, mdp: { type: 'string' }, mc: { type: 'string' }, lnsp: { type: 'string' } },
  async run(client, [nmi], values, out) {
    const body = Object.fromEntries(Object.entries({ fromDate: need(str(values, 'from'), '--from', CHURN_USAGE), MDP: str(values, 'mdp'), MC: str(values, 'mc'), LNSP: str(values, 'lnsp') })
      .filter(([, v]) => v !== undefined));
    if (Object.keys(body).length < 2) throw new UsageError(`name at least one new party (--mdp, --mc or --lnsp)\n\n${CHURN_USAGE}`);
    const data = (await client.call('POST', `/nmis/${need(nmi, 'an NMI', CHURN_USAGE)}/churn`, body)).json().data;
    print(out, values, data, () => `churned ${nmi} from ${body.fromDate}\n${roleRows(data.roles)}`);
    return 0;
  },
};

// ------------------------------------------------------------------------------------ reset/snapshot
const RESET_USAGE = `usage: idx-sim reset

  back to the fixtures: every message, queue, log, run-time participant and fault rule removed, fixtures and
  certificates loaded again, the clock back to its start; snapshots are kept
`;
const reset: Command = {
  usage: RESET_USAGE,
  flags: {},
  async run(client, _p, values, out) {
    const s = (await client.call('POST', '/reset')).json();
    print(out, values, s, () => `reset to the fixtures: ${s.participants} participants, clock ${s.clock.now}${s.clock.frozen ? ' (frozen)' : ''}\n`);
    return 0;
  },
};

const SNAPSHOT_USAGE = `usage: idx-sim snapshot [list | save <name> | restore <name> | rm <name>]

  save     the whole state (database and clock) under a name, replacing one of that name
  restore  back to a snapshot in one transaction (event WebSockets are closed with 4002)
`;
const snapshot: Command = {
  usage: SNAPSHOT_USAGE,
  flags: {},
  async run(client, [sub = 'list', name], values, out) {
    if (sub === 'list') {
      const list = (await client.call('GET', '/snapshots')).json().data;
      print(out, values, list, () => (list.length ? table(['name', 'saved at (simulated)', 'clock', 'bytes'], list.map((s: Schemas['Snapshot']) => [s.name, s.createdAt, s.clock.now, s.sizeBytes])) : 'no snapshots\n'));
      return 0;
    }
    if (!['save', 'restore', 'rm'].includes(sub)) throw new UsageError(`unknown snapshot command "${sub}"\n\n${SNAPSHOT_USAGE}`);
    const n = encodeURIComponent(need(name, 'a snapshot name', SNAPSHOT_USAGE));
    if (sub === 'save') {
      const res = await client.call('PUT', `/snapshots/${n}`);
      print(out, values, res.json().data, () => `${res.status === 201 ? 'saved' : 'replaced'} snapshot ${name} (${res.json().data.sizeBytes} bytes)\n`);
    } else if (sub === 'restore') {
      const s = (await client.call('POST', `/snapshots/${n}/restore`)).json();
      print(out, values, s, () => `restored snapshot ${name}: clock ${s.clock.now}${s.clock.frozen ? ' (frozen)' : ''}\n`);
    } else {
      await client.call('DELETE', `/snapshots/${n}`);
      print(out, values, { deleted: name }, () => `snapshot ${name} removed\n`);
    }
    return 0;
  },
};

// -------------------------------------------------------------------------------------------- journal
const JOURNAL_USAGE = `usage: idx-sim journal [--participant ID] [--path P] [--method M] [--operation OP] [--status N] [--code C]
                      [--context MESSAGE_CONTEXT_ID] [--trace ID] [--from DATE-TIME] [--to DATE-TIME] [--faulted]
                      [--limit N (default 100)] [--all] [--bodies] [--clear]

  what each participant's system sent and was answered, oldest first (--all follows the cursor to the end)
`;
const journal: Command = {
  usage: JOURNAL_USAGE,
  flags: {
    participant: { type: 'string' }, path: { type: 'string' }, method: { type: 'string' }, operation: { type: 'string' }, status: { type: 'string' },
    code: { type: 'string' }, context: { type: 'string' }, trace: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
    faulted: { type: 'boolean' }, limit: { type: 'string' }, all: { type: 'boolean' }, bodies: { type: 'boolean' }, clear: { type: 'boolean' },
  },
  async run(client, _p, values, out) {
    if (values.clear) {
      await client.call('DELETE', '/journal');
      print(out, values, { cleared: true }, () => 'journal cleared\n');
      return 0;
    }
    const base = Object.entries({
      participantId: str(values, 'participant'), path: str(values, 'path'), method: str(values, 'method')?.toUpperCase(), operationId: str(values, 'operation'),
      status: str(values, 'status'), code: str(values, 'code'), messageContextId: str(values, 'context'), traceId: str(values, 'trace'),
      fromDateTime: str(values, 'from'), toDateTime: str(values, 'to'), faulted: values.faulted ? 'true' : undefined, itemCount: str(values, 'limit') ?? '100',
    }).filter((e): e is [string, string] => e[1] !== undefined);
    const entries: Schemas['JournalEntry'][] = [];
    let cursor: string | null = null;
    do {
      const q: URLSearchParams = new URLSearchParams([...base, ...(cursor ? [['cursor', cursor] as [string, string]] : [])]);
      const page: { data: Schemas['JournalEntry'][]; meta: { nextCursor: string | null } } = (await client.call('GET', `/journal?${q}`)).json();
      entries.push(...page.data);
      cursor = values.all ? page.meta.nextCursor : null;
    } while (cursor);
    print(out, values, entries, () => {
      if (!entries.length) return 'no journal entries match\n';
      const text = table(['at', 'participant', 'request', 'status', 'code', 'ms', 'messageContextId', 'fault'],
        entries.map((e) => [e.at, e.participantId ?? '-', `${e.method} ${e.path}`, e.status || 'no answer', e.code ?? '', e.durationMs, e.messageContextId ?? '', e.faultRuleId ?? '']));
      if (!values.bodies) return text;
      return text + entries.map((e) => `\n#${e.id} ${e.method} ${e.path} → ${e.status}\n  request:  ${e.request?.body ?? '(none)'}\n  response: ${e.response?.body ?? '(none)'}\n`).join('');
    });
    return 0;
  },
};

// ------------------------------------------------------------------------------------------- coverage
const COVERAGE_USAGE = `usage: idx-sim coverage --from DATE [--to DATE] [--nmi N[,N…]] [--participant ID] [--status S[,S…]] [--json | --csv] [--check]

  per NMI and market day: who owed BPQD (standing data), whether it arrived, from whom, late, wrong party,
  partial churn days. Statuses: received late wrong-party missing pending not-required no-standing-data.
  --check  exit 1 when any row is missing, late or from the wrong party (for CI)
`;
const coverage: Command = {
  usage: COVERAGE_USAGE,
  flags: { from: { type: 'string' }, to: { type: 'string' }, nmi: { type: 'string' }, participant: { type: 'string' }, status: { type: 'string' }, csv: { type: 'boolean' }, check: { type: 'boolean' } },
  async run(client, _p, values, out) {
    if (values.csv && values.json) throw new UsageError('choose one of --json and --csv');
    const q = new URLSearchParams(Object.entries({ fromDate: need(str(values, 'from'), '--from', COVERAGE_USAGE), toDate: str(values, 'to'), nmi: str(values, 'nmi'), participantId: str(values, 'participant'), status: str(values, 'status') })
      .filter((e): e is [string, string] => e[1] !== undefined));
    if (values.csv) {
      q.set('format', 'csv');
      const csv = (await client.call('GET', `/coverage?${q}`, undefined, 'text/csv')).text;
      out(csv);
      return values.check && /,(missing|late|wrong-party),/.test(csv) ? 1 : 0;
    }
    const report = (await client.call('GET', `/coverage?${q}`)).json();
    print(out, values, report, () => {
      const rows = table(['nmi', 'day', 'status', 'LNSP', 'owed by', 'sent by', 'first received', 'churn day'],
        report.data.map((r: Schemas['CoverageRow']) => [r.nmi, r.marketDate, r.status, r.lnsp.join(','), r.owedBy.join(','), [...new Set(r.arrivals.map((a) => a.senderId))].join(','),
          r.arrivals[0]?.receivedDateTime ?? '', r.churnDay ? 'yes' : '']));
      const summary = Object.entries(report.meta.summary).filter(([, n]) => (n as number) > 0).map(([s, n]) => `${s} ${n}`).join(', ');
      return `${rows}\n${report.meta.rows} row(s): ${summary || 'none'}\n`;
    });
    return values.check && report.data.some((r: Schemas['CoverageRow']) => ['missing', 'late', 'wrong-party'].includes(r.status)) ? 1 : 0;
  },
};

export const SIM_COMMANDS: Record<string, Command> = { clock, faults, nmis, churn, reset, snapshot, journal, coverage };

/** One line per simulator command, for the main usage text. */
export const SIM_COMMANDS_USAGE = `simulator (control API /sim/v1; idx-sim <command> --help):
  clock      show, set, advance, freeze or unfreeze the simulated clock
  faults     add, list, switch off and remove fault-injection rules
  nmis       NMI standing data: list, show, set, remove      churn   meter churn of an NMI from a date
  reset      back to the fixtures                              snapshot  save, restore, list, remove snapshots
  journal    what each participant sent and was answered       coverage  BPQD completeness per NMI and day
`;

/** Runs `idx-sim <name> …`; returns the exit code. */
export async function simCommand(name: string, args: string[], out: Writer, err: Writer): Promise<number> {
  const command = SIM_COMMANDS[name];
  if (!command) throw new Error(`no simulator command ${name}`);
  const usage = `${command.usage}\n${CONNECTION_HELP}\n`;
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...CONNECTION_FLAGS, ...command.flags }, allowPositionals: true, strict: true });
  } catch (e) {
    err(`idx-sim ${name}: ${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  if (parsed.values.help || parsed.positionals[0] === 'help') {
    out(usage);
    return 0;
  }
  return withControl(parsed.values as Values, err, (client) => command.run(client, parsed.positionals, parsed.values as Values, out));
}
