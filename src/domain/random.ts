import { randomBytes } from 'node:crypto';

/**
 * Seedable randomness for everything idx-sim invents (trace ids, token ids, message ids, generated
 * data). With a fixed seed a run is repeatable; without one, the seed comes from the OS.
 * Not for secrets: key material always comes from node:crypto.
 */
export interface Random {
  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number;
  /** A float in [0, 1). */
  next(): number;
  /** `bytes` random bytes as lower-case hex. */
  hex(bytes: number): string;
  /** An RFC 4122 version-4 shaped UUID. */
  uuid(): string;
}

/** Two hex digits for each byte value (SeededRandom.hex). */
const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** sfc32: small, fast, passes PractRand; good enough for identifiers and test data. */
export class SeededRandom implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: string) {
    // Hash the seed text into four 32-bit words (cyrb128).
    let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
    for (let i = 0; i < seed.length; i++) {
      const k = seed.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
    h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
    h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
    h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
    this.a = (h1 ^ h2 ^ h3 ^ h4) >>> 0;
    this.b = (h2 ^ h1) >>> 0;
    this.c = (h3 ^ h1) >>> 0;
    this.d = (h4 ^ h1) >>> 0;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.nextUint32() / 4294967296;
  }

  hex(bytes: number): string {
    // Two hex digits per byte from a table: every request draws a trace id (issue #13).
    let out = '';
    for (let i = 0; i < bytes; i += 4) {
      const n = this.nextUint32();
      out += HEX_BYTE[n >>> 24]! + HEX_BYTE[(n >>> 16) & 0xff]! + HEX_BYTE[(n >>> 8) & 0xff]! + HEX_BYTE[n & 0xff]!;
    }
    return bytes % 4 === 0 ? out : out.slice(0, bytes * 2);
  }

  uuid(): string {
    // Version nibble 4 at hex digit 12, variant 10xx at digit 16 (every submission draws one: no arrays).
    const s = this.hex(16);
    const variant = ((parseInt(s[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${variant}${s.slice(17, 20)}-${s.slice(20)}`;
  }
}

/** A seeded generator; with no seed, one drawn from the OS (and reported, so a run can be replayed). */
export function createRandom(seed?: string): SeededRandom {
  return new SeededRandom(seed ?? randomBytes(8).toString('hex'));
}

/**
 * The seed of one start: IDX_SIM_SEED itself on the first start of a data directory (a fresh run replays
 * exactly), the seed and the start's number after that — a restart on the same data must not draw the
 * message ids and trace ids of the previous run again (issue 7, defect 10).
 */
export function seedForBoot(seed: string, boot: number): string {
  return boot <= 1 ? seed : `${seed}#boot${boot}`;
}
