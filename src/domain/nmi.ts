/**
 * NMI check digit, per AEMO's NMI Procedure as implemented identically by nmicheck, jufemaiz/aemo and
 * Get-NmiWithCheckDigit (spec §11): walk the 10 characters right to left, take ASCII codes, double
 * every second one starting with the rightmost, sum the decimal digits, check = (10 - sum mod 10) mod 10.
 */
export const NMI_PATTERN = /^[A-Z0-9]{10}$/;

export function nmiChecksum(nmi: string): number {
  if (!NMI_PATTERN.test(nmi)) throw new RangeError(`NMI must be 10 upper-case letters or digits: ${nmi}`);
  let sum = 0;
  let double = true;
  for (let i = nmi.length - 1; i >= 0; i--) {
    let value = nmi.charCodeAt(i);
    if (double) value *= 2;
    double = !double;
    for (; value > 0; value = Math.floor(value / 10)) sum += value % 10;
  }
  return (10 - (sum % 10)) % 10;
}

export function isValidNmiChecksum(nmi: string, checksum: string | number): boolean {
  return NMI_PATTERN.test(nmi) && String(nmiChecksum(nmi)) === String(checksum);
}

/** `4102000001..4102000010` → the ten NMIs; a single NMI → itself. */
export function expandNmis(spec: string): string[] {
  const [first, last = first] = spec.split('..') as [string, string?];
  for (const nmi of [first, last]) if (!NMI_PATTERN.test(nmi!)) throw new Error(`NMI "${nmi}" is not 10 upper-case letters or digits`);
  if (first === last) return [first];
  if (!/^\d+$/.test(first) || !/^\d+$/.test(last!)) throw new Error(`NMI range "${spec}" must be numeric`);
  const out: string[] = [];
  for (let n = BigInt(first); n <= BigInt(last!); n++) out.push(n.toString().padStart(10, '0'));
  return out;
}
