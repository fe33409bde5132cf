import { describe, expect, it } from 'vitest';
import { acceptsGzip } from '../../src/domain/content-coding.js';

describe('Accept-Encoding (RFC 9110 §12.5.3): may the stored gzip bytes be sent as they are?', () => {
  it.each([
    [undefined, true, 'no header: any coding is acceptable'],
    ['gzip', true, ''],
    ['gzip, deflate, br', true, 'what browsers and undici fetch send'],
    ['GZIP;q=0.5', true, 'case-insensitive, any non-zero weight'],
    ['x-gzip', true, 'the registered alias'],
    ['*', true, 'anything'],
    ['br, *;q=0.1', true, 'gzip covered by *'],
    ['identity', false, 'plain bytes only'],
    ['', false, 'an empty value means identity only'],
    ['deflate, br', false, 'gzip not listed'],
    ['gzip;q=0', false, 'gzip explicitly refused'],
    ['gzip;q=0.000, identity', false, ''],
    ['*;q=0', false, 'everything refused but identity'],
    ['*, gzip;q=0', false, 'an explicit gzip weight wins over *'],
  ] as Array<[string | undefined, boolean, string]>)('%j → %s %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
