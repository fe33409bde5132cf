import { describe, expect, it } from 'vitest';
import { IdxError } from '../../src/domain/errors.js';
import {
  CSV_COLUMNS, CSV_HEADER, csvField, csvLine, decodeTranslogCursor, encodeTranslogCursor, formatSort, parseSort, SORT_KEYS,
} from '../../src/domain/translog.js';

describe('CSV fields (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\r\nlines', '"two\r\nlines"'],
    ['line\nfeed', '"line\nfeed"'],
    ['', ''],
  ])('%j → %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('writes null as an empty field, booleans and numbers as text', () => {
    expect(csvLine([null, true, false, 42])).toBe(',true,false,42\r\n');
  });

  it.each(['=1+2', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])('defuses the spreadsheet formula %j with a leading apostrophe', (value) => {
    expect(csvField(value).replace(/^"/, '')).toMatch(/^'/);
  });

  it('leaves numbers alone (a negative number is data, not a formula)', () => {
    expect(csvField(-1)).toBe('-1');
  });

  it('has a header row naming every record field, CRLF-terminated', () => {
    expect(CSV_HEADER).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
    expect(CSV_COLUMNS).toContain('messageContextId');
    expect(CSV_COLUMNS[0]).toBe('messageContextId');
  });
});

describe('sort', () => {
  it('parses a field, ascending, or -field, descending; receivedDateTime ascending by default', () => {
    expect(parseSort(undefined)).toEqual({ key: 'receivedDateTime', descending: false });
    expect(parseSort('-statusDateTime')).toEqual({ key: 'statusDateTime', descending: true });
    for (const key of SORT_KEYS) {
      expect(formatSort(parseSort(key))).toBe(key);
      expect(formatSort(parseSort(`-${key}`))).toBe(`-${key}`);
    }
  });
});

describe('translog cursors', () => {
  const sort = parseSort('-messageContextId');

  it('round-trip the position of the next page for the same sort', () => {
    for (const value of ['pqd~bpqd~l~mdpone~a', 1_782_950_400_000, '']) {
      expect(decodeTranslogCursor(encodeTranslogCursor(sort, { value, recordId: 17 }), sort)).toEqual({ value, recordId: 17 });
    }
  });

  it('are opaque (base64url, no raw identifiers)', () => {
    expect(encodeTranslogCursor(sort, { value: 'pqd~bpqd~l~mdpone~a', recordId: 1 })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('refuse a cursor of another sort, naming both', () => {
    const cursor = encodeTranslogCursor(sort, { value: 'x', recordId: 1 });
    expect(() => decodeTranslogCursor(cursor, parseSort(undefined))).toThrowError(/issued for sort=-messageContextId, not sort=receivedDateTime/);
  });

  it.each([
    ['not base64 of ours', 'bm90LWEtY3Vyc29y'],
    ['not JSON', Buffer.from('translog~[').toString('base64url')],
    ['wrong arity', Buffer.from('translog~["-messageContextId","x"]').toString('base64url')],
    ['record id 0', Buffer.from('translog~["-messageContextId","x",0]').toString('base64url')],
    ['object value', Buffer.from('translog~["-messageContextId",{},1]').toString('base64url')],
  ])('refuse %s with IDX_ERR_CURSOR_INVALID naming the cursor', (_label, cursor) => {
    try {
      decodeTranslogCursor(cursor, sort);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(IdxError);
      expect((err as IdxError).code).toBe('IDX_ERR_CURSOR_INVALID');
      expect((err as IdxError).errors).toEqual([expect.objectContaining({ in: 'query', name: 'cursor' })]);
    }
  });
});
