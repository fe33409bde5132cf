/**
 * The x-signature base64 check (src/security/message-signature.ts) replaced a regex by a loop over the
 * characters (issue #13): it must accept and refuse exactly what the regex did.
 */
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/domain/random.js';
import { isPaddedBase64 } from '../../src/security/message-signature.js';

const REGEX = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

describe('isPaddedBase64', () => {
  it('agrees with the regex it replaced on edge cases', () => {
    const cases = ['', 'QQ==', 'QUI=', 'QUJD', 'Q===', '====', 'QQ=', 'QQ', 'Q', 'QUJD====', 'QU=D', '=QUJ', 'QUJDRA==', 'QUJDREU=',
      'QUJD\n', 'QUJ D', 'QUJ-', 'QUJ_', 'QUJé', 'QUJ\u{1F600}', 'A'.repeat(4096), `${'A'.repeat(4095)}=`, `${'A'.repeat(4094)}==`, `${'A'.repeat(4093)}===`];
    for (const text of cases) expect(isPaddedBase64(text), JSON.stringify(text)).toBe(REGEX.test(text));
  });

  it('agrees with the regex on random strings near the base64 alphabet', () => {
    const random = createRandom('base64-check');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const others = '=-_ .\n\u00e9\u0100';
    let accepted = 0;
    const disagreements: string[] = [];
    for (let k = 0; k < 20_000; k++) {
      const length = Math.floor(random.next() * 13);
      let text = '';
      for (let i = 0; i < length; i++) {
        const pick = random.next();
        text += pick < 0.85 ? alphabet[Math.floor(random.next() * alphabet.length)] : pick < 0.95 ? '=' : others[Math.floor(random.next() * others.length)];
      }
      const expected = REGEX.test(text);
      if (expected) accepted++;
      if (isPaddedBase64(text) !== expected) disagreements.push(text);
    }
    expect(disagreements).toEqual([]);
    expect(accepted).toBeGreaterThan(1000); // the sample holds plenty of valid base64, not only refusals
  });
});
