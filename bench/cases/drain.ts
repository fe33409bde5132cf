/**
 * drain: an LNSP working through its queue — GET one message (its gzip bytes), then DELETE it — with 16
 * workers on 16 keep-alive connections, as LNSPNORTH. The queue is filled straight through the store
 * first (signed 1-interval messages, one transaction, each with the transaction-log row and record its
 * submission would have written, so a GET or DELETE moves an existing record as in real use); each worker takes the next message id, so every
 * GET and DELETE hits a message that is there. Throughput is messages drained per second.
 */
import { filledContextId, median, round } from '../lib/common.js';
import { closedLoop, expectStatus, interleaved, latency, type Case, type ResultRow } from '../lib/suite-types.js';
import type { TargetName } from '../lib/common.js';

const LNSP = 'LNSPNORTH';
const WORKERS = 16;

export const drainCase: Case = {
  name: 'drain',
  description: `LNSP drain: GET + DELETE per message, ${WORKERS} workers (queue filled through the store)`,
  byDefault: true,
  async run(ctx) {
    const { rounds, roundSeconds, drainMessages } = ctx.options;
    const token = await ctx.token(LNSP);
    // One warm-up round's worth too.
    const total = drainMessages * (rounds + 1);
    for (const target of ['idx-sim', 'baseline'] as const) {
      ctx.log(`drain: filling ${LNSP}'s queue on ${target} with ${total} messages straight through the store (one transaction${target === 'idx-sim' ? ', with their delivery_pending transaction-log rows' : ''})`);
      await ctx.servers[target].ask({ cmd: 'fill', recipient: LNSP, prefix: 'drain', count: total, signed: true, logged: true });
    }
    const next: Record<TargetName, number> = { 'idx-sim': 1, baseline: 1 };
    const rates: Record<TargetName, number[]> = { 'idx-sim': [], baseline: [] };
    const samples: Record<TargetName, number[]> = { 'idx-sim': [], baseline: [] };
    const cpuPerMessage: Record<TargetName, number[]> = { 'idx-sim': [], baseline: [] };
    let errors = 0;
    let firstError: string | undefined;
    const roundOf = async (target: TargetName, seconds: number, limit: number) => {
      const pool = ctx.pool(target, LNSP, WORKERS);
      const headers = { authorization: `Bearer ${token}`, 'x-initiatingparticipantid': LNSP, 'accept-encoding': 'gzip' };
      const stop = next[target] + limit;
      return closedLoop(WORKERS, seconds, async () => {
        if (next[target] >= stop) return false;
        const path = `/pqd/v1/bpqd/${filledContextId('drain', next[target]++)}`;
        await expectStatus(await pool.request({ method: 'GET', path, headers }), 200, `GET ${path}`);
        await expectStatus(await pool.request({ method: 'DELETE', path, headers }), 204, `DELETE ${path}`);
        return true;
      });
    };
    await interleaved(1, async (target) => void (await roundOf(target, Math.min(1, roundSeconds), drainMessages)));
    await interleaved(rounds, async (target, r) => {
      const cpu0 = await ctx.servers[target].ask<NodeJS.CpuUsage>({ cmd: 'cpu' });
      const res = await roundOf(target, roundSeconds, drainMessages);
      const cpu1 = await ctx.servers[target].ask<NodeJS.CpuUsage>({ cmd: 'cpu' });
      cpuPerMessage[target].push((cpu1.user + cpu1.system - cpu0.user - cpu0.system) / Math.max(1, res.ops));
      errors += res.errors;
      firstError ??= res.firstError;
      rates[target].push(res.ops / res.seconds);
      samples[target].push(...res.latenciesMs);
      ctx.log(`drain round ${r + 1} ${target}: ${round(res.ops / res.seconds, 0)} msgs/s (${res.ops} in ${round(res.seconds, 2)} s)${res.ops >= drainMessages ? ' — ran out of messages: raise --drain-messages' : ''}`);
    });
    if (errors) throw new Error(`drain: ${errors} errors, first: ${firstError}`);
    const idx = latency(samples['idx-sim']);
    const base = latency(samples.baseline);
    return [
      { case: 'drain', metric: `messages/s, ${WORKERS} workers (median of ${rounds})`, unit: 'msg/s', better: 'higher',
        values: { 'idx-sim': round(median(rates['idx-sim']), 0), baseline: round(median(rates.baseline), 0) } },
      { case: 'drain', metric: 'GET + DELETE p99', unit: 'ms', better: 'lower', values: { 'idx-sim': round(idx.p99), baseline: round(base.p99) } },
      { case: 'drain', metric: 'server CPU per message (median of rounds)', unit: 'µs', better: 'lower',
        values: { 'idx-sim': round(median(cpuPerMessage['idx-sim']), 0), baseline: round(median(cpuPerMessage.baseline), 0) } },
    ] satisfies ResultRow[];
  },
};
