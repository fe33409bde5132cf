/** Control API: the request journal — what a participant's system actually sent and was answered. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/domain/cursor.js';
import { certHeader, certificatePem, createHarness, useHarness, type Json } from '../helpers/harness.js';

const h = useHarness({ adminKey: 'k3y' });
const journal = async (query = '') => {
  const res = await h().app.inject({ method: 'GET', url: `/sim/v1/journal${query}`, headers: h().admin() });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { data: Json[]; meta: { itemCount: number; nextCursor: string | null } };
};

describe('request journal', () => {
  it("records each request of a participant with its answer, operation, trace id, messageContextId and bodies", async () => {
    const ok = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }), { 'x-messageContextId': 'pqd~bpqd~l~mdpone~journal1' });
    expect(ok.statusCode).toBe(200);
    const refused = await h().submit('MDPONE', gzipSync('not json'), { 'x-messageContextId': 'pqd~bpqd~l~mdpone~journal2' });
    expect(refused.statusCode).toBe(400);
    await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as('LNSPNORTH') });
    await h().app.inject({ method: 'GET', url: '/sim/v1/clock', headers: h().admin() });

    const mine = await journal('?participantId=MDPONE');
    expect(mine.data.map((e) => [e.method, e.path, e.operationId, e.status])).toEqual([
      ['POST', '/oauth/v1/token', 'requestToken', 200],
      ['POST', '/pqd/v1/bpqd', 'submitBpqd', 200],
      ['POST', '/oauth/v1/token', 'requestToken', 200],
      ['POST', '/pqd/v1/bpqd', 'submitBpqd', 400],
    ]);
    const [token, accepted, , rejected] = mine.data;
    expect(accepted).toMatchObject({
      participantId: 'MDPONE', messageContextId: 'pqd~bpqd~l~mdpone~journal1', traceId: ok.headers['x-traceid'], code: null, faultRuleId: null,
      at: '2026-07-02T09:00:00.000+10:00', request: { encoding: 'base64', truncated: false }, response: { encoding: 'utf8' },
    });
    expect(accepted.durationMs).toBeGreaterThan(0);
    expect(JSON.parse(accepted.response.body).data.messageContextId).toBe('pqd~bpqd~l~mdpone~journal1');
    expect(Buffer.from(accepted.request.body, 'base64').subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(rejected).toMatchObject({ code: 'IDX_ERR_JSON_INVALID', status: 400, messageContextId: 'pqd~bpqd~l~mdpone~journal2' });
    // Secrets never reach the journal.
    expect(token.request.body).toMatch(/"client_secret":"\*\*\*"/);
    expect(token.request.body).not.toMatch(/mdpone-secret/);
    expect(JSON.parse(token.response.body).access_token).toBe('***');
    // The control API itself is not journalled.
    expect((await journal('?path=/sim')).data).toEqual([]);
  });

  it('keeps a text body holding a NUL byte with the NUL shown as U+FFFD (PostgreSQL text cannot hold NUL: the row was lost there)', async () => {
    const body = Buffer.from('{"a\u0000":1}');
    const res = await h().app.inject({ method: 'POST', url: '/pqd/v1/bpqd',
      headers: { ...(await h().as('MDPONE')), 'x-messageContextId': 'pqd~bpqd~l~mdpone~nul-body', 'content-type': 'application/json' }, payload: body });
    expect(res.statusCode).toBe(415);
    const row = (await journal('?messageContextId=pqd~bpqd~l~mdpone~nul-body')).data[0];
    expect(row.request).toEqual({ bytes: body.length, encoding: 'utf8', body: '{"a\ufffd":1}', truncated: false });
  });

  it('filters by path prefix, status, code, method, operation, messageContextId (any case), trace id and simulated time window', async () => {
    await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }), { 'x-messageContextId': 'pqd~bpqd~l~mdpone~one' });
    h().clock.advance(3_600_000);
    const late = await h().submit('MDPONE', gzipSync('x'), { 'x-messageContextId': 'pqd~bpqd~l~mdpone~two' });
    await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd/pqd~bpqd~l~mdpone~one', headers: await h().as('LNSPNORTH') });

    expect((await journal('?path=/pqd/v1/bpqd')).data.map((e) => e.operationId)).toEqual(['submitBpqd', 'submitBpqd', 'getBpqd']);
    expect((await journal('?path=/pqd/v1')).data).toHaveLength(3);
    expect((await journal('?path=/pqd/v')).data).toHaveLength(0);
    expect((await journal('?status=400')).data.map((e) => e.messageContextId)).toEqual(['pqd~bpqd~l~mdpone~two']);
    expect((await journal('?code=IDX_ERR_JSON_INVALID')).data).toHaveLength(1);
    expect((await journal('?method=GET&operationId=getBpqd')).data[0].participantId).toBe('LNSPNORTH');
    expect((await journal('?messageContextId=PQD~BPQD~L~MDPONE~ONE')).data.map((e) => e.method)).toEqual(['POST', 'GET']);
    expect((await journal(`?traceId=${late.headers['x-traceid']}`)).data).toHaveLength(1);
    const window = await journal(`?fromDateTime=${encodeURIComponent('2026-07-02T09:30:00+10:00')}&toDateTime=${encodeURIComponent('2026-07-02T10:00:00+10:00')}&path=/pqd/v1`);
    expect(window.data.map((e) => e.messageContextId)).toEqual(['pqd~bpqd~l~mdpone~two', 'pqd~bpqd~l~mdpone~one']);
    expect((await journal('?faulted=true')).data).toEqual([]);
  });

  it('pages with a cursor, refuses a cursor it did not issue and bad filters (400), and clears (204)', async () => {
    for (let i = 0; i < 3; i++) await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as('LNSPNORTH') });
    const first = await journal('?operationId=listBpqd&itemCount=2');
    expect(first.meta).toEqual({ itemCount: 2, nextCursor: expect.any(String) });
    const second = await journal(`?operationId=listBpqd&itemCount=2&cursor=${first.meta.nextCursor}`);
    expect(second.meta).toEqual({ itemCount: 1, nextCursor: null });
    expect(second.data[0].id).toBeGreaterThan(first.data[1].id);
    // The shared codec (src/domain/cursor.ts): a cursor of another paged API, or a row id that is no row id, is not a journal cursor.
    for (const cursor of [encodeCursor('pqd~bpqd', [1]), encodeCursor('journal', [-1]), encodeCursor('journal', ['7']), encodeCursor('journal', [1, 2])]) {
      const res = await h().app.inject({ method: 'GET', url: `/sim/v1/journal?cursor=${cursor}`, headers: h().admin() });
      expect(res.statusCode, cursor).toBe(400);
      expect(res.json()).toMatchObject({ code: 'IDX_ERR_CURSOR_INVALID', errors: [{ in: 'query', name: 'cursor' }] });
    }
    // ...and a journal cursor is no queue cursor.
    const crossed = await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd?cursor=${first.meta.nextCursor}`, headers: await h().as('LNSPNORTH') });
    expect(crossed.json()).toMatchObject({ code: 'IDX_ERR_CURSOR_INVALID' });
    for (const query of ['?cursor=bm9wZQ', '?status=99', '?itemCount=501', '?method=TRACE', '?code=nope', '?unknown=1']) {
      const res = await h().app.inject({ method: 'GET', url: `/sim/v1/journal${query}`, headers: h().admin() });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().errors[0]).toMatchObject({ in: 'query' });
    }
    expect((await h().app.inject({ method: 'DELETE', url: '/sim/v1/journal', headers: h().admin() })).statusCode).toBe(204);
    expect((await journal()).data).toEqual([]);
  });

  it.each([['GET'], ['DELETE']] as const)('%s /sim/v1/journal needs the admin key (401)', async (method) => {
    expect((await h().app.inject({ method, url: '/sim/v1/journal' })).json().code).toBe('IDX_ERR_ADMIN_KEY');
  });
});

describe('journal bounds', () => {
  it('keeps at most IDX_SIM_JOURNAL_MAX_ENTRIES entries, bodies cut at IDX_SIM_JOURNAL_BODY_BYTES, and drops entries older than the retention', async () => {
    const small = await createHarness({ journalMaxEntries: 5, journalBodyBytes: 16, journalRetentionDays: 1 });
    try {
      const headers = await small.as('LNSPNORTH');
      for (let i = 0; i < 8; i++) await small.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers });
      const page = (await small.app.inject({ method: 'GET', url: '/sim/v1/journal', headers: small.admin() })).json();
      expect(page.data).toHaveLength(5);
      expect(page.data[0].response).toMatchObject({ encoding: 'utf8', truncated: true });
      expect(Buffer.byteLength(page.data[0].response.body)).toBeLessThanOrEqual(16);
      small.clock.advance(2 * 86_400_000);
      await small.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: { ...headers, ...certHeader(certificatePem('LNSPNORTH')) } });
      const after = (await small.app.inject({ method: 'GET', url: '/sim/v1/journal', headers: small.admin() })).json();
      expect(after.data).toHaveLength(1);
      expect(small.violations).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it("shows an accepted POST's body and a GET's gzip answer as the bytes sent, cut at the bound, after DELETE and after the archive's purge empties the payload", async () => {
    // The rows refer to the stored message instead of copying its bytes (issue #13); the purge copies them in first.
    const small = await createHarness({ journalBodyBytes: 16, archiveRetentionDays: 1, journalRetentionDays: 30 });
    try {
      const id = 'pqd~bpqd~l~mdpone~journalref';
      const gz = gzipSync(JSON.stringify(small.payload({ sender: 'MDPONE' })));
      expect((await small.submit('MDPONE', gz, { 'x-messageContextId': id })).statusCode).toBe(200);
      expect((await small.submit('MDPONE', gz, { 'x-messageContextId': id })).statusCode).toBe(409);
      const sent = { bytes: gz.length, encoding: 'base64', body: gz.subarray(0, 16).toString('base64'), truncated: true };
      const posts = async () => (await small.app.inject({ method: 'GET', url: '/sim/v1/journal?operationId=submitBpqd', headers: small.admin() })).json().data
        .map((e: Json) => e.request);
      // The accepted one refers to its message; the refused duplicate (no message of its own) keeps a copy.
      expect(await posts()).toEqual([sent, sent]);
      expect(small.ctx.db.prepare('SELECT request_body IS NULL AS ref FROM sim_journal WHERE operation_id = ? ORDER BY id').all('submitBpqd'))
        .toEqual([{ ref: 1 }, { ref: 0 }]);
      const headers = await small.as('LNSPNORTH');
      const got = await small.app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${id}`, headers: { ...headers, 'accept-encoding': 'gzip' } });
      expect(got.statusCode).toBe(200);
      const plain = await small.app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${id}`, headers: { ...headers, 'accept-encoding': 'identity' } });
      expect(plain.statusCode).toBe(200);
      const answered = got.rawPayload;
      const expected = { bytes: answered.length, encoding: 'base64', body: answered.subarray(0, 16).toString('base64'), truncated: true };
      const plainExpected = { bytes: plain.rawPayload.length, encoding: 'utf8', body: plain.rawPayload.subarray(0, 16).toString('utf8'), truncated: true };
      const gets = async () => (await small.app.inject({ method: 'GET', url: '/sim/v1/journal?operationId=getBpqd', headers: small.admin() })).json().data
        .map((e: Json) => e.response);
      expect(await gets()).toEqual([expected, plainExpected]);
      // Only the gzip answer is a reference (the inflated JSON is other bytes): its text is not stored.
      expect(small.ctx.db.prepare('SELECT response_body IS NULL AS ref FROM sim_journal WHERE operation_id = ? ORDER BY id').all('getBpqd'))
        .toEqual([{ ref: 1 }, { ref: 0 }]);
      expect((await small.app.inject({ method: 'DELETE', url: `/pqd/v1/bpqd/${id}`, headers })).statusCode).toBe(204);
      expect(await gets()).toEqual([expected, plainExpected]);
      // Past the archive's retention the clock move purges the payload; the journal keeps showing the bytes.
      small.clock.advance(2 * 86_400_000);
      expect(small.ctx.db.prepare('SELECT length(payload_gzip) AS n FROM messages').all()).toEqual([{ n: 0 }]);
      expect(await gets()).toEqual([expected, plainExpected]);
      expect(await posts()).toEqual([sent, sent]);
      expect(small.ctx.db.prepare('SELECT count(*) AS n FROM sim_journal WHERE body_message_pk IS NOT NULL').get()).toEqual({ n: 0 });
      expect(small.violations).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('is off with IDX_SIM_JOURNAL_MAX_ENTRIES=0', async () => {
    const off = await createHarness({ journalMaxEntries: 0 });
    try {
      await off.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await off.as('LNSPNORTH') });
      expect((await off.app.inject({ method: 'GET', url: '/sim/v1/journal', headers: off.admin() })).json().data).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
