/**
 * Transaction Log CSV export (the Web App's "CSV export", spec §4.5): the same search as the JSON list,
 * as RFC 4180 CSV, parsed back here and compared field by field. The export limit is lowered to 6 so
 * that the refusal of an over-large export is cheap to provoke.
 */
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/domain/translog.js';
import { useHarness } from '../helpers/harness.js';

// Two schema versions, so that refusing an unknown one yields a detail with a comma to quote.
const h = useHarness({ translogExportMaxRows: 6, schemaVersions: ['0.9.0', '1.0.0'] });

type Rec = Record<string, unknown>;

/** A strict RFC 4180 reader: quoted fields, doubled quotes, CRLF records; refuses anything else. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} in an unquoted field at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ',') { i++; continue; }
    if (text.slice(i, i + 2) !== '\r\n') throw new Error(`expected CRLF at ${i}`);
    i += 2;
    rows.push(row);
    row = [];
  }
  return rows;
}

/** A JSON record as the CSV writes it. */
const asCsvFields = (r: Rec) => CSV_COLUMNS.map((c) => (r[c] === null ? '' : String(r[c])));

async function headers(pid: string) {
  return h().as(pid, 'TRANSLOG_TRANSLOG');
}

async function exportCsv(pid: string, query = '', extra: Record<string, string> = {}) {
  return h().app.inject({ method: 'GET', url: `/translog/v1/messages/export.csv${query}`, headers: { ...(await headers(pid)), ...extra } });
}

async function listAll(pid: string, query: string): Promise<Rec[]> {
  const all: Rec[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/translog/v1/messages?itemCount=2${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await h().app.inject({ method: 'GET', url, headers: await headers(pid) });
    expect(res.statusCode, res.body).toBe(200);
    all.push(...res.json().data);
    cursor = res.json().meta.nextCursor;
  } while (cursor);
  return all;
}

async function send(sender: string, nmi = '4102000001', recipient = 'LNSPNORTH') {
  const res = await h().submit(sender, h().payload({ sender, nmis: [nmi], recipients: [recipient] }));
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data.messageContextId as string;
}

/** Traffic for MDPONE: delivered, retrieved, deleted, refused (with quotes and commas in the detail). */
async function traffic() {
  const a = await send('MDPONE');
  h().clock.advance(1000);
  const b = await send('MDPONE', '6102000001', 'LNSPSOUTH');
  h().clock.advance(1000);
  const c = await send('MDPONE');
  await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${a}`, headers: await h().as('LNSPNORTH') });
  expect((await h().app.inject({ method: 'DELETE', url: `/pqd/v1/bpqd/${b}`, headers: await h().as('LNSPSOUTH') })).statusCode).toBe(204);
  h().clock.advance(1000);
  // Refusals whose details need quoting: `got "deflate"` (quotes) and `supported: 0.9.0, 1.0.0` (a comma).
  expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }), { 'content-encoding': 'deflate' })).statusCode).toBe(415);
  expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }), { 'x-schemaVersion': '9.9.9' })).statusCode).toBe(400);
  return { a, b, c };
}

describe('GET /translog/v1/messages/export.csv', () => {
  it('exports the same records as the JSON list, as RFC 4180 CSV with a header row', async () => {
    await traffic();
    const res = await exportCsv('MDPONE');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="translog-MDPONE-20260702T090003.csv"');
    expect(res.headers['x-totalrecords']).toBe('5');
    expect(res.body.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(res.body);
    expect(header).toEqual([...CSV_COLUMNS]);
    const listed = await listAll('MDPONE', '');
    expect(listed).toHaveLength(5);
    expect(rows).toEqual(listed.map(asCsvFields));
    // The quoting was exercised: a detail with quotes, and one with a comma.
    expect(res.body).toContain('got ""deflate""');
    expect(res.body).toMatch(/"[^"\r\n]*supported: 0\.9\.0, 1\.0\.0[^"\r\n]*"\r\n/);
  });

  it('applies the same filters and sort as the list', async () => {
    await traffic();
    for (const query of ['messageStatus=message_rejected', 'toParticipant=LNSPNORTH&sort=-receivedDateTime', 'isArchived=true&sort=messageStatus',
      `startDateTime=${encodeURIComponent('2026-07-02T09:00:01.000+10:00')}&endDateTime=${encodeURIComponent('2026-07-02T09:00:02.000+10:00')}`]) {
      const res = await exportCsv('MDPONE', `?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      const [, ...rows] = parseCsv(res.body);
      const listed = await listAll('MDPONE', query);
      expect(rows, query).toEqual(listed.map(asCsvFields));
      expect(res.headers['x-totalrecords']).toBe(String(listed.length));
    }
  });

  it('exports only the caller\'s records (LNSPSOUTH gets none of LNSPNORTH\'s)', async () => {
    const { a, c } = await traffic();
    const [, ...rows] = parseCsv((await exportCsv('LNSPSOUTH')).body);
    const contextColumn = CSV_COLUMNS.indexOf('messageContextId');
    expect(rows.map((r) => r[contextColumn])).not.toContain(a);
    expect(rows.map((r) => r[contextColumn])).not.toContain(c);
    for (const r of rows) expect([r[CSV_COLUMNS.indexOf('fromParticipant')], r[CSV_COLUMNS.indexOf('toParticipant')]]).toContain('LNSPSOUTH');
  });

  it('exports just the header row when nothing matches, e.g. for a market other than the NEM', async () => {
    const empty = await exportCsv('LNSPNORTH');
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
    expect(empty.headers['x-totalrecords']).toBe('0');
    await send('MDPONE');
    const gas = await exportCsv('LNSPNORTH', '', { 'x-market': 'VICGAS' });
    expect(gas.body).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
    expect(gas.headers['x-totalrecords']).toBe('0');
    expect(parseCsv((await exportCsv('LNSPNORTH', '', { 'x-market': 'NEM' })).body)).toHaveLength(2);
  });

  it('defuses spreadsheet formulas smuggled in through a refused request', async () => {
    const refused = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }), { 'x-messageContextId': '=HYPERLINK("http://evil")' });
    expect(refused.statusCode).toBe(400);
    const [, row] = parseCsv((await exportCsv('MDPONE')).body);
    expect(row![CSV_COLUMNS.indexOf('messageContextId')]).toBe('\'=HYPERLINK("http://evil")');
  });

  it('refuses a search matching more than the export limit with 400 IDX_ERR_EXPORT_TOO_LARGE, and a narrower one passes', async () => {
    for (let i = 0; i < 7; i++) {
      await send('MDPONE');
      h().clock.advance(1000);
    }
    const res = await exportCsv('LNSPNORTH');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_EXPORT_TOO_LARGE', instance: '/translog/v1/messages/export.csv' });
    expect(res.json().detail).toMatch(/7 records match; one export holds at most 6/);
    expect(res.json().errors.map((e: { in: string; name: string; code: string }) => `${e.in} ${e.name} ${e.code}`))
      .toEqual(['query startDateTime TOO_MANY_RECORDS', 'query endDateTime TOO_MANY_RECORDS']);
    const narrower = await exportCsv('LNSPNORTH', `?endDateTime=${encodeURIComponent('2026-07-02T09:00:05.000+10:00')}`);
    expect(narrower.statusCode).toBe(200);
    expect(parseCsv(narrower.body)).toHaveLength(1 + 6);
  });

  it.each([
    ['?itemCount=10', 'itemCount'],
    ['?cursor=abc', 'cursor'],
    ['?messageStatus=done', 'messageStatus'],
    ['?startDateTime=2026-07-02T09:00:00Z', 'startDateTime'],
  ])('refuses %s with 400 naming %s (no paging on an export)', async (query, name) => {
    const res = await exportCsv('LNSPNORTH', query);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_QUERY_INVALID', errors: [expect.objectContaining({ in: 'query', name })] });
  });

  it('needs TRANSLOG_TRANSLOG (403) for the certificate\'s own participant (403)', async () => {
    const noEntity = await h().app.inject({ method: 'GET', url: '/translog/v1/messages/export.csv', headers: await h().as('MDPONE', 'PQD_BPQD') });
    expect(noEntity.statusCode).toBe(403);
    expect(noEntity.json().code).toBe('IDX_ERR_ENTITY_NOT_GRANTED');
    const impostor = await exportCsv('MDPTWO', '', { 'x-initiatingParticipantId': 'MDPONE' });
    expect(impostor.statusCode).toBe(403);
    expect(impostor.json().code).toBe('IDX_ERR_CERT_PARTICIPANT_MISMATCH');
  });
});
