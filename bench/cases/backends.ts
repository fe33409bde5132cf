/**
 * `backends` (issue #14, Done-when 4; opt-in: it needs PostgreSQL's server binaries): small signed
 * submissions (the submit-small payload, 32 connections) to idx-sim on SQLite — the suite's own idx-sim
 * child — and on PostgreSQL with one instance and with two (16 connections to each), side by side in one
 * run. The PostgreSQL cluster is a durable throwaway one (scripts/postgres-cluster.mjs, fsync on), on
 * this machine, started and removed by the case; both PostgreSQL instances are children like the suite's,
 * on one database. Rounds rotate the three set-ups (which goes first rotates too), so other load on the
 * machine slows all alike. Reported: accepted/s (median of rounds), p99, and CPU per accepted request of
 * the idx-sim processes and, separately, of PostgreSQL (its server processes, from /proc).
 *
 * In the result table the `idx-sim` column is PostgreSQL and the `baseline` column SQLite, so the ratio
 * is PostgreSQL's speed relative to SQLite (≥ 1× is as good or better).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Pool } from 'undici';
import { PROJECT_ROOT } from '../../src/context.js';
import { fetchToken, identityOf, median, pool, round, ServerChild, submission, submitHeaders } from '../lib/common.js';
import { closedLoop, expectStatus, latency, type Case, type ResultRow, type SuiteContext } from '../lib/suite-types.js';

const SENDER = 'MDPONE';
const RECIPIENT = 'LNSPNORTH';
const CONNECTIONS = 32;
const SETUPS = ['sqlite', 'postgres-1', 'postgres-2'] as const;
type Setup = (typeof SETUPS)[number];
const LABEL: Record<Setup, string> = { sqlite: 'SQLite', 'postgres-1': 'PostgreSQL, 1 instance', 'postgres-2': 'PostgreSQL, 2 instances' };

interface Cluster { url: string; dir: string; stop(): Promise<void> }

/** CPU seconds (user + system) PostgreSQL has used so far: the postmaster, its live children, and its reaped ones. */
export function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const ticksPerSecond = 100; // USER_HZ on Linux
  const fields = (pid: string) => {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after its closing parenthesis.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  };
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const f = fields(pid);
      // After the comm: [0] state, [1] ppid, …, [11] utime, [12] stime, [13] cutime, [14] cstime.
      if (Number(pid) === postmaster) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      else if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
    } catch { /* the process ended meanwhile */ }
  }
  return ticks / ticksPerSecond;
}

export const backendsCase: Case = {
  name: 'backends',
  description: 'signed small submissions on SQLite, PostgreSQL with 1 instance and with 2, side by side (needs PostgreSQL\'s initdb)',
  byDefault: false,
  async run(ctx: SuiteContext): Promise<ResultRow[]> {
    const { startPostgresCluster } = (await import(pathToFileURL(join(PROJECT_ROOT, 'scripts', 'postgres-cluster.mjs')).href)) as {
      startPostgresCluster(o: { durable: boolean }): Promise<Cluster>;
    };
    const cluster = await startPostgresCluster({ durable: true });
    const children: ServerChild[] = [];
    const pools: Pool[] = [];
    try {
      ctx.log(`backends: durable PostgreSQL cluster at ${cluster.url} (fsync on; ${cluster.dir})`);
      const entry = join(PROJECT_ROOT, 'dist', 'bench', 'servers', 'idx-sim.js');
      // One after the other: the first creates the tables.
      for (const name of ['pg-a', 'pg-b']) {
        children.push(await ServerChild.start(name, entry, ['--dir', ctx.dir, '--database-url', cluster.url, '--data-subdir', `idx-sim-${name}`]));
      }
      const [pgA, pgB] = children as [ServerChild, ServerChild];
      ctx.log(`backends: SQLite idx-sim at ${ctx.servers['idx-sim'].url}; PostgreSQL idx-sim at ${pgA.url} and ${pgB.url}`);
      const identity = identityOf(ctx.certsDir, SENDER);
      const sqlitePool = ctx.pool('idx-sim', SENDER, CONNECTIONS);
      const pgOne = pool(pgA.url, identity, CONNECTIONS);
      const pgHalfA = pool(pgA.url, identity, CONNECTIONS / 2);
      const pgHalfB = pool(pgB.url, identity, CONNECTIONS / 2);
      pools.push(pgOne, pgHalfA, pgHalfB);
      const tokens = { sqlite: await ctx.token(SENDER), postgres: await fetchToken(pgOne, SENDER, 'PQD_BPQD') };
      const body = submission(ctx.certsDir, { intervals: 12, recipient: RECIPIENT });

      const setups: Record<Setup, { pools: Pool[]; servers: ServerChild[]; token: string }> = {
        sqlite: { pools: [sqlitePool], servers: [ctx.servers['idx-sim']], token: tokens.sqlite },
        'postgres-1': { pools: [pgOne], servers: [pgA], token: tokens.postgres },
        'postgres-2': { pools: [pgHalfA, pgHalfB], servers: [pgA, pgB], token: tokens.postgres },
      };
      const cpuOf = async (servers: ServerChild[]) => {
        const usage = await Promise.all(servers.map((s) => s.ask<{ user: number; system: number }>({ cmd: 'cpu' })));
        return usage.reduce((sum, u) => sum + u.user + u.system, 0) / 1e6;
      };
      let sequence = 0;
      const roundOf = async (setup: Setup, seconds: number) => {
        const s = setups[setup];
        const prefix = `be${++sequence}`;
        let n = 0;
        const [cpu0, db0] = [await cpuOf(s.servers), setup === 'sqlite' ? 0 : postgresCpuSeconds(join(cluster.dir, 'data'))];
        const res = await closedLoop(CONNECTIONS, seconds, async (worker) => {
          const id = `pqd~bpqd~l~mdpone~${prefix}-${++n}`;
          const target = s.pools[worker % s.pools.length]!;
          await expectStatus(await target.request({ method: 'POST', path: '/pqd/v1/bpqd', headers: submitHeaders(id, s.token, body.signature), body: body.gzip }), 200, `${setup} POST ${id}`);
          return true;
        });
        const cpu = (await cpuOf(s.servers)) - cpu0;
        const db = setup === 'sqlite' ? 0 : postgresCpuSeconds(join(cluster.dir, 'data')) - db0;
        if (res.errors) throw new Error(`backends ${setup}: ${res.errors} errors, first: ${res.firstError}`);
        return { ...res, hubCpuUs: (cpu * 1e6) / Math.max(1, res.ops), dbCpuUs: (db * 1e6) / Math.max(1, res.ops) };
      };

      const rates: Record<Setup, number[]> = { sqlite: [], 'postgres-1': [], 'postgres-2': [] };
      const hubCpu: Record<Setup, number[]> = { sqlite: [], 'postgres-1': [], 'postgres-2': [] };
      const dbCpu: Record<Setup, number[]> = { sqlite: [], 'postgres-1': [], 'postgres-2': [] };
      const samples: Record<Setup, number[]> = { sqlite: [], 'postgres-1': [], 'postgres-2': [] };
      for (const setup of SETUPS) await roundOf(setup, Math.min(1, ctx.options.roundSeconds)); // warm-up, not counted
      for (let r = 0; r < ctx.options.rounds; r++) {
        const order = SETUPS.map((_, i) => SETUPS[(i + r) % SETUPS.length]!);
        for (const setup of order) {
          const res = await roundOf(setup, ctx.options.roundSeconds);
          rates[setup].push(res.ops / res.seconds);
          hubCpu[setup].push(res.hubCpuUs);
          dbCpu[setup].push(res.dbCpuUs);
          samples[setup].push(...res.latenciesMs);
          ctx.log(`backends round ${r + 1} ${LABEL[setup]}: ${round(res.ops / res.seconds, 0)}/s, ${round(res.hubCpuUs, 0)} µs idx-sim CPU` +
            `${setup === 'sqlite' ? '' : ` + ${round(res.dbCpuUs, 0)} µs PostgreSQL CPU`} per request`);
        }
      }

      const summary = Object.fromEntries(SETUPS.map((s) => [s, {
        rate: round(median(rates[s]), 0), p99: round(latency(samples[s]).p99), hubCpu: round(median(hubCpu[s]), 0), dbCpu: round(median(dbCpu[s]), 0),
      }])) as Record<Setup, { rate: number; p99: number; hubCpu: number; dbCpu: number }>;
      ctx.log([
        '',
        `| ${CONNECTIONS} connections, signed 12-interval submissions | ${SETUPS.map((s) => LABEL[s]).join(' | ')} |`,
        `|---|${SETUPS.map(() => '---:').join('|')}|`,
        `| accepted/s (median of ${ctx.options.rounds}) | ${SETUPS.map((s) => summary[s].rate.toLocaleString('en-US')).join(' | ')} |`,
        `| latency p99 (ms) | ${SETUPS.map((s) => summary[s].p99).join(' | ')} |`,
        `| idx-sim CPU per request (µs, all instances) | ${SETUPS.map((s) => summary[s].hubCpu).join(' | ')} |`,
        `| PostgreSQL CPU per request (µs) | ${SETUPS.map((s) => (s === 'sqlite' ? '—' : summary[s].dbCpu)).join(' | ')} |`,
      ].join('\n'));
      return (['postgres-1', 'postgres-2'] as const).flatMap((s): ResultRow[] => [
        { case: 'backends', metric: `${LABEL[s]} vs SQLite: accepted/s, ${CONNECTIONS} connections`, unit: '/s', better: 'higher',
          values: { 'idx-sim': summary[s].rate, baseline: summary.sqlite.rate } },
        { case: 'backends', metric: `${LABEL[s]} vs SQLite: latency p99`, unit: 'ms', better: 'lower', values: { 'idx-sim': summary[s].p99, baseline: summary.sqlite.p99 } },
        { case: 'backends', metric: `${LABEL[s]} vs SQLite: idx-sim CPU per request`, unit: 'µs', better: 'lower', values: { 'idx-sim': summary[s].hubCpu, baseline: summary.sqlite.hubCpu } },
      ]);
    } finally {
      await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
      await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
      await cluster.stop();
    }
  },
};
