/**
 * events: --subscribers (default 200) WebSocket subscribers of LNSPNORTH's events, over mTLS; MDPONE
 * submits signed messages to LNSPNORTH one at a time, and each subscriber's MESSAGE_AVAILABLE latency is
 * measured from the start of the POST to the frame's arrival. Reported: p50 and p99 over every
 * (message, subscriber) pair, and p99 of the time until the last subscriber heard.
 */
import WebSocket from 'ws';
import { identityOf, round, submitHeaders, submission, type TargetName } from '../lib/common.js';
import { expectStatus, interleaved, latency, type Case, type ResultRow } from '../lib/suite-types.js';

const LNSP = 'LNSPNORTH';
const SENDER = 'MDPONE';
const WAIT_MS = 30_000;

export const eventsCase: Case = {
  name: 'events',
  description: 'MESSAGE_AVAILABLE latency to --subscribers WebSocket subscribers (default 200), submissions one at a time',
  byDefault: true,
  async run(ctx) {
    const { rounds, subscribers, eventSubmissions } = ctx.options;
    const lnspToken = await ctx.token(LNSP, 'EVENT_NOTIFY');
    const senderToken = await ctx.token(SENDER);
    const body = submission(ctx.certsDir, { intervals: 12, recipient: LNSP });
    const tls = identityOf(ctx.certsDir, LNSP);
    const perPair: Record<TargetName, number[]> = { 'idx-sim': [], baseline: [] };
    const lastHeard: Record<TargetName, number[]> = { 'idx-sim': [], baseline: [] };
    let n = 0;
    await interleaved(rounds + 1, async (target, r) => {
      const url = `${ctx.servers[target].url.replace('https', 'wss')}/events/v1`;
      // Who is waiting for which message: contextId → (arrival callback).
      const waiting = new Map<string, (at: number) => void>();
      const open = () => new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url, { ...tls, headers: { authorization: `Bearer ${lnspToken}`, 'x-initiatingParticipantId': LNSP } });
        ws.on('message', (data) => {
          const at = performance.now();
          const frame = JSON.parse(data.toString()) as { eventType?: string; messageContextId?: string; data?: { eventType?: string; messageContextId?: string } };
          const event = frame.data ?? frame;
          if (event.eventType === 'MESSAGE_AVAILABLE' && event.messageContextId) waiting.get(event.messageContextId)?.(at);
        });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => reject(new Error(`${target} refused the event socket: HTTP ${res.statusCode}`)));
      });
      // Connected 20 at a time: 200 simultaneous mTLS handshakes on a loaded machine outlast handshake timeouts.
      const sockets: WebSocket[] = [];
      for (let i = 0; i < subscribers; i += 20) sockets.push(...(await Promise.all(Array.from({ length: Math.min(20, subscribers - i) }, open))));
      try {
        const pool = ctx.pool(target, SENDER, 1);
        for (let i = 0; i < eventSubmissions; i++) {
          const contextId = `pqd~bpqd~l~mdpone~ev-${n++}`;
          let heard = 0;
          const t0 = performance.now();
          const latencies: number[] = [];
          const all = new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`${target}: only ${heard} of ${subscribers} subscribers heard ${contextId} within ${WAIT_MS / 1000} s`)), WAIT_MS);
            waiting.set(contextId, (at) => {
              latencies.push(at - t0);
              if (++heard === subscribers) {
                clearTimeout(timer);
                resolve();
              }
            });
          });
          await expectStatus(await pool.request({ method: 'POST', path: '/pqd/v1/bpqd', headers: submitHeaders(contextId, senderToken, body.signature, SENDER), body: body.gzip }), 200, `POST ${contextId}`);
          await all;
          waiting.delete(contextId);
          if (r > 0) { // round 0 warms up
            perPair[target].push(...latencies);
            lastHeard[target].push(Math.max(...latencies));
          }
        }
      } finally {
        for (const ws of sockets) ws.terminate();
      }
    });
    const pair = { 'idx-sim': latency(perPair['idx-sim']), baseline: latency(perPair.baseline) };
    const last = { 'idx-sim': latency(lastHeard['idx-sim']), baseline: latency(lastHeard.baseline) };
    const note = `${subscribers} subscribers, ${lastHeard['idx-sim'].length} submissions each`;
    return [
      { case: 'events', metric: 'MESSAGE_AVAILABLE p50 (POST start → frame)', unit: 'ms', better: 'lower', values: { 'idx-sim': round(pair['idx-sim'].p50), baseline: round(pair.baseline.p50) }, note },
      { case: 'events', metric: 'MESSAGE_AVAILABLE p99', unit: 'ms', better: 'lower', values: { 'idx-sim': round(pair['idx-sim'].p99), baseline: round(pair.baseline.p99) } },
      { case: 'events', metric: 'last of the subscribers heard, p99', unit: 'ms', better: 'lower', values: { 'idx-sim': round(last['idx-sim'].p99), baseline: round(last.baseline.p99) } },
    ] satisfies ResultRow[];
  },
};
