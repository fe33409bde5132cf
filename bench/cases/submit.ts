/**
 * Submission cases (perf-write, issue #13), idx-sim and the bare baseline side by side:
 * - submit-small: signed 12-interval submissions (8.7 KB JSON) from MDPONE, 32 connections: throughput,
 *   p99, and server CPU per request (the server child's own process.cpuUsage over the round).
 * - submit-day: whole-day payloads (288 intervals, about 195 KB JSON), 16 connections: throughput.
 * - submit-10mb: one payload of about 9.6 MB JSON (10 NMIs × 5 market days), one at a time: latency.
 * - isolation-10mb: while MDPONE submits 10 MB payloads back to back, LNSPSOUTH lists its queue
 *   (`GET /pqd/v1/bpqd?itemCount=100`, one request at a time): that list's p99.
 * Every submission is signed (x-signature over the JSON with MDPONE's primary certificate) and must be
 * answered 200; context ids are unique per target and round.
 */
import { gzipSync } from 'node:zlib';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { createRandom } from '../../src/domain/random.js';
import { MessageSigner } from '../../src/security/message-signature.js';
import { identityOf, median, round, submission, submitHeaders, type Submission, type TargetName } from '../lib/common.js';
import { closedLoop, expectStatus, interleaved, latency, type Case, type ResultRow, type SuiteContext } from '../lib/suite-types.js';

const SENDER = 'MDPONE';
const RECIPIENT = 'LNSPNORTH';
const OTHER_LNSP = 'LNSPSOUTH';
const PATH = '/pqd/v1/bpqd';

let runs = 0;
/** Context ids unique in the whole invocation: `pqd~bpqd~l~mdpone~<tag>-<n>`. */
function contextIds(tag: string) {
  const prefix = `${tag}${++runs}`;
  let n = 0;
  return () => `pqd~bpqd~l~mdpone~${prefix}-${++n}`;
}

const serverCpuUs = async (ctx: SuiteContext, target: TargetName) => {
  const u = await ctx.servers[target].ask<{ user: number; system: number }>({ cmd: 'cpu' });
  return u.user + u.system;
};

/** Closed-loop signed submissions of one body, interleaved rounds; throughput, latency and server CPU per request. */
async function submitThroughput(ctx: SuiteContext, name: string, body: Submission, connections: number): Promise<ResultRow[]> {
  const { rounds, roundSeconds } = ctx.options;
  const token = await ctx.token(SENDER);
  const rates: Record<TargetName, number[]> = { 'idx-sim': [], baseline: [] };
  const cpu: Record<TargetName, number[]> = { 'idx-sim': [], baseline: [] };
  const samples: Record<TargetName, number[]> = { 'idx-sim': [], baseline: [] };
  const roundOf = async (target: TargetName, seconds: number) => {
    const pool = ctx.pool(target, SENDER, connections);
    const next = contextIds(name.replace(/[^a-z0-9]/g, ''));
    const cpu0 = await serverCpuUs(ctx, target);
    const res = await closedLoop(connections, seconds, async () => {
      const id = next();
      await expectStatus(await pool.request({ method: 'POST', path: PATH, headers: submitHeaders(id, token, body.signature), body: body.gzip }), 200, `POST ${id}`);
      return true;
    });
    const cpuUs = (await serverCpuUs(ctx, target)) - cpu0;
    if (res.errors) throw new Error(`${name} ${target}: ${res.errors} errors, first: ${res.firstError}`);
    return { ...res, cpuUsPerOp: cpuUs / Math.max(1, res.ops) };
  };
  await interleaved(1, async (target) => void (await roundOf(target, Math.min(1, roundSeconds))));
  await interleaved(rounds, async (target, r) => {
    const res = await roundOf(target, roundSeconds);
    rates[target].push(res.ops / res.seconds);
    cpu[target].push(res.cpuUsPerOp);
    samples[target].push(...res.latenciesMs);
    ctx.log(`${name} round ${r + 1} ${target}: ${round(res.ops / res.seconds, 0)}/s, ${round(res.cpuUsPerOp, 0)} µs server CPU per request`);
  });
  const idx = latency(samples['idx-sim']);
  const base = latency(samples.baseline);
  return [
    { case: name, metric: `accepted/s, ${connections} connections (median of ${rounds})`, unit: '/s', better: 'higher',
      values: { 'idx-sim': round(median(rates['idx-sim']), 0), baseline: round(median(rates.baseline), 0) } },
    { case: name, metric: 'latency p99', unit: 'ms', better: 'lower', values: { 'idx-sim': round(idx.p99), baseline: round(base.p99) } },
    { case: name, metric: 'server CPU per request (median)', unit: 'µs', better: 'lower',
      values: { 'idx-sim': round(median(cpu['idx-sim']), 0), baseline: round(median(cpu.baseline), 0) } },
  ];
}

/** About 9.6 MB of JSON: the 10 NMIs MDPONE reads for LNSPNORTH, five market days of 5-minute intervals each. */
function tenMegabytes(ctx: SuiteContext): Submission {
  const payload = generateBpqdPayload(createRandom('idx-sim-bench-10mb'), {
    sender: SENDER, recipients: [RECIPIENT], date: '2026-07-01', intervalCount: 5 * 288, priority: 'l',
    nmis: Array.from({ length: 10 }, (_, i) => `41020000${String(i + 1).padStart(2, '0')}`),
  });
  const json = Buffer.from(JSON.stringify(payload));
  if (json.length > 10_000_000) throw new Error(`the 10 MB payload is ${json.length} bytes, over the Low-priority cap`);
  const id = identityOf(ctx.certsDir, SENDER);
  return { json, gzip: gzipSync(json), signature: new MessageSigner({ certPem: id.cert, keyPem: id.key }).sign(json) };
}

export const submitSmallCase: Case = {
  name: 'submit-small',
  description: 'signed 12-interval submissions, 32 connections: throughput, p99, server CPU per request',
  byDefault: true,
  run: (ctx) => submitThroughput(ctx, 'submit-small', submission(ctx.certsDir, { intervals: 12, recipient: RECIPIENT }), 32),
};

export const submitDayCase: Case = {
  name: 'submit-day',
  description: 'signed whole-day submissions (288 intervals, ~195 KB JSON), 16 connections',
  byDefault: true,
  run: (ctx) => submitThroughput(ctx, 'submit-day', submission(ctx.certsDir, { intervals: 288, recipient: RECIPIENT }), 16),
};

export const submit10mbCase: Case = {
  name: 'submit-10mb',
  description: 'one ~9.6 MB payload at a time: latency per submission',
  byDefault: true,
  async run(ctx) {
    const body = tenMegabytes(ctx);
    const token = await ctx.token(SENDER);
    const per: Record<TargetName, number[]> = { 'idx-sim': [], baseline: [] };
    const next = contextIds('big');
    await interleaved(ctx.options.rounds + 1, async (target, r) => {
      const pool = ctx.pool(target, SENDER, 1);
      const t0 = performance.now();
      await expectStatus(await pool.request({ method: 'POST', path: PATH, headers: submitHeaders(next(), token, body.signature), body: body.gzip }), 200, '10 MB POST');
      if (r > 0) per[target].push(performance.now() - t0); // round 0 warms up (idx-sim starts its payload workers)
    });
    ctx.log(`submit-10mb: ${body.json.length} B JSON, ${body.gzip.length} B gzip`);
    return [{ case: 'submit-10mb', metric: `one ${round(body.json.length / 1e6, 1)} MB payload (median of ${ctx.options.rounds})`, unit: 'ms', better: 'lower',
      values: { 'idx-sim': round(median(per['idx-sim']), 0), baseline: round(median(per.baseline), 0) } }];
  },
};

export const isolation10mbCase: Case = {
  name: 'isolation-10mb',
  description: 'LNSPSOUTH\'s list p99 while MDPONE submits 10 MB payloads back to back',
  byDefault: true,
  async run(ctx) {
    const body = tenMegabytes(ctx);
    const [senderToken, listerToken] = [await ctx.token(SENDER), await ctx.token(OTHER_LNSP)];
    const listHeaders = { authorization: `Bearer ${listerToken}`, 'x-initiatingparticipantid': OTHER_LNSP };
    const lists: Record<TargetName, number[]> = { 'idx-sim': [], baseline: [] };
    const submitted: Record<TargetName, number> = { 'idx-sim': 0, baseline: 0 };
    const next = contextIds('iso');
    await interleaved(ctx.options.rounds + 1, async (target, r) => {
      const sender = ctx.pool(target, SENDER, 1);
      const lister = ctx.pool(target, OTHER_LNSP, 1);
      let sending = true;
      const submits = (async () => {
        const end = performance.now() + ctx.options.roundSeconds * 1000;
        while (performance.now() < end) {
          await expectStatus(await sender.request({ method: 'POST', path: PATH, headers: submitHeaders(next(), senderToken, body.signature), body: body.gzip }), 200, '10 MB POST');
          if (r > 0) submitted[target]++;
        }
        sending = false;
      })();
      const res = await closedLoop(1, ctx.options.roundSeconds * 2, async () => {
        if (!sending) return false;
        await expectStatus(await lister.request({ method: 'GET', path: `${PATH}?itemCount=100`, headers: listHeaders }), 200, 'list');
        return true;
      });
      await submits;
      if (res.errors) throw new Error(`isolation-10mb ${target}: ${res.errors} list errors, first: ${res.firstError}`);
      if (r > 0) lists[target].push(...res.latenciesMs);
    });
    const idx = latency(lists['idx-sim']);
    const base = latency(lists.baseline);
    return [
      { case: 'isolation-10mb', metric: `other participant's list p99 (${lists['idx-sim'].length}/${lists.baseline.length} lists)`, unit: 'ms', better: 'lower',
        values: { 'idx-sim': round(idx.p99), baseline: round(base.p99) } },
      { case: 'isolation-10mb', metric: 'other participant\'s list max', unit: 'ms', better: 'lower', values: { 'idx-sim': round(idx.max), baseline: round(base.max) } },
      { case: 'isolation-10mb', metric: '10 MB payloads accepted meanwhile', unit: 'count', better: 'higher',
        values: { 'idx-sim': submitted['idx-sim'], baseline: submitted.baseline } },
    ];
  },
};
