/**
 * The one cursor codec of every paged API (PQD queue, outbound archive, transaction log, participant
 * status history, the control API's request journal). Cursors are opaque to callers (spec §4.1 [D]):
 * base64url of `<kind>~<JSON array>`, the array being the keyset position the next page starts from. A
 * cursor of another kind, another query or no kind at all is refused the same way, naming the `cursor`
 * query parameter.
 */
import { IdxError } from './errors.js';

export type CursorField = string | number;

/** IDX_ERR_CURSOR_INVALID naming the cursor parameter, with why and what to do instead. */
export function invalidCursor(why = 'cursor is not one this API issued'): IdxError {
  return new IdxError('IDX_ERR_CURSOR_INVALID', `${why}; pass meta.nextCursor from the previous page unchanged, or omit cursor to start over`,
    { errors: [{ in: 'query', name: 'cursor', code: 'CURSOR', message: why }] });
}

export function encodeCursor(kind: string, fields: readonly CursorField[]): string {
  return Buffer.from(`${kind}~${JSON.stringify(fields)}`).toString('base64url');
}

/**
 * The fields of a cursor this API issued for `kind`, checked one by one against `shape` (each a
 * predicate); anything else throws invalidCursor().
 */
export function decodeCursor(kind: string, cursor: string, shape: ReadonlyArray<(value: unknown) => boolean>): CursorField[] {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(`${kind}~`)) throw invalidCursor();
  let fields: unknown;
  try {
    fields = JSON.parse(text.slice(kind.length + 1));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(fields) || fields.length !== shape.length || !shape.every((accepts, i) => accepts(fields[i]))) throw invalidCursor();
  return fields as CursorField[];
}

/** Field predicates for decodeCursor's shape. */
export const isPositiveInteger = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 1;
export const isInteger = (value: unknown): value is number => Number.isSafeInteger(value);
export const isStringOrNumber = (value: unknown): value is string | number => typeof value === 'string' || typeof value === 'number';
export const isString = (value: unknown): value is string => typeof value === 'string';
