import { timingSafeEqual } from 'node:crypto';

/**
 * Whether a presented secret (the control API's key, a form's CSRF token) is the expected one, compared in
 * constant time. Lengths are compared in bytes, not characters: a header byte over 0x7f arrives as one
 * latin-1 character and a form field's é is one character, but each encodes as two bytes, and
 * timingSafeEqual throws on buffers of different lengths (that was a 500 for a wrong key or token).
 */
export function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
