/**
 * list: `GET /pqd/v1/bpqd?itemCount=100` as LNSPSOUTH, the first page and a deep page (the one starting
 * at 90 % of the queue, by the cursor the server itself would hand out), one request at a time on one
 * connection, at each queue size of --list-sizes (default 1k, 100k, 1M queued). The queue grows between
 * sizes by filling straight through the store in one transaction (unsigned 1-interval messages, to keep
 * the databases small) — not by submissions; the output says so. Every answer is checked: 100 items and
 * totalRecords equal to the queue size.
 */
import { round } from '../lib/common.js';
import { interleaved, latency, type Case, type ResultRow } from '../lib/suite-types.js';
import { TARGETS, type TargetName } from '../lib/common.js';

const LNSP = 'LNSPSOUTH';
const PAGE = 100;

const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

export const listCase: Case = {
  name: 'list',
  description: 'GET /pqd/v1/bpqd?itemCount=100, first and deep page, at each --list-sizes queue size (filled through the store)',
  byDefault: true,
  async run(ctx) {
    const { rounds, listSizes, listRequests } = ctx.options;
    const token = await ctx.token(LNSP);
    const headers = { authorization: `Bearer ${token}`, 'x-initiatingparticipantid': LNSP };
    const rows: ResultRow[] = [];
    let queued = 0;
    for (const size of [...listSizes].sort((a, b) => a - b)) {
      if (size > queued) {
        for (const target of TARGETS) {
          const started = performance.now();
          const n = await ctx.servers[target].ask<number>({ cmd: 'fill', recipient: LNSP, prefix: `list${size}`, count: size - queued, signed: false });
          if (n !== size) throw new Error(`list: ${target} holds ${n} messages for ${LNSP}, expected ${size}`);
          ctx.log(`list: ${target}: ${label(size)} queued for ${LNSP} — ${size - queued} added straight through the store in one transaction (${round((performance.now() - started) / 1000, 1)} s)`);
        }
        queued = size;
      }
      const deepPosition = Math.max(0, Math.min(size - PAGE, Math.floor(size * 0.9)));
      const cursors = Object.fromEntries(await Promise.all(TARGETS.map(async (t) =>
        [t, await ctx.servers[t].ask<string>({ cmd: 'cursorAt', recipient: LNSP, position: deepPosition })] as const))) as Record<TargetName, string>;
      const samples: Record<'first' | 'deep', Record<TargetName, number[]>> = { first: { 'idx-sim': [], baseline: [] }, deep: { 'idx-sim': [], baseline: [] } };
      await interleaved(rounds + 1, async (target, r) => {
        const pool = ctx.pool(target, LNSP, 1);
        for (const kind of ['first', 'deep'] as const) {
          const path = `/pqd/v1/bpqd?itemCount=${PAGE}${kind === 'deep' ? `&cursor=${encodeURIComponent(cursors[target])}` : ''}`;
          for (let i = 0; i < listRequests; i++) {
            const t0 = performance.now();
            const res = await pool.request({ method: 'GET', path, headers });
            const text = await res.body.text();
            const ms = performance.now() - t0;
            if (res.statusCode !== 200) throw new Error(`list ${target} ${path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
            const body = JSON.parse(text) as { data: unknown[]; meta: { totalRecords: number } };
            if (body.data.length !== Math.min(PAGE, size) || body.meta.totalRecords !== size) {
              throw new Error(`list ${target} ${path}: ${body.data.length} items, totalRecords ${body.meta.totalRecords}; expected ${Math.min(PAGE, size)} and ${size}`);
            }
            if (r > 0) samples[kind][target].push(ms); // round 0 warms up
          }
        }
      });
      for (const kind of ['first', 'deep'] as const) {
        const idx = latency(samples[kind]['idx-sim']);
        const base = latency(samples[kind].baseline);
        const metric = `${kind} page, ${label(size)} queued`;
        rows.push({ case: 'list', metric: `${metric}, p50`, unit: 'ms', better: 'lower', values: { 'idx-sim': round(idx.p50), baseline: round(base.p50) } });
        rows.push({ case: 'list', metric: `${metric}, p99`, unit: 'ms', better: 'lower', values: { 'idx-sim': round(idx.p99), baseline: round(base.p99) },
          note: `${samples[kind]['idx-sim'].length} requests each, 1 connection` });
      }
    }
    return rows;
  },
};
