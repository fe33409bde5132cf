/**
 * The Transaction Log and Business Function Information APIs through a real TLS socket: the CSV export
 * streamed over the wire, the payload download byte for byte, an unscoped token on BFI, and the log's
 * records surviving a restart of the process (SQLite file on disk).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { SeededRandom } from '../../src/domain/random.js';
import { useE2eServer } from '../helpers/e2e.js';

const e2e = useE2eServer('e2e-translog');
const { call, as } = e2e;

describe('Transaction Log and BFI over TLS', () => {
  const payload = generateBpqdPayload(new SeededRandom('e2e'), { sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 6 });
  const gz = gzipSync(JSON.stringify(payload), { level: 9 });
  let messageId: string;

  it('streams the CSV export and downloads the payload byte for byte', async () => {
    const sent = await call('MDPONE', 'POST', '/pqd/v1/bpqd', {
      ...(await as('MDPONE', 'PQD_BPQD')), 'x-messageContextId': 'pqd~bpqd~l~mdpone~e2e-tl-1', 'content-type': 'application/json', 'content-encoding': 'gzip',
      'x-signature': e2e.signer('MDPONE').sign(Buffer.from(JSON.stringify(payload))),
    }, gz);
    expect(sent.status).toBe(200);
    messageId = sent.json().data.messageId;
    const lnsp = await as('LNSPNORTH', 'TRANSLOG_TRANSLOG');
    const csv = await call('LNSPNORTH', 'GET', '/translog/v1/messages/export.csv', lnsp);
    expect(csv.status).toBe(200);
    expect(csv.headers['transfer-encoding']).toBe('chunked');
    const lines = csv.bytes.toString('utf8').split('\r\n');
    expect(lines[0]).toMatch(/^messageContextId,messageId,/);
    expect(lines[1]).toContain(`pqd~bpqd~l~mdpone~e2e-tl-1,${messageId},message,pqd,bpqd,Low,MDPONE,LNSPNORTH,delivery_pending,`);
    expect(lines[2]).toBe('');
    // undici does not inflate: these are the bytes on the wire.
    const download = await call('LNSPNORTH', 'GET', `/translog/v1/messages/${messageId}/payload`, lnsp);
    expect(download.status).toBe(200);
    expect(download.headers['content-encoding']).toBe('gzip');
    expect(Buffer.compare(download.bytes, gz)).toBe(0);
  });

  it('answers BFI with an unscoped token', async () => {
    const res = await call('LNSPNORTH', 'GET', '/bfinfo/v1/businessFunctions/pqd', { ...(await as('LNSPNORTH', '')), 'x-market': 'NEM' });
    expect(res.status).toBe(200);
    expect(res.json().businessFunction).toMatchObject({ businessFunctionId: 'pqd', retention: { queueDays: 10, archiveDays: 90 } });
  });

  it('keeps the records across a restart', async () => {
    await e2e.restart();
    const res = await call('MDPONE', 'GET', `/translog/v1/messages/${messageId}`, await as('MDPONE', 'TRANSLOG_TRANSLOG'));
    expect(res.status).toBe(200);
    expect(res.json().data.records).toEqual([expect.objectContaining({ toParticipant: 'LNSPNORTH', messageStatus: 'delivery_pending', isArchived: true })]);
  });
});
