/**
 * Outbound Archive (spec §4.6): the receiving participant's archived copies, re-signed by the IDX hub —
 * the hub's signature is verified here with node:crypto against the hub certificate from the dev CA.
 */
import { verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { parseSignedData, sha256 } from '../../src/security/cms.js';
import { pkiDir, useHarness } from '../helpers/harness.js';

const h = useHarness();
const DAY = 86_400_000;

async function send(options: { nmi?: string; recipient?: string; priority?: 'h' | 'l' } = {}) {
  const payload = h().payload({ sender: 'MDPONE', nmis: [options.nmi ?? '4102000001'], recipients: [options.recipient ?? 'LNSPNORTH'], priority: options.priority });
  const gz = gzipSync(JSON.stringify(payload));
  const res = await h().submit('MDPONE', gz);
  expect(res.statusCode, res.body).toBe(200);
  return { id: res.json().data.messageContextId as string, payload, gz, signature: h().signature('MDPONE', gz) };
}

const archive = async (participantId: string, path: string, headers: Record<string, string> = {}) =>
  h().app.inject({ method: 'GET', url: `/archive/v1/messages${path}`, headers: { ...(await h().as(participantId, 'ARCH_RETRIEVE')), ...headers } });

/** Verifies an `RSA-SHA256;<CMS>` signature over `content` with the hub certificate issued by the dev CA. */
function verifiesAsHub(signatureHeader: string, content: Buffer): boolean {
  const hubCert = new X509Certificate(readFileSync(pkiPaths(pkiDir()).hubCert));
  const ca = new X509Certificate(readFileSync(pkiPaths(pkiDir()).caCert));
  expect(hubCert.checkIssued(ca) && hubCert.verify(ca.publicKey)).toBe(true);
  expect(signatureHeader.startsWith('RSA-SHA256;')).toBe(true);
  const [signer] = parseSignedData(Buffer.from(signatureHeader.slice('RSA-SHA256;'.length), 'base64')).signers;
  const attrs = signer!.signedAttributes!;
  return Buffer.compare(attrs.messageDigest!, sha256(content)) === 0 && verify('sha256', attrs.signedBytes, hubCert.publicKey, signer!.signature);
}

/** The entries of a ZIP file (central directory walk; deflate or stored). */
function unzip(zip: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString();
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    entries.set(name, method === 8 ? inflateRawSync(data) : data);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

describe('GET /archive/v1/messages/{messageContextId} — re-signed by the hub', () => {
  it('returns the payload as received, signed by the IDX hub over the JSON, with the sender\'s original signature', async () => {
    const sent = await send();
    // Archived even after the LNSP deleted it from its queue.
    expect((await h().app.inject({ method: 'DELETE', url: `/pqd/v1/bpqd/${sent.id}`, headers: await h().as('LNSPNORTH') })).statusCode).toBe(204);
    const res = await archive('LNSPNORTH', `/${sent.id}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(Buffer.compare(res.rawPayload, sent.gz)).toBe(0);
    const json = gunzipSync(res.rawPayload);
    expect(JSON.parse(json.toString())).toEqual(sent.payload);
    expect(res.headers['x-originalsignature']).toBe(sent.signature);
    const hubSignature = res.headers['x-signature'] as string;
    expect(hubSignature).not.toBe(sent.signature);
    expect(verifiesAsHub(hubSignature, json)).toBe(true);
    // A changed payload does not verify.
    expect(verifiesAsHub(hubSignature, Buffer.from(json.toString().replace('MDPONE', 'MDPTWO')))).toBe(false);
  });

  it('downloads <messageContextId>.zip with the JSON and the hub\'s detached signature when asked for application/zip', async () => {
    const sent = await send();
    const res = await archive('LNSPNORTH', `/${sent.id}`, { accept: 'application/zip' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/zip/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${sent.id}.zip"`);
    const files = unzip(res.rawPayload);
    expect([...files.keys()]).toEqual([`${sent.id}.json`, `${sent.id}.json.p7s`]);
    expect(JSON.parse(files.get(`${sent.id}.json`)!.toString())).toEqual(sent.payload);
    expect(verifiesAsHub(`RSA-SHA256;${files.get(`${sent.id}.json.p7s`)!.toString('base64')}`, files.get(`${sent.id}.json`)!)).toBe(true);
  });

  it('is the receiver\'s only: another LNSP gets 404, a participant without ARCH_RETRIEVE 403', async () => {
    const sent = await send();
    const south = await archive('LNSPSOUTH', `/${sent.id}`);
    expect(south.statusCode).toBe(404);
    expect(south.json()).toMatchObject({ code: 'IDX_ERR_MESSAGE_NOT_FOUND', errors: [{ in: 'path', name: 'messageContextId' }] });
    const sender = await h().app.inject({ method: 'GET', url: `/archive/v1/messages/${sent.id}`, headers: await h().as('MDPONE', 'ARCH_RETRIEVE PQD_BPQD') });
    expect(sender.statusCode).toBe(403);
    expect(sender.json().code).toBe('IDX_ERR_ENTITY_NOT_GRANTED');
  });

  it('keeps copies for the retention period (90 days), then the payload is purged', async () => {
    const sent = await send();
    h().clock.advance(90 * DAY - 1);
    expect((await archive('LNSPNORTH', `/${sent.id}`)).statusCode).toBe(200);
    const clock = await h().app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: { ...h().admin(), 'content-type': 'application/json' }, payload: { advanceSeconds: 1 } });
    expect(clock.statusCode).toBe(200);
    expect((await archive('LNSPNORTH', `/${sent.id}`)).statusCode).toBe(404);
    const stored = h().ctx.db.prepare('SELECT length(payload_gzip) AS n FROM messages').get();
    expect(stored).toEqual({ n: 0 });
    // The duplicate check still knows the id.
    const again = await h().submit('MDPONE', sent.gz, { 'x-messageContextId': sent.id });
    expect(again.json().code).toBe('IDX_ERR_DUPLICATE_MESSAGE');
  });
});

describe('GET /archive/v1/messages — list', () => {
  it('lists the receiver\'s archived messages newest first, pages with a cursor, and filters by window and business function', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await send()).id);
      h().clock.advance(60_000);
    }
    await send({ nmi: '6102000001', recipient: 'LNSPSOUTH' });
    const first = (await archive('LNSPNORTH', '?itemCount=2')).json();
    expect(first.meta).toMatchObject({ itemCount: 2, totalRecords: 5, totalPages: 3 });
    const seen = [...first.data];
    let cursor = first.meta.nextCursor;
    while (cursor) {
      const page = (await archive('LNSPNORTH', `?itemCount=2&cursor=${cursor}`)).json();
      seen.push(...page.data);
      cursor = page.meta.nextCursor;
    }
    expect(seen.map((m: { messageContextId: string }) => m.messageContextId)).toEqual([...ids].reverse());
    expect(seen[0]).toMatchObject({ initiatingParticipantId: 'MDPONE', receivingParticipantId: 'LNSPNORTH', businessFunctionId: 'pqd', priority: 'Low' });
    // startDateTime is the newest end of the window, endDateTime the oldest.
    const window = (await archive('LNSPNORTH', `?startDateTime=${encodeURIComponent('2026-07-02T09:02:00.000+10:00')}&endDateTime=${encodeURIComponent('2026-07-02T09:01:00.000+10:00')}`)).json();
    expect(window.data.map((m: { messageContextId: string }) => m.messageContextId)).toEqual([ids[2], ids[1]]);
    expect((await archive('LNSPNORTH', '?businessFunctionResourceId=apqd')).json().meta.totalRecords).toBe(0);
    expect((await archive('LNSPSOUTH', '')).json().meta.totalRecords).toBe(1);
  });

  it.each([
    ['?itemCount=101', 'itemCount'],
    ['?itemCount=0', 'itemCount'],
    ['?startDateTime=2026-07-02T09:00:00%2B10:00', 'startDateTime'],
    ['?cursor=bm9wZQ', 'cursor'],
  ])('refuses %s with 400 naming %s', async (query, name) => {
    const res = await archive('LNSPNORTH', query);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ in: 'query', name })]);
  });
});
