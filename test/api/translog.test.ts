/**
 * Transaction Logging API (spec §4.5): the record model, every query parameter, keyset paging, sorting,
 * refusals, and isolation — a participant only ever sees records it initiated or received.
 */
import { describe, expect, it } from 'vitest';
import { certHeader, certificatePem, useHarness } from '../helpers/harness.js';

const h = useHarness();

type Rec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const DAY = 86_400_000;

interface Sent { messageContextId: string; messageId: string; traceId: string }

/** Submits a valid BPQD message through the PQD API. */
async function send(sender: string, o: { nmis?: string[]; recipients?: string[]; priority?: 'h' | 'm' | 'l'; date?: string; headers?: Record<string, string> } = {}): Promise<Sent> {
  const payload = h().payload({ sender, nmis: o.nmis ?? ['4102000001'], recipients: o.recipients ?? ['LNSPNORTH'], priority: o.priority ?? 'l', date: o.date ?? '2026-07-01' });
  const res = await h().submit(sender, payload, o.headers);
  expect(res.statusCode, res.body).toBe(200);
  const { messageContextId, messageId } = res.json().data;
  return { messageContextId, messageId, traceId: res.headers['x-traceid'] as string };
}

const translogHeaders = (pid: string) => h().as(pid, 'TRANSLOG_TRANSLOG');

async function search(pid: string, query = '', headers: Record<string, string> = {}) {
  return h().app.inject({ method: 'GET', url: `/translog/v1/messages${query}`, headers: { ...(await translogHeaders(pid)), ...headers } });
}

/** The records of a search, after checking it succeeded. */
async function records(pid: string, query = ''): Promise<Rec[]> {
  const res = await search(pid, query);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data;
}

/** Every record visible to a participant, all pages. */
async function everything(pid: string, query = ''): Promise<Rec[]> {
  const all: Rec[] = [];
  let cursor: string | null = null;
  do {
    const sep = query ? '&' : '?';
    const res = await search(pid, `${query}${cursor ? `${sep}cursor=${cursor}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    all.push(...res.json().data);
    cursor = res.json().meta.nextCursor;
  } while (cursor);
  return all;
}

const q = (params: Record<string, string>) => `?${new URLSearchParams(params).toString()}`;
const ids = (rs: Rec[]) => rs.map((r) => r.messageId);

async function retrieve(pid: string, id: string) {
  const res = await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${id}`, headers: await h().as(pid) });
  expect(res.statusCode).toBe(200);
  return res.headers['x-traceid'] as string;
}

async function remove(pid: string, id: string) {
  return h().app.inject({ method: 'DELETE', url: `/pqd/v1/bpqd/${id}`, headers: await h().as(pid) });
}

describe('GET /translog/v1/messages — record model', () => {
  it('shows one record per message × receiver that moves delivery_pending → completed → removed', async () => {
    const m = await send('MDPONE');
    const [pending] = await records('MDPONE');
    expect(pending).toEqual({
      messageContextId: m.messageContextId, messageId: m.messageId, messageType: 'message', businessFunctionId: 'pqd',
      businessFunctionResourceId: 'bpqd', priority: 'Low', fromParticipant: 'MDPONE', toParticipant: 'LNSPNORTH',
      messageStatus: 'delivery_pending', receivedDateTime: '2026-07-02T09:00:00.000+10:00', statusDateTime: '2026-07-02T09:00:00.000+10:00',
      isArchived: true, traceId: m.traceId, reasonCode: null, detail: null,
    });
    expect(await records('LNSPNORTH')).toEqual([pending]);

    h().clock.advance(60_000);
    const getTrace = await retrieve('LNSPNORTH', m.messageContextId);
    const completed = await records('LNSPNORTH');
    expect(completed).toEqual([{ ...pending, messageStatus: 'completed', statusDateTime: '2026-07-02T09:01:00.000+10:00', traceId: getTrace, reasonCode: 'RETRIEVED', detail: expect.any(String) }]);

    h().clock.advance(60_000);
    const deleted = await remove('LNSPNORTH', m.messageContextId);
    const res = await search('MDPONE');
    expect(res.json().meta).toEqual({ itemCount: 1, nextCursor: null, totalRecords: 1, totalPages: 1 });
    expect(res.json().data[0]).toMatchObject({ messageStatus: 'removed', statusDateTime: '2026-07-02T09:02:00.000+10:00', traceId: deleted.headers['x-traceid'], reasonCode: 'DELETED', receivedDateTime: pending.receivedDateTime });
  });

  it('shows a refused submission to its sender as message_rejected with the error code and trace id', async () => {
    const payload = h().payload({ sender: 'MDPONE' });
    payload.data.transactions[0]!.nmiDetails[0]!.nmiChecksum = String((Number(payload.data.transactions[0]!.nmiDetails[0]!.nmiChecksum) + 1) % 10);
    const refused = await h().submit('MDPONE', payload, { 'x-messageContextId': 'pqd~bpqd~l~mdpone~refused-1' });
    expect(refused.statusCode).toBe(400);
    expect(await records('MDPONE')).toEqual([{
      messageContextId: 'pqd~bpqd~l~mdpone~refused-1', messageId: null, messageType: 'message', businessFunctionId: 'pqd',
      businessFunctionResourceId: 'bpqd', priority: 'Low', fromParticipant: 'MDPONE', toParticipant: null, messageStatus: 'message_rejected',
      receivedDateTime: '2026-07-02T09:00:00.000+10:00', statusDateTime: '2026-07-02T09:00:00.000+10:00', isArchived: false,
      traceId: refused.json().traceId, reasonCode: 'IDX_ERR_NMI_CHECKSUM', detail: expect.stringContaining('NMI checksum is wrong'),
    }]);
    // The would-be receiver learns nothing of it.
    expect(await records('LNSPNORTH')).toEqual([]);
  });

  it('shows a refused retrieval to the participant that asked, as its receiver', async () => {
    const res = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd/pqd~bpqd~l~mdpone~nothing', headers: await h().as('LNSPNORTH') });
    expect(res.statusCode).toBe(404);
    expect(await records('LNSPNORTH')).toEqual([expect.objectContaining({
      messageContextId: 'pqd~bpqd~l~mdpone~nothing', fromParticipant: null, toParticipant: 'LNSPNORTH', messageStatus: 'message_rejected',
      reasonCode: 'IDX_ERR_MESSAGE_NOT_FOUND', traceId: res.json().traceId,
    })]);
  });

  it('files a refusal under the certificate\'s participant, never under a header anyone can type', async () => {
    // No certificate at all: nobody's record.
    const anonymous = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: { 'x-initiatingParticipantId': 'LNSPNORTH' } });
    expect(anonymous.statusCode).toBe(401);
    // LNSPSOUTH's certificate claiming to be LNSPNORTH: LNSPSOUTH's record, not LNSPNORTH's.
    const impostor = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: { ...(await h().as('LNSPSOUTH')), 'x-initiatingParticipantId': 'LNSPNORTH' } });
    expect(impostor.statusCode).toBe(403);
    expect(await records('LNSPNORTH')).toEqual([]);
    expect(await records('LNSPSOUTH')).toEqual([expect.objectContaining({ toParticipant: 'LNSPSOUTH', reasonCode: 'IDX_ERR_CERT_PARTICIPANT_MISMATCH', traceId: impostor.json().traceId })]);
  });
});

describe('GET /translog/v1/messages — query parameters (spec §4.5)', () => {
  it('toParticipant and fromParticipant', async () => {
    const north = await send('MDPONE');
    const south = await send('MDPONE', { nmis: ['6102000001'], recipients: ['LNSPSOUTH'] });
    const byMc = await send('ACMEMC');
    expect(ids(await records('MDPONE', '?toParticipant=LNSPSOUTH'))).toEqual([south.messageId]);
    expect(ids(await records('MDPONE', '?toParticipant=LNSPNORTH'))).toEqual([north.messageId]);
    expect(ids(await records('LNSPNORTH', '?fromParticipant=ACMEMC'))).toEqual([byMc.messageId]);
    expect(ids(await records('LNSPNORTH', '?fromParticipant=MDPONE'))).toEqual([north.messageId]);
    expect(ids(await records('LNSPNORTH', '?fromParticipant=MDPONE&toParticipant=LNSPNORTH'))).toEqual([north.messageId]);
  });

  it('messageId and messageContextId (case-insensitive)', async () => {
    await send('MDPONE');
    const wanted = await send('MDPONE');
    expect(ids(await records('LNSPNORTH', q({ messageId: wanted.messageId })))).toEqual([wanted.messageId]);
    expect(ids(await records('LNSPNORTH', q({ messageContextId: wanted.messageContextId.toUpperCase() })))).toEqual([wanted.messageId]);
    expect(await records('LNSPNORTH', q({ messageId: 'MSG-00000000-0000-0000-0000-000000000000' }))).toEqual([]);
  });

  it('startDateTime and endDateTime bound the received time, inclusively, in any offset', async () => {
    const nine = await send('MDPONE');
    h().clock.advance(3_600_000);
    const ten = await send('MDPONE');
    h().clock.advance(3_600_000);
    const eleven = await send('MDPONE');
    // A status change later does not move a record's received time.
    await retrieve('LNSPNORTH', nine.messageContextId);
    expect(ids(await records('LNSPNORTH', q({ startDateTime: '2026-07-02T10:00:00.000+10:00' })))).toEqual([ten.messageId, eleven.messageId]);
    expect(ids(await records('LNSPNORTH', q({ endDateTime: '2026-07-02T10:00:00.000+10:00' })))).toEqual([nine.messageId, ten.messageId]);
    expect(ids(await records('LNSPNORTH', q({ startDateTime: '2026-07-01T23:59:59.999+00:00', endDateTime: '2026-07-02T00:59:59.999+00:00' })))).toEqual([ten.messageId]);
  });

  it('messageStatus matches the CURRENT status', async () => {
    const pending = await send('MDPONE');
    const completed = await send('MDPONE');
    const removed = await send('MDPONE');
    await retrieve('LNSPNORTH', completed.messageContextId);
    await retrieve('LNSPNORTH', removed.messageContextId);
    expect((await remove('LNSPNORTH', removed.messageContextId)).statusCode).toBe(204);
    const refused = await h().submit('MDPONE', Buffer.from('not gzip'));
    expect(refused.statusCode).toBe(400);
    expect(ids(await records('MDPONE', '?messageStatus=delivery_pending'))).toEqual([pending.messageId]);
    expect(ids(await records('MDPONE', '?messageStatus=completed'))).toEqual([completed.messageId]);
    expect(ids(await records('MDPONE', '?messageStatus=removed'))).toEqual([removed.messageId]);
    expect((await records('MDPONE', '?messageStatus=message_rejected')).map((r) => r.traceId)).toEqual([refused.json().traceId]);
    // Fire and forget: BPQD messages are never acknowledged.
    expect(await records('MDPONE', '?messageStatus=message_acked')).toEqual([]);
  });

  it('messageType: every BPQD record is a message, none a tack', async () => {
    await send('MDPONE');
    expect((await records('LNSPNORTH', '?messageType=message')).length).toBe(1);
    expect(await records('LNSPNORTH', '?messageType=tack')).toEqual([]);
  });

  it('isArchived: true while the archive keeps the payload (90 days by default), false after and for refusals', async () => {
    const old = await send('MDPONE');
    expect((await h().submit('MDPONE', Buffer.from('not gzip'))).statusCode).toBe(400);
    h().clock.advance(90 * DAY - 1);
    expect(ids(await records('MDPONE', '?isArchived=true'))).toEqual([old.messageId]);
    h().clock.advance(1);
    const recent = await send('MDPONE');
    expect(ids(await records('MDPONE', '?isArchived=true'))).toEqual([recent.messageId]);
    const notArchived = await records('MDPONE', '?isArchived=false');
    // 90 days on, the old message left the queue long ago (expired after 10 days, spec §4.1).
    expect(notArchived.map((r) => [r.messageId, r.messageStatus])).toEqual([[old.messageId, 'removed'], [null, 'message_rejected']]);
    expect(notArchived.every((r) => r.isArchived === false)).toBe(true);
  });

  it('itemCount defaults to 100 and allows 500', async () => {
    for (let i = 0; i < 101; i++) {
      await send('MDPONE');
      if (i % 50 === 49) h().clock.advance(60_000); // PQD allows 50 requests a minute per endpoint (spec §4.1)
    }
    const first = await search('LNSPNORTH');
    expect(first.json().meta).toMatchObject({ itemCount: 100, totalRecords: 101, totalPages: 2 });
    expect((await search('LNSPNORTH', '?itemCount=500')).json().meta).toMatchObject({ itemCount: 101, nextCursor: null, totalPages: 1 });
    const rest = await search('LNSPNORTH', `?cursor=${first.json().meta.nextCursor}`);
    expect(rest.json().data).toHaveLength(1);
  });

  it('x-market: the log holds NEM exchanges, so another market finds nothing', async () => {
    await send('MDPONE');
    expect((await search('LNSPNORTH', '', { 'x-market': 'NEM' })).json().meta.totalRecords).toBe(1);
    expect((await search('LNSPNORTH', '', { 'x-market': 'VICGAS' })).json()).toEqual({ data: [], meta: { itemCount: 0, nextCursor: null, totalRecords: 0, totalPages: 0 } });
  });
});

describe('GET /translog/v1/messages — paging and sorting', () => {
  it('pages through more than 2 pages with stable cursors while records are added and change status', async () => {
    const sent: Sent[] = [];
    for (let i = 0; i < 7; i++) {
      sent.push(await send('MDPONE'));
      h().clock.advance(1000);
    }
    const page1 = (await search('LNSPNORTH', '?itemCount=3')).json();
    expect(page1.meta).toMatchObject({ itemCount: 3, totalRecords: 7, totalPages: 3 });
    // Between pages: a seen record and the next page's first record change status; new ones arrive.
    await retrieve('LNSPNORTH', sent[0]!.messageContextId);
    await retrieve('LNSPNORTH', sent[3]!.messageContextId);
    const late = await send('MDPONE');
    const page2 = (await search('LNSPNORTH', `?itemCount=3&cursor=${page1.meta.nextCursor}`)).json();
    expect(page2.meta).toMatchObject({ itemCount: 3, totalRecords: 8, totalPages: 3 });
    // The same cursor gives the same page again.
    expect((await search('LNSPNORTH', `?itemCount=3&cursor=${page1.meta.nextCursor}`)).json()).toEqual(page2);
    const page3 = (await search('LNSPNORTH', `?itemCount=3&cursor=${page2.meta.nextCursor}`)).json();
    expect(page3.meta.nextCursor).toBeNull();
    expect([...ids(page1.data), ...ids(page2.data), ...ids(page3.data)]).toEqual([...sent, late].map((s) => s.messageId));
    expect(page2.data[0].messageStatus).toBe('completed');
  });

  it('sort: each field ascending and descending, ties broken by age, paging within the order', async () => {
    const a = await send('MDPONE');
    h().clock.advance(1000);
    const b = await send('ACMEMC', { nmis: ['4102000002'] });
    h().clock.advance(1000);
    const c = await send('MDPONE', { nmis: ['6102000001'], recipients: ['LNSPSOUTH'] });
    h().clock.advance(1000);
    await retrieve('LNSPNORTH', a.messageContextId);
    h().clock.advance(1000);
    expect((await remove('LNSPSOUTH', c.messageContextId)).statusCode).toBe(204);
    // MDPONE sees a (completed, LNSPNORTH) and c (removed, LNSPSOUTH); ACMEMC sees b.
    const order = async (pid: string, sort: string) => ids(await everything(pid, `?itemCount=1&sort=${sort}`));
    expect(await order('MDPONE', 'receivedDateTime')).toEqual([a.messageId, c.messageId]);
    expect(await order('MDPONE', '-receivedDateTime')).toEqual([c.messageId, a.messageId]);
    expect(await order('MDPONE', 'statusDateTime')).toEqual([a.messageId, c.messageId]);
    expect(await order('MDPONE', '-statusDateTime')).toEqual([c.messageId, a.messageId]);
    expect(await order('MDPONE', 'toParticipant')).toEqual([a.messageId, c.messageId]);
    expect(await order('MDPONE', '-toParticipant')).toEqual([c.messageId, a.messageId]);
    expect(await order('MDPONE', 'messageStatus')).toEqual([a.messageId, c.messageId]);
    expect(await order('MDPONE', '-messageStatus')).toEqual([c.messageId, a.messageId]);
    expect(await order('LNSPNORTH', 'fromParticipant')).toEqual([b.messageId, a.messageId]);
    expect(await order('LNSPNORTH', '-fromParticipant')).toEqual([a.messageId, b.messageId]);
    const byContext = [a, b].sort((x, y) => x.messageContextId.localeCompare(y.messageContextId)).map((s) => s.messageId);
    expect(await order('LNSPNORTH', 'messageContextId')).toEqual(byContext);
    expect(await order('LNSPNORTH', '-messageContextId')).toEqual([...byContext].reverse());
    // Equal sort values (same receiver): oldest first ascending, newest first descending.
    const d = await send('MDPONE');
    expect(await order('LNSPNORTH', 'toParticipant')).toEqual([a.messageId, b.messageId, d.messageId]);
    expect(await order('LNSPNORTH', '-toParticipant')).toEqual([d.messageId, b.messageId, a.messageId]);
  });

  it('refuses a cursor issued for another sort, and one it never issued', async () => {
    await send('MDPONE');
    await send('MDPONE');
    const cursor = (await search('LNSPNORTH', '?itemCount=1&sort=-receivedDateTime')).json().meta.nextCursor;
    const res = await search('LNSPNORTH', `?itemCount=1&cursor=${cursor}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_CURSOR_INVALID', errors: [expect.objectContaining({ in: 'query', name: 'cursor' })] });
    expect(res.json().detail).toMatch(/sort=-receivedDateTime/);
    for (const bad of ['bm90LWEtY3Vyc29y', Buffer.from('translog~[1,2]').toString('base64url'), Buffer.from('translog~{').toString('base64url')]) {
      const refused = await search('LNSPNORTH', `?cursor=${bad}`);
      expect(refused.statusCode).toBe(400);
      expect(refused.json().code).toBe('IDX_ERR_CURSOR_INVALID');
    }
  });
});

describe('GET /translog/v1/messages — refusals', () => {
  it.each([
    ['?itemCount=0', 'itemCount'],
    ['?itemCount=501', 'itemCount'],
    ['?itemCount=ten', 'itemCount'],
    ['?isArchived=maybe', 'isArchived'],
    ['?messageStatus=delivered', 'messageStatus'],
    ['?messageType=mack', 'messageType'],
    ['?startDateTime=2026-07-02T09:00:00%2B10:00', 'startDateTime'], // TL-OAS: milliseconds required
    ['?endDateTime=2026-07-02', 'endDateTime'],
    ['?startDateTime=2026-02-30T00:00:00.000%2B10:00', 'startDateTime'], // no such day
    ['?startDateTime=2026-07-02T10:00:00.000%2B10:00&endDateTime=2026-07-02T09:00:00.000%2B10:00', 'startDateTime'],
    ['?toParticipant=lnspnorth', 'toParticipant'],
    ['?fromParticipant=TOOLONGPARTICIPANT', 'fromParticipant'],
    ['?sort=priority', 'sort'],
    ['?pageSize=10', 'pageSize'],
  ])('%s → 400 IDX_ERR_QUERY_INVALID naming %s', async (query, name) => {
    const res = await search('LNSPNORTH', query);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_QUERY_INVALID', instance: '/translog/v1/messages', errors: [expect.objectContaining({ in: 'query', name })] });
  });

  it('a token without TRANSLOG_TRANSLOG → 403 IDX_ERR_ENTITY_NOT_GRANTED', async () => {
    const res = await h().app.inject({ method: 'GET', url: '/translog/v1/messages', headers: await h().as('LNSPNORTH', 'PQD_BPQD') });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('IDX_ERR_ENTITY_NOT_GRANTED');
    expect(res.json().detail).toMatch(/TRANSLOG_TRANSLOG/);
  });

  it('another participant\'s id in x-initiatingParticipantId → 403 IDX_ERR_CERT_PARTICIPANT_MISMATCH', async () => {
    const res = await search('LNSPSOUTH', '', { 'x-initiatingParticipantId': 'LNSPNORTH' });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('IDX_ERR_CERT_PARTICIPANT_MISMATCH');
  });

  it('no bearer token → 401; no x-initiatingParticipantId → 400 naming it; unknown x-market → 400 naming it', async () => {
    const noToken = await h().app.inject({ method: 'GET', url: '/translog/v1/messages', headers: { 'x-initiatingParticipantId': 'LNSPNORTH', ...certHeader(certificatePem('LNSPNORTH')) } });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.json().code).toBe('IDX_ERR_TOKEN_MISSING');
    const headers = await translogHeaders('LNSPNORTH');
    delete headers['x-initiatingParticipantId'];
    const noParticipant = await h().app.inject({ method: 'GET', url: '/translog/v1/messages', headers });
    expect(noParticipant.statusCode).toBe(400);
    expect(noParticipant.json()).toMatchObject({ code: 'IDX_ERR_HEADER_MISSING', errors: [expect.objectContaining({ in: 'header', name: 'x-initiatingParticipantId' })] });
    const badMarket = await search('LNSPNORTH', '', { 'x-market': 'MARS' });
    expect(badMarket.statusCode).toBe(400);
    expect(badMarket.json()).toMatchObject({ code: 'IDX_ERR_HEADER_INVALID', errors: [expect.objectContaining({ in: 'header', name: 'x-market' })] });
  });
});

describe('isolation: only records the caller initiated or received', () => {
  /** Traffic between every pair, plus refusals, so that every participant has records. */
  async function traffic() {
    const sent = {
      mdpOneNorth: await send('MDPONE'),
      mdpOneSouth: await send('MDPONE', { nmis: ['6102000001'], recipients: ['LNSPSOUTH'] }),
      mcNorth: await send('ACMEMC', { nmis: ['4102000002'] }),
      mdpTwoNorth: await send('MDPTWO', { nmis: ['4102000099'], date: '2026-07-15' }),
      otherMcSouth: await send('OTHERMC', { nmis: ['6102000099'], recipients: ['LNSPSOUTH'], date: '2026-07-15' }),
    };
    await retrieve('LNSPNORTH', sent.mdpOneNorth.messageContextId);
    expect((await remove('LNSPSOUTH', sent.mdpOneSouth.messageContextId)).statusCode).toBe(204);
    for (const pid of ['MDPONE', 'MDPTWO', 'ACMEMC']) expect((await h().submit(pid, Buffer.from('junk'))).statusCode).toBe(400);
    for (const pid of ['LNSPNORTH', 'LNSPSOUTH']) expect((await remove(pid, 'pqd~bpqd~l~mdpone~absent')).statusCode).toBe(404);
    return sent;
  }

  it.each(['ACMEMC', 'OTHERMC', 'MDPONE', 'MDPTWO', 'LNSPNORTH', 'LNSPSOUTH'])('%s sees only its own records, whatever the filters', async (pid) => {
    await traffic();
    const mine = await everything(pid, '?itemCount=2');
    expect(mine.length).toBeGreaterThan(0);
    for (const r of mine) expect([r.fromParticipant, r.toParticipant]).toContain(pid);
    // Asking for others' traffic by name finds nothing.
    for (const other of ['ACMEMC', 'OTHERMC', 'MDPONE', 'MDPTWO', 'LNSPNORTH', 'LNSPSOUTH'].filter((p) => p !== pid)) {
      const theirs = await records(pid, q({ fromParticipant: other, toParticipant: other }));
      expect(theirs).toEqual([]);
    }
  });

  it('LNSPSOUTH never sees LNSPNORTH\'s messages; an MDP never sees another MDP\'s; an MC never sees its MDP\'s', async () => {
    const sent = await traffic();
    const southIds = ids(await everything('LNSPSOUTH'));
    expect(southIds).toEqual(expect.arrayContaining([sent.mdpOneSouth.messageId, sent.otherMcSouth.messageId]));
    for (const m of [sent.mdpOneNorth, sent.mcNorth, sent.mdpTwoNorth]) {
      expect(southIds).not.toContain(m.messageId);
      expect(await records('LNSPSOUTH', q({ messageId: m.messageId }))).toEqual([]);
      expect(await records('LNSPSOUTH', q({ messageContextId: m.messageContextId }))).toEqual([]);
    }
    const mdpTwoIds = ids(await everything('MDPTWO'));
    expect(mdpTwoIds.filter(Boolean)).toEqual([sent.mdpTwoNorth.messageId]);
    expect(ids(await everything('MDPONE')).filter(Boolean)).toEqual([sent.mdpOneNorth.messageId, sent.mdpOneSouth.messageId]);
    expect(ids(await everything('ACMEMC')).filter(Boolean)).toEqual([sent.mcNorth.messageId]);
    expect(ids(await everything('LNSPNORTH')).filter(Boolean)).toEqual([sent.mdpOneNorth.messageId, sent.mcNorth.messageId, sent.mdpTwoNorth.messageId]);
  });
});
