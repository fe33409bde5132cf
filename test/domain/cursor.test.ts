import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, isInteger, isPositiveInteger, isString } from '../../src/domain/cursor.js';
import { IdxError } from '../../src/domain/errors.js';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as IdxError;
  }
  throw new Error('expected a refusal');
};

describe('the one cursor codec', () => {
  it('round-trips a keyset position and stays opaque (base64url)', () => {
    const cursor = encodeCursor('archive', [1_782_950_400_000, 42]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('archive', cursor, [isInteger, isInteger])).toEqual([1_782_950_400_000, 42]);
  });

  it.each([
    ['a cursor of another API', encodeCursor('pqd~bpqd', [7]), 'fctrl~history'],
    ['a kind that is only a prefix of another', encodeCursor('pqd~bpqd~x', [7]), 'pqd~bpqd'],
    ['not base64url of anything we issue', 'bm90LWEtY3Vyc29y', 'pqd~bpqd'],
    ['not JSON after the kind', Buffer.from('pqd~bpqd~[').toString('base64url'), 'pqd~bpqd'],
    ['the wrong number of fields', encodeCursor('pqd~bpqd', [7, 8]), 'pqd~bpqd'],
    ['a field of the wrong type', encodeCursor('pqd~bpqd', ['7']), 'pqd~bpqd'],
    ['a position below 1', encodeCursor('pqd~bpqd', [0]), 'pqd~bpqd'],
  ])('refuses %s with IDX_ERR_CURSOR_INVALID naming the cursor parameter', (_label, cursor, kind) => {
    const err = refusal(() => decodeCursor(kind, cursor, [isPositiveInteger]));
    expect(err).toBeInstanceOf(IdxError);
    expect(err.code).toBe('IDX_ERR_CURSOR_INVALID');
    expect(err.errors).toEqual([expect.objectContaining({ in: 'query', name: 'cursor', code: 'CURSOR' })]);
    expect(err.detail).toMatch(/pass meta\.nextCursor/);
  });

  it('checks each field against its own predicate', () => {
    expect(decodeCursor('t', encodeCursor('t', ['-x', 3]), [isString, isPositiveInteger])).toEqual(['-x', 3]);
    expect(refusal(() => decodeCursor('t', encodeCursor('t', [3, '-x']), [isString, isPositiveInteger])).code).toBe('IDX_ERR_CURSOR_INVALID');
  });
});
