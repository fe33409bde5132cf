/**
 * Quotas and rate limits through the PQD API (spec §4.1, §8), under the `aemo` profile with the
 * harness's frozen clock: time moves only when a test moves it, so windows are exact and no test sleeps.
 */
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { certHeader, certificatePem, useHarness, type Harness, type Json } from '../helpers/harness.js';

type Response = { statusCode: number; headers: Record<string, unknown>; json(): Json };

/** A refusal as a client sees it: status, code, Retry-After, problem+json, and a row in the transaction log. */
function expectThrottled(h: Harness, res: Response, code: string, retryAfter: number, status = 429) {
  expect(res.statusCode, JSON.stringify(res.json())).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  if (status === 429) expect(res.headers['retry-after']).toBe(String(retryAfter));
  const body = res.json();
  expect(body).toMatchObject({ status, code, traceId: res.headers['x-traceid'] });
  const logged = h.ctx.db.prepare('SELECT status, reason_code FROM transaction_log WHERE trace_id = ?').all(body.traceId);
  expect(logged).toEqual([{ status: 'message_rejected', reason_code: code }]);
  return body;
}

const list = async (h: Harness, headers: Record<string, string>, query = '') => h.app.inject({ method: 'GET', url: `/pqd/v1/bpqd${query}`, headers });

/** Starts a submission whose body stays open until `finish()`: the request is in flight meanwhile. */
async function holdSubmission(h: Harness) {
  const body = gzipSync(JSON.stringify(h.payload({ sender: 'MDPONE' })));
  const stream = new PassThrough();
  const headers = {
    ...(await h.as('MDPONE')), 'x-messageContextId': h.contextId('MDPONE'), 'content-type': 'application/json',
    'content-encoding': 'gzip', 'content-length': String(body.length), 'x-signature': h.signature('MDPONE', body),
  };
  const pending = h.app.inject({ method: 'POST', url: '/pqd/v1/bpqd', headers, payload: stream });
  // The body is read only after the onRequest hooks (authentication, quotas) have run.
  for (let i = 0; i < 1000 && stream.listenerCount('readable') === 0; i++) await new Promise((r) => setImmediate(r));
  expect(stream.listenerCount('readable'), 'the held request reached body parsing').toBeGreaterThan(0);
  return { pending, finish: () => stream.end(body) };
}

describe('PQD API: 50 requests per participant per endpoint per minute (spec §4.1)', () => {
  const h = useHarness();

  it('refuses the 51st PQD request within a minute with 429 and Retry-After; the clock moving past the window restores service', async () => {
    const lnsp = await h().as('LNSPNORTH');
    for (let i = 0; i < 50; i++) expect((await list(h(), lnsp)).statusCode).toBe(200);
    h().clock.advance(20_000);
    const body = expectThrottled(h(), await list(h(), lnsp), 'IDX_ERR_RATE_LIMITED', 40);
    expect(body.detail).toMatch(/LNSPNORTH is over the PQD API limit of 50 requests per participant per endpoint per minute \(spec §4\.1\)/);
    expect(body.detail).toMatch(/request 51 on listBpqd \(GET \/pqd\/v1\/bpqd\) in the minute 09:00:00–09:01:00/);
    expect(body.detail).toMatch(/resets at 2026-07-02T09:01:00\.000\+10:00; retry after 40 s.*IDX_SIM_PQD_REQUESTS_PER_MINUTE=50, profile aemo/);
    expect(body.errors).toEqual([expect.objectContaining({ in: 'header', name: 'x-initiatingParticipantId', code: 'RATE_LIMITED' })]);
    h().clock.advance(39_999);
    expectThrottled(h(), await list(h(), lnsp), 'IDX_ERR_RATE_LIMITED', 1);
    h().clock.advance(1);
    expect((await list(h(), lnsp)).statusCode).toBe(200);
  });

  it('counts each operation and each participant separately', async () => {
    const lnsp = await h().as('LNSPNORTH');
    for (let i = 0; i < 50; i++) await list(h(), lnsp);
    expect((await list(h(), lnsp)).statusCode).toBe(429);
    // Another endpoint of the same participant: its own 50 (404: nothing queued under that id).
    const get = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd/pqd~bpqd~l~mdpone~nothing', headers: lnsp });
    expect(get.statusCode).toBe(404);
    expect((await list(h(), await h().as('LNSPSOUTH'))).statusCode).toBe(200);
    // Submissions of a sender are not affected by an LNSP's reads.
    expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }))).statusCode).toBe(200);
  });

  it('counts every authenticated request, malformed or refused, before validation — as a gateway does', async () => {
    const lnsp = await h().as('LNSPNORTH');
    for (let i = 0; i < 50; i++) expect((await list(h(), lnsp, '?itemCount=0')).statusCode).toBe(400);
    expectThrottled(h(), await list(h(), lnsp), 'IDX_ERR_RATE_LIMITED', 60);
  });

  it('a request naming a participant its certificate does not cover still costs the certificate\'s participant', async () => {
    const south = await h().as('LNSPSOUTH');
    for (let i = 0; i < 50; i++) expect((await list(h(), { ...south, 'x-initiatingParticipantId': 'LNSPNORTH' })).statusCode).toBe(403);
    expect((await list(h(), south)).statusCode).toBe(429);
    expect((await list(h(), await h().as('LNSPNORTH'))).statusCode).toBe(200);
  });

  it('refuses the 51st submission of a minute before reading its body', async () => {
    for (let i = 0; i < 50; i++) await h().submit('MDPONE', Buffer.from('not gzip'));
    const body = expectThrottled(h(), await h().submit('MDPONE', Buffer.from('not gzip')), 'IDX_ERR_RATE_LIMITED', 60);
    expect(body.detail).toMatch(/request 51 on submitBpqd \(POST \/pqd\/v1\/bpqd\)/);
  });
});

describe('profile ci', () => {
  const h = useHarness({ profile: 'ci' });

  it('relaxes the PQD rate limit: 60 requests in one frozen minute all succeed', async () => {
    const lnsp = await h().as('LNSPNORTH');
    for (let i = 0; i < 60; i++) expect((await list(h(), lnsp)).statusCode).toBe(200);
  });
});

describe('daily BPQD message quota by priority (spec §4.1, §8)', () => {
  // 18,000 real submissions would take minutes; the limit is a setting, the counting is the same.
  const h = useHarness({ dailyMessagesLow: 2 });

  it('refuses the 3rd accepted Low-priority message of the market day with 429 IDX_ERR_QUOTA_EXCEEDED and Retry-After until AEST midnight', async () => {
    // A refused submission does not count: only accepted messages use the quota.
    const bad = h().payload({ sender: 'MDPONE' });
    bad.data.transactions[0]!.nmiDetails[0]!.nmiChecksum = '7';
    expect((await h().submit('MDPONE', bad)).statusCode).toBe(400);
    for (let i = 0; i < 2; i++) expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }))).statusCode).toBe(200);
    const res = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    const body = expectThrottled(h(), res, 'IDX_ERR_QUOTA_EXCEEDED', 15 * 3600);
    expect(body.instance).toBe('/pqd/v1/bpqd');
    expect(body.detail).toMatch(/MDPONE has used its daily quota of 2 Low-priority messages on market day 2026-07-02/);
    expect(body.detail).toMatch(/only accepted messages count.*2026-07-03T00:00:00\.000\+10:00; retry after 54000 s.*IDX_SIM_DAILY_MESSAGES_LOW=2/);
    expect(body.errors).toEqual([expect.objectContaining({ in: 'header', name: 'x-messageContextId', code: 'DAILY_QUOTA' })]);
    expect(h().ctx.db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 2 });
    // The quota is told before the body is looked at.
    expectThrottled(h(), await h().submit('MDPONE', Buffer.from('not gzip')), 'IDX_ERR_QUOTA_EXCEEDED', 15 * 3600);
    // Other priorities and other senders keep theirs.
    expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE', priority: 'h' }))).statusCode).toBe(200);
    expect((await h().submit('ACMEMC', h().payload({ sender: 'ACMEMC' }))).statusCode).toBe(200);
  });

  it('two submissions in flight at once cannot both take the last message of the quota', async () => {
    expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }))).statusCode).toBe(200);
    const first = await holdSubmission(h());
    const second = await holdSubmission(h());
    first.finish();
    second.finish();
    const statuses = [(await first.pending).statusCode, (await second.pending).statusCode].sort();
    expect(statuses).toEqual([200, 429]);
    expect(h().ctx.db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 2 });
  });

  it('resets at AEST midnight: refused at 23:59:59 +10:00, accepted at 00:00:00 +10:00', async () => {
    for (let i = 0; i < 2; i++) expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }))).statusCode).toBe(200);
    h().clock.set(Date.parse('2026-07-02T23:59:59.000+10:00'));
    expectThrottled(h(), await h().submit('MDPONE', h().payload({ sender: 'MDPONE' })), 'IDX_ERR_QUOTA_EXCEEDED', 1);
    h().clock.set(Date.parse('2026-07-03T00:00:00.000+10:00'));
    const res = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    expect(res.statusCode, res.body).toBe(200);
  });
});

describe('size cap per priority (spec §4.1, §8: High ≤ 1 MB, Medium ≤ 5 MB, Low ≤ 10 MB, read as decimal megabytes)', () => {
  const h = useHarness();
  /** A valid payload of the priority, padded with insignificant whitespace to `bytes` uncompressed. */
  const padded = (priority: 'h' | 'm' | 'l', bytes: number) => {
    const json = JSON.stringify(h().payload({ sender: 'MDPONE', priority }));
    return gzipSync(json.slice(0, -1) + ' '.repeat(bytes - json.length) + '}');
  };
  const submit = (priority: 'h' | 'm' | 'l', bytes: number) =>
    h().submit('MDPONE', padded(priority, bytes), { 'x-messageContextId': h().contextId('MDPONE', priority) });

  it('refuses a High-priority payload over 1 MB with 413 IDX_ERR_PAYLOAD_TOO_LARGE_FOR_PRIORITY naming the cap; the same size is accepted as Medium', async () => {
    const body = expectThrottled(h(), await submit('h', 1_000_001), 'IDX_ERR_PAYLOAD_TOO_LARGE_FOR_PRIORITY', 0, 413);
    expect(body.detail).toMatch(/the payload is 1000001 bytes uncompressed, more than the 1000000 bytes a High-priority message may carry/);
    expect(body.detail).toMatch(/send it as Medium \(≤ 5000000 bytes\) or Low \(≤ 10000000 bytes\)/);
    expect(body.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '', code: 'PRIORITY_SIZE' })]);
    const medium = await submit('m', 1_000_001);
    expect(medium.statusCode, medium.body).toBe(200);
  });

  it('strict decimal megabytes by default: exactly 1,000,000 / 5,000,000 / 10,000,000 bytes are accepted, one byte more is refused', async () => {
    for (const [priority, cap] of [['h', 1_000_000], ['m', 5_000_000], ['l', 10_000_000]] as const) {
      const atCap = await submit(priority, cap);
      expect(atCap.statusCode, `${priority} at ${cap}: ${atCap.body}`).toBe(200);
      const over = await submit(priority, cap + 1);
      // Low's cap is the overall limit, so one byte more is simply too large for IDX.
      expectThrottled(h(), over, priority === 'l' ? 'IDX_ERR_PAYLOAD_TOO_LARGE' : 'IDX_ERR_PAYLOAD_TOO_LARGE_FOR_PRIORITY', 0, 413);
    }
  });

  it('refuses a Medium-priority payload over 5 MB with 413', async () => {
    const body = expectThrottled(h(), await submit('m', 5_000_001), 'IDX_ERR_PAYLOAD_TOO_LARGE_FOR_PRIORITY', 0, 413);
    expect(body.detail).toMatch(/more than the 5000000 bytes a Medium-priority message may carry.*send it as Low/);
  });
});

describe('size caps set to binary megabytes (the lenient reading, one setting each)', () => {
  const MiB = 1024 * 1024;
  const h = useHarness({ maxPayloadBytes: 10 * MiB, maxPayloadBytesHigh: MiB, maxPayloadBytesMedium: 5 * MiB, maxPayloadBytesLow: 10 * MiB });

  it('accepts 1 MiB as High and refuses 1 MiB + 1', async () => {
    const json = JSON.stringify(h().payload({ sender: 'MDPONE', priority: 'h' }));
    const pad = (bytes: number) => gzipSync(json.slice(0, -1) + ' '.repeat(bytes - json.length) + '}');
    const ok = await h().submit('MDPONE', pad(MiB), { 'x-messageContextId': h().contextId('MDPONE', 'h') });
    expect(ok.statusCode, ok.body).toBe(200);
    expectThrottled(h(), await h().submit('MDPONE', pad(MiB + 1), { 'x-messageContextId': h().contextId('MDPONE', 'h') }),
      'IDX_ERR_PAYLOAD_TOO_LARGE_FOR_PRIORITY', 0, 413);
  });
});

describe('concurrent requests of one participant (spec §4.1 "AEMO may reject concurrent requests")', () => {
  describe('when IDX_SIM_REJECT_CONCURRENT_REQUESTS is on', () => {
    const h = useHarness({ rejectConcurrentRequests: true });

    it('refuses a second PQD request while the first is in flight with 429 IDX_ERR_CONCURRENT_REQUEST and Retry-After; service resumes when it is answered', async () => {
      const held = await holdSubmission(h());
      const second = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
      const body = expectThrottled(h(), second, 'IDX_ERR_CONCURRENT_REQUEST', 1);
      expect(body.detail).toMatch(/MDPONE already has a request in flight on \/pqd\/v1/);
      // Another participant is not held up.
      expect((await list(h(), await h().as('LNSPNORTH'))).statusCode).toBe(200);
      held.finish();
      expect((await held.pending).statusCode).toBe(200);
      expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }))).statusCode).toBe(200);
    });

    it('gives the slot back when a request is refused', async () => {
      const noToken = { 'x-initiatingParticipantId': 'MDPONE', ...certHeader(certificatePem('MDPONE')) };
      expect((await list(h(), noToken)).statusCode).toBe(401);
      const lnsp = await h().as('LNSPNORTH');
      expect((await list(h(), lnsp, '?itemCount=0')).statusCode).toBe(400);
      expect((await list(h(), lnsp)).statusCode).toBe(200);
    });
  });

  describe('by default (off)', () => {
    const h = useHarness();

    it('serves concurrent requests of one participant', async () => {
      const held = await holdSubmission(h());
      expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }))).statusCode).toBe(200);
      held.finish();
      expect((await held.pending).statusCode).toBe(200);
    });
  });
});
