import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';

const h = useHarness();

async function fill(count: number, options: { sender?: string; priority?: 'h' | 'm' | 'l'; nmi?: string; recipient?: string } = {}) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const sender = options.sender ?? 'MDPONE';
    const res = await h().submit(sender, h().payload({ sender, priority: options.priority, nmis: [options.nmi ?? '4102000001'], recipients: [options.recipient ?? 'LNSPNORTH'] }));
    expect(res.statusCode, res.body).toBe(200);
    ids.push(res.json().data.messageContextId);
  }
  return ids;
}

async function list(participantId: string, query = '') {
  return h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd${query}`, headers: await h().as(participantId) });
}

describe('GET /pqd/v1/bpqd — queue metadata', () => {
  it('lists the LNSP queue oldest first with the published meta block', async () => {
    const ids = await fill(3);
    const res = await list('LNSPNORTH');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual(ids);
    expect(body.meta).toEqual({ itemCount: 3, nextCursor: null, totalRecords: 3, totalPages: 1 });
    expect(body.data[0]).toMatchObject({ initiatingParticipantId: 'MDPONE', priority: 'Low', retrievedDateTime: null, schemaVersion: '1.0.0', transactionCount: 1 });
  });

  it('pages through more than 2 pages with stable cursors, even when messages are deleted between pages', async () => {
    const ids = await fill(7);
    const seen: string[] = [];
    const res1 = await list('LNSPNORTH', '?itemCount=3');
    const page1 = res1.json();
    expect(page1.meta).toMatchObject({ itemCount: 3, totalRecords: 7, totalPages: 3 });
    seen.push(...page1.data.map((m: { messageContextId: string }) => m.messageContextId));
    // Deleting an already-seen message and the first message of the next page must not skip or repeat anything.
    const lnsp = await h().as('LNSPNORTH');
    expect((await h().app.inject({ method: 'DELETE', url: `/pqd/v1/bpqd/${ids[0]}`, headers: lnsp })).statusCode).toBe(204);
    const again = await list('LNSPNORTH', `?itemCount=3&cursor=${page1.meta.nextCursor}`);
    const page2 = again.json();
    expect(page2.meta).toMatchObject({ itemCount: 3, totalRecords: 6, totalPages: 2 });
    seen.push(...page2.data.map((m: { messageContextId: string }) => m.messageContextId));
    // The same cursor gives the same page again.
    expect((await list('LNSPNORTH', `?itemCount=3&cursor=${page1.meta.nextCursor}`)).json().data).toEqual(page2.data);
    const page3 = (await list('LNSPNORTH', `?itemCount=3&cursor=${page2.meta.nextCursor}`)).json();
    seen.push(...page3.data.map((m: { messageContextId: string }) => m.messageContextId));
    expect(page3.meta.nextCursor).toBeNull();
    expect(seen).toEqual(ids);
  });

  it('filters by priority, in either letter or word form (Table 7: list by priority)', async () => {
    await fill(2, { priority: 'l' });
    const high = await fill(2, { priority: 'h' });
    for (const q of ['?priority=h', '?priority=High']) {
      const body = (await list('LNSPNORTH', q)).json();
      expect(body.data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual(high);
      expect(body.data.every((m: { priority: string }) => m.priority === 'High')).toBe(true);
    }
  });

  it('filters by received date-time window', async () => {
    const early = await fill(1);
    h().clock.advance(3_600_000);
    const late = await fill(1);
    const from = encodeURIComponent('2026-07-02T09:30:00.000+10:00');
    expect((await list('LNSPNORTH', `?fromDateTime=${from}`)).json().data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual(late);
    expect((await list('LNSPNORTH', `?toDateTime=${from}`)).json().data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual(early);
    // AEMO's own example omits milliseconds and uses +00:00.
    expect((await list('LNSPNORTH', `?fromDateTime=${encodeURIComponent('2026-07-01T23:30:00+00:00')}`)).json().meta.totalRecords).toBe(1);
  });

  it.each([
    ['?itemCount=0', 'IDX_ERR_QUERY_INVALID', 'itemCount'],
    ['?itemCount=501', 'IDX_ERR_QUERY_INVALID', 'itemCount'],
    ['?itemCount=abc', 'IDX_ERR_QUERY_INVALID', 'itemCount'],
    ['?fromDateTime=2026-07-02', 'IDX_ERR_QUERY_INVALID', 'fromDateTime'],
    ['?priority=urgent', 'IDX_ERR_QUERY_INVALID', 'priority'],
    ['?pageSize=10', 'IDX_ERR_QUERY_INVALID', 'pageSize'],
    ['?cursor=bm90LWEtY3Vyc29y', 'IDX_ERR_CURSOR_INVALID', 'cursor'],
  ])('refuses %s with 400 %s naming %s', async (query, code, name) => {
    const res = await list('LNSPNORTH', query);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code, errors: [expect.objectContaining({ in: 'query', name })] });
  });

  it('an MC cannot read queues (PQD_BPQD is C only) → 403', async () => {
    const res = await list('ACMEMC');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('IDX_ERR_ENTITY_NOT_GRANTED');
  });
});

describe('LNSP isolation', () => {
  it('one LNSP never sees, gets or deletes another LNSP\'s messages', async () => {
    const [north] = await fill(1, { nmi: '4102000001', recipient: 'LNSPNORTH' });
    const [south] = await fill(1, { nmi: '6102000001', recipient: 'LNSPSOUTH' });
    const southList = (await list('LNSPSOUTH')).json();
    expect(southList.data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual([south]);
    const southHeaders = await h().as('LNSPSOUTH');
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await h().app.inject({ method, url: `/pqd/v1/bpqd/${north}`, headers: southHeaders });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('IDX_ERR_MESSAGE_NOT_FOUND');
    }
    // Still there for its owner.
    expect((await list('LNSPNORTH')).json().meta.totalRecords).toBe(1);
  });

  it('an LNSP cannot read another LNSP\'s queue by naming it in x-initiatingParticipantId', async () => {
    await fill(1);
    const headers = { ...(await h().as('LNSPSOUTH')), 'x-initiatingParticipantId': 'LNSPNORTH' };
    const res = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('IDX_ERR_CERT_PARTICIPANT_MISMATCH');
  });
});

describe('GET and DELETE /pqd/v1/bpqd/{messageContextId}', () => {
  it('returns the exact gzip bytes and the signature, and the first GET completes delivery', async () => {
    const payload = h().payload({ sender: 'MDPONE' });
    const gz = gzipSync(JSON.stringify(payload), { level: 9 });
    // The sender's secondary signs: the LNSP gets the header exactly as it was sent.
    const signature = h().signature('MDPONE', gz, 'secondary');
    const sent = await h().submit('MDPONE', gz, { 'x-signature': signature });
    expect(sent.statusCode, sent.body).toBe(200);
    const id = sent.json().data.messageContextId;
    h().clock.advance(60_000);
    const res = await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${id}`, headers: await h().as('LNSPNORTH') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['x-signature']).toBe(signature);
    expect(Buffer.compare(res.rawPayload, gz)).toBe(0);
    expect(JSON.parse(gunzipSync(res.rawPayload).toString())).toEqual(payload);
    expect((await list('LNSPNORTH')).json().data[0].retrievedDateTime).toBe('2026-07-02T09:01:00.000+10:00');
    // A second GET changes nothing in the log.
    await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${id}`, headers: await h().as('LNSPNORTH') });
    expect(h().ctx.transactionLog.forContext(id).map((r) => r.status)).toEqual(['delivery_pending', 'completed']);
  });

  it('honours Accept-Encoding (RFC 9110 §12.5.3): identity, gzip;q=0 or no gzip → the inflated JSON; gzip → the stored bytes', async () => {
    const payload = h().payload({ sender: 'MDPONE' });
    const json = Buffer.from(JSON.stringify(payload));
    const gz = gzipSync(json, { level: 9 });
    const sent = await h().submit('MDPONE', gz);
    expect(sent.statusCode, sent.body).toBe(200);
    const id = sent.json().data.messageContextId;
    const headers = await h().as('LNSPNORTH');
    const get = (acceptEncoding: string) => h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${id}`, headers: { ...headers, 'accept-encoding': acceptEncoding } });
    for (const acceptEncoding of ['identity', 'gzip;q=0', 'br, deflate']) {
      const plain = await get(acceptEncoding);
      expect(plain.statusCode, acceptEncoding).toBe(200);
      expect(plain.headers['content-encoding'], acceptEncoding).toBeUndefined();
      expect(plain.headers.vary).toBe('Accept-Encoding');
      expect(Buffer.compare(plain.rawPayload, json), acceptEncoding).toBe(0);
    }
    const zipped = await get('gzip, deflate');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(Buffer.compare(zipped.rawPayload, gz)).toBe(0);
    // However it is sent, the first retrieval completes delivery once.
    expect(h().ctx.transactionLog.forContext(id).map((r) => r.status)).toEqual(['delivery_pending', 'completed']);
  });

  it('DELETE removes the message from the queue (204), logs `removed`, and a second DELETE is 404', async () => {
    const [id] = await fill(1);
    const headers = await h().as('LNSPNORTH');
    const res = await h().app.inject({ method: 'DELETE', url: `/pqd/v1/bpqd/${id}`, headers });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await list('LNSPNORTH')).json().meta.totalRecords).toBe(0);
    expect(h().ctx.transactionLog.forContext(id!).map((r) => [r.status, r.reasonCode])).toEqual([['delivery_pending', null], ['removed', 'DELETED']]);
    const again = await h().app.inject({ method: 'DELETE', url: `/pqd/v1/bpqd/${id}`, headers });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ code: 'IDX_ERR_MESSAGE_NOT_FOUND', errors: [{ in: 'path', name: 'messageContextId' }] });
  });

  it('refuses a malformed messageContextId in the path with 400', async () => {
    const res = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd/not-a-context-id', headers: await h().as('LNSPNORTH') });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_PATH_INVALID', errors: [{ in: 'path', name: 'messageContextId' }] });
  });

  it('unknown routes and methods answer problem+json', async () => {
    const res = await h().app.inject({ method: 'GET', url: '/pqd/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('IDX_ERR_ROUTE_NOT_FOUND');
    // A known path with another method is 405 with Allow (issue 8).
    const put = await h().app.inject({ method: 'PUT', url: '/pqd/v1/bpqd' });
    expect(put.statusCode).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD, POST');
    expect(put.json().code).toBe('IDX_ERR_METHOD_NOT_ALLOWED');
    expect(put.headers['content-type']).toMatch(/problem\+json/);
  });
});
