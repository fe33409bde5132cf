import { describe, expect, it } from 'vitest';
import { isValidNmiChecksum, nmiChecksum } from '../../src/domain/nmi.js';

describe('NMI checksum (spec §11)', () => {
  it.each([
    ['QAAAVZZZZZ', 3],
    ['4123456789', 6],
    ['6102000000', 0],
    ['NMI0001234', 8],
  ])('%s has check digit %i', (nmi, digit) => {
    expect(nmiChecksum(nmi)).toBe(digit);
    expect(isValidNmiChecksum(nmi, String(digit))).toBe(true);
    expect(isValidNmiChecksum(nmi, String((digit + 1) % 10))).toBe(false);
  });

  it('gives the fixture NMIs distinct, stable digits', () => {
    expect(nmiChecksum('4102000001')).toBe(0);
    expect(nmiChecksum('4102000099')).toBe(nmiChecksum('4102000099'));
  });

  it('refuses anything but 10 upper-case letters or digits', () => {
    for (const bad of ['410200000', '41020000011', 'qaaavzzzzz', '4102 00001']) {
      expect(() => nmiChecksum(bad)).toThrow(RangeError);
      expect(isValidNmiChecksum(bad, '0')).toBe(false);
    }
  });
});
