#!/usr/bin/env node
// A reference LNSP system for IDX BPQD, as a participant would write one: plain Node, undici only.
// Token (OAuth client credentials over mTLS, spec §4.8) → list the queue (GET /pqd/v1/bpqd, following
// nextCursor) → GET each message → DELETE it (spec §4.1) → again, until stopped or after --polls N.
// 429/503 wait for Retry-After; an expired token is renewed; --events wakes the loop on MESSAGE_AVAILABLE
// and, after the socket drops, reconnects and lists (listing is the truth, events only a hint).
// --skip-delete leaves every message in the queue: the broken client the LNSP eligibility suite must fail.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL, URLSearchParams } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Agent, request, WebSocket } from 'undici';

const FLAGS = {
  url: { env: 'IDX_URL', default: 'https://127.0.0.1:8443' }, participant: { env: 'IDX_PARTICIPANT', default: 'LNSPNORTH' },
  cert: { env: 'IDX_CERT' }, key: { env: 'IDX_KEY' }, ca: { env: 'IDX_CA', default: 'certs/ca/ca.crt' },
  'client-id': { env: 'IDX_CLIENT_ID' }, 'client-secret': { env: 'IDX_CLIENT_SECRET' },
  polls: { env: 'IDX_POLLS' }, interval: { env: 'IDX_POLL_INTERVAL_MS', default: '5000' },
  'max-wait': { env: 'IDX_MAX_RETRY_WAIT_S', default: '60' }, out: { env: 'IDX_OUT' },
};

/** Options from flags, then environment, then defaults (certificates default to idx-sim's layout). */
export function options(argv = process.argv.slice(2), env = process.env) {
  const { values } = parseArgs({ args: argv, options: { ...Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: 'string' }])),
    'skip-delete': { type: 'boolean' }, events: { type: 'boolean' }, quiet: { type: 'boolean' } } });
  const o = Object.fromEntries(Object.entries(FLAGS).map(([k, f]) => [k, values[k] ?? env[f.env] ?? f.default]));
  const id = o.participant;
  return { url: o.url.replace(/\/$/, ''), participant: id, ca: o.ca, out: o.out,
    cert: o.cert ?? `certs/participants/${id}/primary.crt`, key: o.key ?? `certs/participants/${id}/primary.key`,
    clientId: o['client-id'] ?? `${id.toLowerCase()}-api`, clientSecret: o['client-secret'] ?? `${id.toLowerCase()}-secret`,
    polls: o.polls === undefined ? Infinity : Number(o.polls), intervalMs: Number(o.interval), maxWaitS: Number(o['max-wait']),
    skipDelete: values['skip-delete'] ?? env.IDX_SKIP_DELETE === '1', events: values.events ?? false, quiet: values.quiet ?? false };
}

/** Runs the loop; resolves with what it did. `signal` stops it between calls (SIGINT/SIGTERM do from the CLI). */
export async function runLnspClient(o, { signal, log = o.quiet ? () => {} : (line) => console.error(line) } = {}) {
  const agent = new Agent({ connect: { cert: readFileSync(o.cert), key: readFileSync(o.key), ca: readFileSync(o.ca) } });
  const done = { polls: 0, listed: 0, retrieved: 0, deleted: 0, retries: 0, tokens: 0, errors: [] };
  let token;
  let wake = () => {};
  let socket;

  const getToken = async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: o.clientId, client_secret: o.clientSecret,
      scope: o.events ? 'PQD_BPQD EVENT_NOTIFY' : 'PQD_BPQD' });
    const res = await send('POST', '/oauth/v1/token', { 'content-type': 'application/x-www-form-urlencoded' }, form.toString(), false);
    if (res.status !== 200) throw new Error(`token refused: ${res.status} ${res.text}`);
    done.tokens++;
    token = JSON.parse(res.text).access_token;
  };

  // One IDX call: retried after Retry-After on 429/503 (capped by --max-wait), after a short backoff on other
  // 5xx or a dropped connection, and once with a new token on a 401 (IDX_ERR_TOKEN_EXPIRED and the like).
  async function send(method, path, headers, body, auth = true) {
    for (let attempt = 1; ; attempt++) {
      if (auth && !token) await getToken();
      const h = auth ? { authorization: `Bearer ${token}`, 'x-initiatingParticipantId': o.participant, 'x-market': 'NEM', ...headers } : headers;
      let res;
      try {
        const r = await request(`${o.url}${path}`, { method, headers: h, body, dispatcher: agent, signal });
        const bytes = Buffer.from(await r.body.arrayBuffer());
        res = { status: r.statusCode, headers: r.headers, bytes, text: bytes.toString('utf8') };
      } catch (err) {
        if (signal?.aborted) throw err;
        res = { status: 0, headers: {}, text: String(err?.code ?? err?.message) };
      }
      // Expired (or otherwise no longer accepted, e.g. the hub's key or clock changed): one new token, one retry.
      if (auth && res.status === 401 && attempt === 1) {
        token = undefined;
        continue;
      }
      if (![0, 429, 500, 502, 503, 504].includes(res.status) || attempt >= 8) return { ...res, attempts: attempt };
      const retryAfter = Number(res.headers['retry-after']);
      const waitS = Math.min(o.maxWaitS, Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : 2 ** (attempt - 1));
      log(`${method} ${path}: ${res.status || res.text}${res.headers['retry-after'] ? `, Retry-After ${res.headers['retry-after']} s` : ''}, retry ${attempt} in ${waitS} s`);
      done.retries++;
      await sleep(waitS * 1000, undefined, { signal });
    }
  }

  const openEvents = async () => {
    if (!token) await getToken();
    socket = new WebSocket(`${o.url.replace(/^http/, 'ws')}/events/v1`,
      { dispatcher: agent, headers: { authorization: `Bearer ${token}`, 'x-initiatingParticipantId': o.participant, 'x-market': 'NEM' } });
    let opened = false;
    socket.addEventListener('open', () => { opened = true; });
    socket.addEventListener('message', (e) => { if (String(e.data).includes('MESSAGE_AVAILABLE')) wake(); });
    // A dropped socket may have lost events: list at once (that reconciles) and reconnect on the next pass;
    // a socket that never opened waits for the regular interval, so a refused reconnect does not spin.
    socket.addEventListener('close', () => { socket = undefined; if (opened) wake(); });
    socket.addEventListener('error', () => {});
  };

  try {
    while (done.polls < o.polls && !signal?.aborted) {
      if (o.events && !socket) await openEvents().catch((err) => log(`event channel: ${err.message}`));
      let cursor = null;
      let handled = 0;
      do {
        const page = await send('GET', `/pqd/v1/bpqd?${new URLSearchParams({ itemCount: '100', ...(cursor ? { cursor } : {}) })}`, { accept: 'application/json' });
        if (page.status !== 200) { done.errors.push(`list: ${page.status} ${page.text.slice(0, 300)}`); break; }
        const { data, meta } = JSON.parse(page.text);
        done.listed += data.length;
        for (const { messageContextId: id } of data) {
          const got = await send('GET', `/pqd/v1/bpqd/${encodeURIComponent(id)}`, { 'accept-encoding': 'gzip' });
          if (got.status !== 200) { done.errors.push(`get ${id}: ${got.status} ${got.text.slice(0, 300)}`); continue; }
          done.retrieved++;
          handled++;
          if (o.out) {
            mkdirSync(o.out, { recursive: true });
            writeFileSync(join(o.out, `${id.replace(/~/g, '_')}.json`), got.bytes[0] === 0x1f ? gunzipSync(got.bytes) : got.bytes);
          }
          if (o.skipDelete) continue;
          const del = await send('DELETE', `/pqd/v1/bpqd/${encodeURIComponent(id)}`, {});
          // A retried DELETE may find the message already gone: the first attempt went through unanswered.
          if (del.status === 204 || (del.status === 404 && del.attempts > 1)) done.deleted++;
          else done.errors.push(`delete ${id}: ${del.status} ${del.text.slice(0, 300)}`);
        }
        cursor = meta.nextCursor;
      } while (cursor && !signal?.aborted);
      done.polls++;
      log(`poll ${done.polls}: ${handled} retrieved, ${done.deleted} deleted in all`);
      if (done.polls < o.polls && (handled === 0 || o.skipDelete)) {
        await Promise.race([sleep(o.intervalMs, undefined, { signal }), new Promise((resolve) => { wake = resolve; })]).catch(() => {});
      }
    }
  } catch (err) {
    if (!signal?.aborted) throw err;
  } finally {
    socket?.close();
    await agent.close();
  }
  return done;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const stop = new globalThis.AbortController();
  for (const s of ['SIGINT', 'SIGTERM']) process.once(s, () => stop.abort());
  const result = await runLnspClient(options(), { signal: stop.signal });
  console.log(JSON.stringify(result));
  process.exitCode = result.errors.length ? 1 : 0;
}
