/**
 * A small ASN.1 reader and DER writer for the few structures idx-sim handles on a request path: CMS
 * SignedData (the `x-signature` header, spec §3, §6) and the X.509 fields that identify a signer. Reading
 * works on Buffer slices without copying, so parsing a signature costs microseconds; node-forge's asn1,
 * which converts to binary strings, stays off the hot path (STYLE: node-forge never on a request path).
 *
 * The reader accepts BER indefinite lengths on constructed values, as streaming CMS producers emit them;
 * everything it writes is DER.
 */

export class Asn1Error extends Error {
  override readonly name = 'Asn1Error';
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** `[n]` context-specific tag; constructed unless told otherwise. */
export const contextTag = (n: number, constructed = true): number => 0x80 | (constructed ? 0x20 : 0) | n;

export interface Tlv {
  /** Identifier octet (class, constructed bit, tag number < 31). */
  tag: number;
  constructed: boolean;
  /** The whole element: identifier, length and content octets. */
  raw: Buffer;
  /** The content octets (for an indefinite length, without the end-of-contents octets). */
  content: Buffer;
}

/**
 * An element read from a buffer: offsets, with `raw` and `content` cut out only when asked for — a
 * signature's parse reads some forty elements and uses few of their slices (issue #13: a Buffer slice
 * per field was a third of a submission's CMS parse).
 */
class Element implements Tlv {
  constructor(
    readonly tag: number,
    readonly constructed: boolean,
    private readonly buf: Buffer,
    private readonly start: number,
    private readonly contentStart: number,
    private readonly contentEnd: number,
    /** Offset after the element (after the end-of-contents octets of an indefinite length). */
    readonly end: number,
  ) {}

  get raw(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  get content(): Buffer {
    return this.buf.subarray(this.contentStart, this.contentEnd);
  }

  /** The element's children, read in place (offsets in messages count from the start of this content, as before). */
  children(): Element[] {
    const out: Element[] = [];
    for (let p = this.contentStart; p < this.contentEnd;) {
      const child = read(this.buf, p, 1, this.contentStart, this.contentEnd);
      out.push(child);
      p = child.end;
    }
    return out;
  }
}

const MAX_DEPTH = 24;

/** Reads one element at `offset`. Throws Asn1Error saying where the bytes stop making sense. */
export function readTlv(buf: Buffer, offset = 0, depth = 0): Tlv {
  return read(buf, offset, depth, 0, buf.length);
}

/** `readTlv` within `buf[base, limit)`: byte numbers in messages count from `base`. */
function read(buf: Buffer, offset: number, depth: number, base: number, limit: number): Element {
  if (depth > MAX_DEPTH) throw new Asn1Error(`nested deeper than ${MAX_DEPTH} levels`);
  const at = offset - base;
  if (offset + 2 > limit) throw new Asn1Error(`truncated at byte ${at}`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error(`multi-byte tag at byte ${at}`);
  const constructed = (tag & 0x20) !== 0;
  let pos = offset + 1;
  const first = buf[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    if (!constructed) throw new Asn1Error(`indefinite length on a primitive value at byte ${at}`);
    let p = pos;
    for (;;) {
      if (p + 2 > limit) throw new Asn1Error(`missing end-of-contents for the element at byte ${at}`);
      if (buf[p] === 0 && buf[p + 1] === 0) break;
      p = read(buf, p, depth + 1, base, limit).end;
    }
    return new Element(tag, constructed, buf, offset, pos, p, p + 2);
  } else {
    const n = first & 0x7f;
    if (n > 4) throw new Asn1Error(`length of ${n} octets at byte ${at}`);
    if (pos + n > limit) throw new Asn1Error(`truncated length at byte ${at}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++]!;
  }
  if (pos + length > limit) throw new Asn1Error(`element at byte ${at} claims ${length} bytes, only ${limit - pos} follow`);
  return new Element(tag, constructed, buf, offset, pos, pos + length, pos + length);
}

/** Reads a buffer that must hold exactly one element. */
export function readSingle(buf: Buffer): Tlv {
  const tlv = read(buf, 0, 0, 0, buf.length);
  if (tlv.end !== buf.length) throw new Asn1Error(`${buf.length - tlv.end} trailing bytes after the structure`);
  return tlv;
}

/** The elements inside a constructed value. */
export function children(tlv: Tlv): Tlv[] {
  if (!tlv.constructed) throw new Asn1Error(`tag 0x${tlv.tag.toString(16)} is not constructed`);
  if (tlv instanceof Element) return tlv.children();
  const content = tlv.content;
  const out: Tlv[] = [];
  for (let p = 0; p < content.length;) {
    const child = read(content, p, 1, 0, content.length);
    out.push(child);
    p = child.end;
  }
  return out;
}

/** Asserts a tag; `what` names the field for the error message. */
export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv) throw new Asn1Error(`${what} is missing`);
  if (tlv.tag !== tag) throw new Asn1Error(`${what}: expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`);
  return tlv;
}

export function decodeOid(content: Buffer): string {
  if (content.length === 0) throw new Asn1Error('empty OBJECT IDENTIFIER');
  // An indexed loop building the string: iterating the Buffer and joining an array cost several times more (issue #13).
  let text = '';
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i]!;
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      text = text === '' ? (value < 80 ? `${Math.floor(value / 40)}.${value % 40}` : `2.${value - 80}`) : `${text}.${value}`;
      value = 0;
    }
  }
  return text;
}

export function encodeOid(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  const out: number[] = [];
  const push = (n: number) => {
    const bytes = [n & 0x7f];
    for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) bytes.unshift((n & 0x7f) | 0x80);
    out.push(...bytes);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return Buffer.from(out);
}

/** An INTEGER's magnitude as upper-case hex without leading zero octets (how X.509 serials are compared). */
export function integerHex(content: Buffer): string {
  let i = 0;
  while (i < content.length - 1 && content[i] === 0) i++;
  return content.subarray(i).toString('hex').toUpperCase();
}

// ---- writing (DER) ----

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function encodeTlv(tag: number, ...contents: Buffer[]): Buffer {
  const content = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const der = {
  sequence: (...items: Buffer[]) => encodeTlv(TAG.SEQUENCE, ...items),
  /** SET OF: DER orders the encoded elements (X.690 §11.6). */
  setOf: (...items: Buffer[]) => encodeTlv(TAG.SET, ...[...items].sort(Buffer.compare)),
  oid: (oid: string) => encodeTlv(TAG.OID, encodeOid(oid)),
  null: () => Buffer.from([TAG.NULL, 0]),
  octetString: (bytes: Buffer) => encodeTlv(TAG.OCTET_STRING, bytes),
  /** INTEGER from its content octets (already two's complement) or a small non-negative number. */
  integer: (value: Buffer | number) => encodeTlv(TAG.INTEGER, typeof value === 'number' ? Buffer.from([value]) : value),
  /** UTCTime, YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1: years 1950–2049). */
  utcTime: (at: Date) => encodeTlv(TAG.UTC_TIME, Buffer.from(at.toISOString().replace(/^\d\d|[-:T]|\.\d+/g, ''))),
  /** `[n]` constructed, context-specific (EXPLICIT wrapping or IMPLICIT SET/SEQUENCE). */
  context: (n: number, ...items: Buffer[]) => encodeTlv(contextTag(n), ...items),
};

/** Decodes UTCTime / GeneralizedTime (Z form only, as DER requires). */
export function decodeTime(tlv: Tlv): Date | undefined {
  const text = tlv.content.toString('latin1');
  const m = tlv.tag === TAG.UTC_TIME ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text)
    : tlv.tag === TAG.GENERALIZED_TIME ? /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d+)?Z$/.exec(text) : null;
  if (!m) return undefined;
  let year = Number(m[1]);
  if (tlv.tag === TAG.UTC_TIME) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

export interface CertificateIdentity {
  /** DER of the issuer Name, compared byte for byte with a CMS IssuerAndSerialNumber. */
  issuer: Buffer;
  /** DER of the serialNumber INTEGER. */
  serial: Buffer;
  /** Serial as upper-case hex without leading zeros. */
  serialHex: string;
  /** subjectKeyIdentifier extension (lower-case hex), when present. */
  subjectKeyId: string | undefined;
}

const SUBJECT_KEY_IDENTIFIER = encodeOid('2.5.29.14');

/** The fields of an X.509 certificate that a CMS signer identifier can refer to (RFC 5652 §5.3). */
export function certificateIdentity(certDer: Buffer): CertificateIdentity {
  const tbs = children(expectTag(children(readSingle(certDer))[0], TAG.SEQUENCE, 'tbsCertificate'));
  let i = tbs[0]?.tag === contextTag(0) ? 1 : 0; // [0] EXPLICIT version
  const serial = expectTag(tbs[i++], TAG.INTEGER, 'serialNumber');
  i++; // signature algorithm
  const issuer = expectTag(tbs[i++], TAG.SEQUENCE, 'issuer');
  let subjectKeyId: string | undefined;
  const extensions = tbs.find((t) => t.tag === contextTag(3));
  if (extensions) {
    for (const ext of children(expectTag(children(extensions)[0], TAG.SEQUENCE, 'extensions'))) {
      const parts = children(ext);
      if (parts[0]?.tag === TAG.OID && parts[0].content.equals(SUBJECT_KEY_IDENTIFIER)) {
        const value = parts[parts.length - 1]!; // OCTET STRING wrapping the KeyIdentifier OCTET STRING
        subjectKeyId = readSingle(value.content).content.toString('hex');
      }
    }
  }
  return { issuer: issuer.raw, serial: serial.raw, serialHex: integerHex(serial.content), subjectKeyId };
}
