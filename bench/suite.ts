/**
 * `npm run bench`: the bench suite (issue #13). idx-sim and the bare baseline (bench/baseline/server.ts)
 * run side by side in ONE invocation, each in its own child process on 127.0.0.1 with the same dev PKI
 * (mTLS), driven by this process as the load generator. Every case interleaves short rounds on the two
 * servers (the first server alternating), so a loaded machine slows both alike; the table gives each
 * metric for both and the ratio (idx-sim's speed relative to the baseline: ≥ 1 is as good or better).
 *
 * Bounded: every case is bounded in count and time, and a watchdog stops the whole run after
 * --max-minutes. Loopback only. `npm run bench -- --case drain,list` picks cases; `--help` lists them.
 * The previous single-case submit benchmark is `npm run bench:submit` (bench/bpqd-submit.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Pool } from 'undici';
import { CASES } from './cases/index.js';
import { fetchToken, identityOf, machine, pool, round, ServerChild, TARGETS, type TargetName } from './lib/common.js';
import { ratio, type ResultRow, type SuiteContext, type SuiteOptions } from './lib/suite-types.js';

const HERE = dirname(fileURLToPath(import.meta.url));

const USAGE = `usage: npm run bench -- [options]   (or: node dist/bench/suite.js [options])
  --case <a,b,…>            cases to run (default: every case marked default)
  --rounds <n>              interleaved measured rounds per case          (default 3)
  --round-seconds <s>       seconds per throughput round                  (default 3)
  --list-sizes <a,b,…>      queue sizes of the list case                  (default 1000,100000,1000000)
  --list-requests <n>       requests per page kind, target and round      (default 100)
  --drain-messages <n>      messages filled per drain round               (default 20000)
  --subscribers <n>         event subscribers                             (default 200)
  --event-submissions <n>   submissions per events round                  (default 20)
  --memory-submissions <n>  submissions per server in the memory case     (default 300000)
  --memory-seconds <s>      time cap per server in the memory case        (default 900)
  --max-minutes <m>         watchdog for the whole run                    (default 60)
  --cpu-prof <file>         write a V8 CPU profile of the idx-sim process over the cases (not its start)
                            (summarise: node dist/bench/cpuprofile-summary.js <file>)
  --cpu-prof-baseline <file>  the same for the baseline process, to compare where the two spend their time
  --keep                    keep the temporary directory (databases, certificates)
  --help

cases:
${CASES.map((c) => `  ${c.name.padEnd(24)}${c.description}${c.byDefault ? '' : ' [not run by default]'}`).join('\n')}`;

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      case: { type: 'string', multiple: true },
      rounds: { type: 'string', default: '3' },
      'round-seconds': { type: 'string', default: '3' },
      'list-sizes': { type: 'string', default: '1000,100000,1000000' },
      'list-requests': { type: 'string', default: '100' },
      'drain-messages': { type: 'string', default: '20000' },
      subscribers: { type: 'string', default: '200' },
      'event-submissions': { type: 'string', default: '20' },
      'memory-submissions': { type: 'string', default: '300000' },
      'memory-seconds': { type: 'string', default: '900' },
      'max-minutes': { type: 'string', default: '60' },
      keep: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'cpu-prof-baseline': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const num = (name: string, raw: string, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name}: expected a number in ${min}..${max}, got "${raw}"`);
    return n;
  };
  const names = (values.case ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean);
  const unknown = names.filter((n) => !CASES.some((c) => c.name === n));
  if (unknown.length) throw new Error(`unknown case ${unknown.join(', ')}; cases: ${CASES.map((c) => c.name).join(', ')}`);
  const options: SuiteOptions = {
    rounds: num('rounds', values.rounds, 1, 50),
    roundSeconds: num('round-seconds', values['round-seconds'], 0.5, 120),
    listSizes: values['list-sizes'].split(',').map((s) => num('list-sizes', s.trim(), 1, 5_000_000)),
    listRequests: num('list-requests', values['list-requests'], 1, 100_000),
    drainMessages: num('drain-messages', values['drain-messages'], 100, 1_000_000),
    subscribers: num('subscribers', values.subscribers, 1, 1000),
    eventSubmissions: num('event-submissions', values['event-submissions'], 1, 10_000),
    memorySubmissions: num('memory-submissions', values['memory-submissions'], 1, 5_000_000),
    memorySeconds: num('memory-seconds', values['memory-seconds'], 1, 7200),
  };
  const cases = names.length ? CASES.filter((c) => names.includes(c.name)) : CASES.filter((c) => c.byDefault);
  return { options, cases, maxMinutes: num('max-minutes', values['max-minutes'], 1, 600), keep: values.keep, cpuProf: values['cpu-prof'],
    cpuProfBaseline: values['cpu-prof-baseline'] };
}

function table(rows: ResultRow[]): string {
  const header = ['case', 'metric', 'idx-sim', 'baseline', 'ratio'];
  const fmt = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(n));
  const body = rows.map((r) => [r.case, `${r.metric} (${r.unit})`, fmt(r.values['idx-sim']), fmt(r.values.baseline), `${fmt(round(ratio(r), 2))}×`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i >= 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const { options, cases, maxMinutes, keep, cpuProf, cpuProfBaseline } = parseOptions(process.argv.slice(2));
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: watchdog fired after ${maxMinutes} min; aborting\n`);
    process.exit(2);
  }, maxMinutes * 60_000);
  watchdog.unref();

  const startedAt = new Date();
  const before = machine();
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-suite-'));
  const certsDir = join(dir, 'certs');
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const servers: Partial<Record<TargetName, ServerChild>> = {};
  const pools = new Map<string, Pool>();
  try {
    log(`bench suite: ${cases.map((c) => c.name).join(', ')}; ${options.rounds} interleaved rounds; data in ${dir}`);
    log(`machine: ${before.cpuModel}, ${before.cpus} CPUs, ${before.totalMemGiB} GiB RAM, ${before.platform}, Node ${before.node}; load average ${before.loadAverage.join(' ')}`);
    // idx-sim first: it generates the dev PKI the baseline and the clients share.
    servers['idx-sim'] = await ServerChild.start('idx-sim', join(HERE, 'servers', 'idx-sim.js'), ['--dir', dir]);
    servers.baseline = await ServerChild.start('baseline', join(HERE, 'baseline', 'server.js'), ['--dir', dir]);
    log(`idx-sim at ${servers['idx-sim'].url}, baseline at ${servers.baseline.url} (each its own process)`);
    const tokens = new Map<string, string>();
    const ctx: SuiteContext = {
      options, dir, certsDir, servers: servers as Record<TargetName, ServerChild>, log,
      pool(target, participantId, connections) {
        const key = `${target}|${participantId}|${connections}`;
        let p = pools.get(key);
        if (!p) pools.set(key, (p = pool(servers[target]!.url, identityOf(certsDir, participantId), connections)));
        return p;
      },
      async token(participantId, scope = 'PQD_BPQD') {
        const key = `${participantId}|${scope}`;
        let t = tokens.get(key);
        if (!t) tokens.set(key, (t = await fetchToken(ctx.pool('idx-sim', participantId, 1), participantId, scope)));
        return t;
      },
    };
    const rows: ResultRow[] = [];
    const cpu0 = Object.fromEntries(await Promise.all(TARGETS.map(async (t) => [t, await servers[t]!.ask<NodeJS.CpuUsage>({ cmd: 'cpu' })] as const)));
    if (cpuProf) await servers['idx-sim'].ask({ cmd: 'profileStart' });
    if (cpuProfBaseline) await servers.baseline.ask({ cmd: 'profileStart' });
    for (const c of cases) {
      const t0 = performance.now();
      log(`\n== ${c.name}: ${c.description}`);
      const caseRows = await c.run(ctx);
      rows.push(...caseRows);
      log(`${table(caseRows)}\n(${round((performance.now() - t0) / 1000, 1)} s)`);
    }
    if (cpuProf) log(`idx-sim CPU profile: ${await servers['idx-sim'].ask<string>({ cmd: 'profileStop', file: cpuProf })}`);
    if (cpuProfBaseline) log(`baseline CPU profile: ${await servers.baseline.ask<string>({ cmd: 'profileStop', file: cpuProfBaseline })}`);
    const cpu1 = Object.fromEntries(await Promise.all(TARGETS.map(async (t) => [t, await servers[t]!.ask<NodeJS.CpuUsage>({ cmd: 'cpu' })] as const)));
    const after = loadavg().map((l) => round(l, 2));
    log(`\n== results (ratio = idx-sim's speed relative to the baseline, measured side by side: ≥ 1× is as good or better)\n${table(rows)}`);
    log(`server CPU over the run: ${TARGETS.map((t) => `${t} ${round((cpu1[t]!.user + cpu1[t]!.system - cpu0[t]!.user - cpu0[t]!.system) / 1e6, 1)} s`).join(', ')}`);
    log(`load average before ${before.loadAverage.join(' ')}, after ${after.join(' ')} (${before.cpus} CPUs${after[0]! > before.cpus ? ': the machine was loaded by other work — trust the ratios, not the absolute numbers' : ''})`);
    log(JSON.stringify({ startedAt: startedAt.toISOString(), options, machine: before, loadAverageAfter: after, rows: rows.map((r) => ({ ...r, ratio: round(ratio(r), 3) })) }));
    return 0;
  } finally {
    await Promise.all([...pools.values()].map((p) => p.close().catch(() => undefined)));
    await Promise.all(Object.values(servers).map((s) => s.stop().catch(() => undefined)));
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
