/**
 * memory (opt-in, long): --memory-submissions (default 300,000) small signed submissions from MDPONE to
 * LNSPNORTH at 32 connections, to each server in turn (not interleaved: a long run each), sampling the
 * server process's RSS and V8 heap every 2 s. Bounded by --memory-seconds per server. Reports the
 * start, peak and end RSS and heap, and the throughput it ran at. Nothing is drained: the queue grows.
 */
import { median, round, submitHeaders, submission, TARGETS, type TargetName } from '../lib/common.js';
import { closedLoop, type Case, type ResultRow } from '../lib/suite-types.js';

const SENDER = 'MDPONE';
const LNSP = 'LNSPNORTH';
const CONNECTIONS = 32;
const MiB = 1024 * 1024;

interface Sample { rss: number; heapUsed: number }

export const memoryCase: Case = {
  name: 'memory',
  description: 'RSS and heap of each server over --memory-submissions small submissions (default 300k; long, opt-in)',
  byDefault: false,
  async run(ctx) {
    const { memorySubmissions, memorySeconds } = ctx.options;
    const token = await ctx.token(SENDER);
    const body = submission(ctx.certsDir, { intervals: 12, recipient: LNSP });
    const out: Record<TargetName, { start: Sample; peak: Sample; end: Sample; sent: number; rate: number }> = {} as never;
    for (const target of TARGETS) {
      const server = ctx.servers[target];
      const sample = async (): Promise<Sample> => {
        const m = await server.ask<NodeJS.MemoryUsage>({ cmd: 'memory' });
        return { rss: m.rss, heapUsed: m.heapUsed };
      };
      const start = await sample();
      const peak = { ...start };
      const sampler = setInterval(() => void sample().then((s) => {
        peak.rss = Math.max(peak.rss, s.rss);
        peak.heapUsed = Math.max(peak.heapUsed, s.heapUsed);
      }, () => undefined), 2000);
      let sent = 0;
      const pool = ctx.pool(target, SENDER, CONNECTIONS);
      const rates: number[] = [];
      let lastReport = performance.now();
      let lastSent = 0;
      try {
        const res = await closedLoop(CONNECTIONS, memorySeconds, async () => {
          if (sent >= memorySubmissions) return false;
          const contextId = `pqd~bpqd~l~mdpone~mem-${sent++}`;
          const r = await pool.request({ method: 'POST', path: '/pqd/v1/bpqd', headers: submitHeaders(contextId, token, body.signature, SENDER), body: body.gzip });
          await r.body.dump();
          if (r.statusCode !== 200) throw new Error(`POST ${contextId}: HTTP ${r.statusCode}`);
          const now = performance.now();
          if (now - lastReport > 10_000) {
            rates.push(((sent - lastSent) * 1000) / (now - lastReport));
            ctx.log(`memory ${target}: ${sent} submitted, ${round(rates.at(-1)!, 0)}/s`);
            lastReport = now;
            lastSent = sent;
          }
          return true;
        });
        if (res.errors) throw new Error(`memory ${target}: ${res.errors} errors, first: ${res.firstError}`);
        out[target] = { start, peak, end: await sample(), sent: res.ops, rate: res.ops / res.seconds };
        ctx.log(`memory ${target}: ${res.ops} submissions in ${round(res.seconds, 1)} s (median ${round(median(rates), 0)}/s over 10 s windows)`);
      } finally {
        clearInterval(sampler);
      }
      out[target].peak = { rss: Math.max(peak.rss, out[target].end.rss), heapUsed: Math.max(peak.heapUsed, out[target].end.heapUsed) };
    }
    const mib = (n: number) => round(n / MiB, 1);
    const row = (metric: string, pick: (t: TargetName) => number, unit = 'MiB'): ResultRow =>
      ({ case: 'memory', metric, unit, better: 'lower', values: { 'idx-sim': pick('idx-sim'), baseline: pick('baseline') } });
    return [
      { ...row('submissions sent (capped by --memory-seconds)', (t) => out[t].sent, 'count'), better: 'higher' },
      { ...row('submissions/s', (t) => round(out[t].rate, 0), 'msg/s'), better: 'higher' },
      row('RSS at start', (t) => mib(out[t].start.rss)),
      row('RSS peak (2 s samples)', (t) => mib(out[t].peak.rss)),
      row('RSS at end', (t) => mib(out[t].end.rss)),
      row('heap used peak', (t) => mib(out[t].peak.heapUsed)),
      row('heap used at end', (t) => mib(out[t].end.heapUsed)),
    ];
  },
};
