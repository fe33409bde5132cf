/**
 * Transaction Log: a message's full history ("related records", fan-out) and payload download
 * (spec §4.5; seed 000 Table 7 "view and download the message").
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';

const h = useHarness();
const DAY = 86_400_000;

async function send(sender: string, o: { nmis?: string[]; recipients?: string[]; contextId?: string; unsigned?: boolean } = {}) {
  const payload = h().payload({ sender, nmis: o.nmis ?? ['4102000001'], recipients: o.recipients ?? ['LNSPNORTH'] });
  const gz = gzipSync(JSON.stringify(payload), { level: 9 });
  const headers: Record<string, string | undefined> = {};
  if (o.contextId) headers['x-messageContextId'] = o.contextId;
  if (o.unsigned) headers['x-signature'] = undefined;
  const res = await h().submit(sender, gz, headers);
  expect(res.statusCode, res.body).toBe(200);
  return { ...(res.json().data as { messageContextId: string; messageId: string }), gz, payload, traceId: res.headers['x-traceid'] as string };
}

async function detail(pid: string, messageId: string, headers: Record<string, string> = {}) {
  return h().app.inject({ method: 'GET', url: `/translog/v1/messages/${messageId}`, headers: { ...(await h().as(pid, 'TRANSLOG_TRANSLOG')), ...headers } });
}

async function download(pid: string, messageId: string, scope = 'TRANSLOG_TRANSLOG') {
  return h().app.inject({ method: 'GET', url: `/translog/v1/messages/${messageId}/payload`, headers: await h().as(pid, scope) });
}

async function pqd(method: 'GET' | 'DELETE', pid: string, id: string) {
  return h().app.inject({ method, url: `/pqd/v1/bpqd/${id}`, headers: await h().as(pid) });
}

/**
 * A message reaches several receivers only when each of its NMIs has them all as LNSPs (routing rule,
 * docs/spec-variance.md #28), so the fan-out tests give NMI 4102000003 a second LNSP in standing data.
 */
function addSecondLnsp(): void {
  h().ctx.participants.replaceFromSource('test-fan-out', {
    participants: [], users: [], roles: [{ nmi: '4102000003', role: 'LNSP', participantId: 'LNSPSOUTH', fromDate: '2026-01-01', toDate: null }],
  });
}
const FAN_OUT = { nmis: ['4102000003'], recipients: ['LNSPNORTH', 'LNSPSOUTH'] };

describe('GET /translog/v1/messages/{messageId} — related records', () => {
  it('gives the sender every receiver\'s current status and history (fan-out), and each receiver only its own', async () => {
    addSecondLnsp();
    const m = await send('MDPONE', FAN_OUT);
    h().clock.advance(60_000);
    const got = await pqd('GET', 'LNSPNORTH', m.messageContextId);
    h().clock.advance(60_000);
    const deleted = await pqd('DELETE', 'LNSPSOUTH', m.messageContextId);
    expect(deleted.statusCode).toBe(204);

    const res = await detail('MDPONE', m.messageId);
    expect(res.statusCode, res.body).toBe(200);
    const data = res.json().data;
    expect(data).toMatchObject({
      messageId: m.messageId, messageContextId: m.messageContextId, messageType: 'message', businessFunctionId: 'pqd',
      businessFunctionResourceId: 'bpqd', priority: 'Low', fromParticipant: 'MDPONE', receivedDateTime: '2026-07-02T09:00:00.000+10:00',
      isArchived: true, archivedUntilDateTime: '2026-09-30T09:00:00.000+10:00',
      payload: { sizeBytes: JSON.stringify(m.payload).length, gzipSizeBytes: m.gz.length, schemaVersion: '1.0.0', transactionCount: 1, signed: true },
    });
    expect(data.records.map((r: { toParticipant: string; messageStatus: string }) => [r.toParticipant, r.messageStatus]))
      .toEqual([['LNSPNORTH', 'completed'], ['LNSPSOUTH', 'removed']]);
    expect(data.events.map((e: { toParticipant: string; messageStatus: string; traceId: string; eventDateTime: string }) => [e.toParticipant, e.messageStatus, e.traceId, e.eventDateTime])).toEqual([
      ['LNSPNORTH', 'delivery_pending', m.traceId, '2026-07-02T09:00:00.000+10:00'],
      ['LNSPSOUTH', 'delivery_pending', m.traceId, '2026-07-02T09:00:00.000+10:00'],
      ['LNSPNORTH', 'completed', got.headers['x-traceid'], '2026-07-02T09:01:00.000+10:00'],
      ['LNSPSOUTH', 'removed', deleted.headers['x-traceid'], '2026-07-02T09:02:00.000+10:00'],
    ]);

    const north = (await detail('LNSPNORTH', m.messageId)).json().data;
    expect(north.records.map((r: { toParticipant: string }) => r.toParticipant)).toEqual(['LNSPNORTH']);
    expect(north.events.map((e: { toParticipant: string; messageStatus: string }) => [e.toParticipant, e.messageStatus]))
      .toEqual([['LNSPNORTH', 'delivery_pending'], ['LNSPNORTH', 'completed']]);
    const south = (await detail('LNSPSOUTH', m.messageId)).json().data;
    expect(south.events.every((e: { toParticipant: string }) => e.toParticipant === 'LNSPSOUTH')).toBe(true);
  });

  it('relates refusals to the message by messageContextId, each only for the participant whose request was refused', async () => {
    const contextId = 'pqd~bpqd~l~mdpone~retried-1';
    // First attempt refused (not gzip), then the corrected resubmission under the same id is accepted.
    const refused = await h().submit('MDPONE', Buffer.from('{"not":"gzip"}'), { 'x-messageContextId': contextId });
    expect(refused.statusCode).toBe(400);
    h().clock.advance(1000);
    const m = await send('MDPONE', { contextId });
    expect((await pqd('DELETE', 'LNSPNORTH', contextId)).statusCode).toBe(204);
    const again = await pqd('DELETE', 'LNSPNORTH', contextId);
    expect(again.statusCode).toBe(404);

    const sender = (await detail('MDPONE', m.messageId)).json().data;
    expect(sender.events.map((e: { messageStatus: string; reasonCode: string | null; traceId: string }) => [e.messageStatus, e.reasonCode, e.traceId])).toEqual([
      ['message_rejected', 'IDX_ERR_GZIP_INVALID', refused.json().traceId],
      ['delivery_pending', null, m.traceId],
      ['removed', 'DELETED', expect.any(String)],
    ]);
    const receiver = (await detail('LNSPNORTH', m.messageId)).json().data;
    expect(receiver.events.map((e: { messageStatus: string; reasonCode: string | null }) => [e.messageStatus, e.reasonCode])).toEqual([
      ['delivery_pending', null], ['removed', 'DELETED'], ['message_rejected', 'IDX_ERR_MESSAGE_NOT_FOUND'],
    ]);
    expect(receiver.events[2].traceId).toBe(again.json().traceId);
  });

  it('is 404 for a participant that neither sent nor received the message, as for an unknown id', async () => {
    const m = await send('MDPONE');
    for (const pid of ['LNSPSOUTH', 'MDPTWO', 'ACMEMC']) {
      const res = await detail(pid, m.messageId);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'IDX_ERR_TRANSLOG_MESSAGE_NOT_FOUND', errors: [expect.objectContaining({ in: 'path', name: 'messageId' })] });
    }
    const unknown = await detail('LNSPNORTH', 'MSG-00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('IDX_ERR_TRANSLOG_MESSAGE_NOT_FOUND');
    // A second lookup of the unknown id is still 404: the refusal is logged without a messageId.
    expect((await detail('LNSPNORTH', 'MSG-00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await detail('LNSPNORTH', m.messageId, { 'x-market': 'SAGAS' })).statusCode).toBe(404);
  });

  it('refuses a messageId that is not the hub\'s MSG-<uuid> with 400 naming it', async () => {
    const res = await detail('LNSPNORTH', 'pqd~bpqd~l~mdpone~x');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_PATH_INVALID', errors: [expect.objectContaining({ in: 'path', name: 'messageId' })] });
  });

  it('needs TRANSLOG_TRANSLOG (403) and the certificate\'s own participant (403)', async () => {
    const m = await send('MDPONE');
    const noEntity = await h().app.inject({ method: 'GET', url: `/translog/v1/messages/${m.messageId}`, headers: await h().as('LNSPNORTH', 'PQD_BPQD') });
    expect(noEntity.statusCode).toBe(403);
    expect(noEntity.json().code).toBe('IDX_ERR_ENTITY_NOT_GRANTED');
    const impostor = await detail('LNSPSOUTH', m.messageId, { 'x-initiatingParticipantId': 'LNSPNORTH' });
    expect(impostor.statusCode).toBe(403);
    expect(impostor.json().code).toBe('IDX_ERR_CERT_PARTICIPANT_MISMATCH');
  });
});

describe('GET /translog/v1/messages/{messageId}/payload — download', () => {
  it('returns the gzip bytes exactly as POSTed, with the signature, to the sender and to the receiver', async () => {
    const m = await send('MDPONE');
    const signature = h().signature('MDPONE', m.gz);
    for (const pid of ['MDPONE', 'LNSPNORTH']) {
      const res = await download(pid, m.messageId);
      expect(res.statusCode, res.body).toBe(200);
      expect(Buffer.compare(res.rawPayload, m.gz)).toBe(0);
      expect(JSON.parse(gunzipSync(res.rawPayload).toString('utf8'))).toEqual(m.payload);
      expect(res.headers).toMatchObject({
        'content-encoding': 'gzip', 'x-signature': signature, 'x-messagecontextid': m.messageContextId, 'x-initiatingparticipantid': 'MDPONE',
        'x-schemaversion': '1.0.0', 'content-disposition': `attachment; filename="${m.messageContextId}.json"`,
      });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
  });

  it('changes no delivery status: the message stays unretrieved in the queue', async () => {
    const m = await send('MDPONE');
    expect((await download('LNSPNORTH', m.messageId)).statusCode).toBe(200);
    const queue = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as('LNSPNORTH') });
    expect(queue.json().data[0]).toMatchObject({ messageContextId: m.messageContextId, retrievedDateTime: null });
    expect(h().ctx.transactionLog.forContext(m.messageContextId).map((r) => r.status)).toEqual(['delivery_pending']);
  });

  it('still serves a message deleted from the queue while the archive keeps it, then 410 once retention has passed', async () => {
    const m = await send('MDPONE');
    expect((await pqd('DELETE', 'LNSPNORTH', m.messageContextId)).statusCode).toBe(204);
    expect((await download('LNSPNORTH', m.messageId)).statusCode).toBe(200);
    h().clock.advance(90 * DAY);
    const gone = await download('LNSPNORTH', m.messageId);
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({ code: 'IDX_ERR_PAYLOAD_NOT_RETAINED', messageContextId: m.messageContextId, errors: [expect.objectContaining({ in: 'path', name: 'messageId' })] });
    expect(gone.json().detail).toMatch(/90 days/);
    // The history remains.
    const history = (await detail('LNSPNORTH', m.messageId)).json().data;
    expect(history).toMatchObject({ isArchived: false, records: [expect.objectContaining({ messageStatus: 'removed', isArchived: false })] });
  });

  it('is 404 for a participant that neither sent nor received it, and for an unknown id; 400 for a malformed id', async () => {
    const m = await send('MDPONE');
    for (const pid of ['LNSPSOUTH', 'MDPTWO', 'ACMEMC']) {
      const res = await download(pid, m.messageId);
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('IDX_ERR_TRANSLOG_MESSAGE_NOT_FOUND');
    }
    expect((await download('LNSPNORTH', 'MSG-00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    const malformed = await download('LNSPNORTH', 'MSG-XYZ');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors).toEqual([expect.objectContaining({ in: 'path', name: 'messageId' })]);
  });

  it('needs TRANSLOG_TRANSLOG: a PQD_BPQD-only token → 403', async () => {
    const m = await send('MDPONE');
    const res = await download('LNSPNORTH', m.messageId, 'PQD_BPQD');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('IDX_ERR_ENTITY_NOT_GRANTED');
  });
});

describe('download of an unsigned message', () => {
  const unsigned = useHarness({ signatureRequired: false });

  it('omits x-signature when none was sent (IDX_SIM_SIGNATURE_REQUIRED=false)', async () => {
    const gz = gzipSync(JSON.stringify(unsigned().payload({ sender: 'MDPONE' })));
    const sent = await unsigned().submit('MDPONE', gz, { 'x-signature': undefined });
    expect(sent.statusCode, sent.body).toBe(200);
    const res = await unsigned().app.inject({ method: 'GET', url: `/translog/v1/messages/${sent.json().data.messageId}/payload`, headers: await unsigned().as('MDPONE', 'TRANSLOG_TRANSLOG') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-signature']).toBeUndefined();
  });
});
