/**
 * Content negotiation of a response's content coding (RFC 9110 §12.5.3 Accept-Encoding). The hub keeps
 * BPQD payloads as the sender's gzip bytes (spec §3, §13.4); whether it may send them as they are depends
 * on whether the client accepts gzip.
 */

/** One `coding;q=weight` element of Accept-Encoding, lower-cased; weight 1 when none is given. */
interface Preference {
  coding: string;
  weight: number;
}

function preferences(header: string): Preference[] {
  return header.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const [coding = '', ...params] = part.split(';').map((p) => p.trim());
    const q = params.map((p) => /^q\s*=\s*([0-9.]+)$/i.exec(p)?.[1]).find((v) => v !== undefined);
    const weight = q === undefined ? 1 : Number(q);
    return { coding: coding.toLowerCase(), weight: Number.isFinite(weight) ? weight : 0 };
  });
}

/**
 * Whether a response may be sent gzip-coded. RFC 9110 §12.5.3: without Accept-Encoding "any content coding
 * is considered acceptable"; with it, gzip (or its alias x-gzip) must be listed with a non-zero weight, or
 * `*` must be, with gzip not excluded by `gzip;q=0`. `identity` alone, or an empty value, means plain bytes.
 */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return true;
  const listed = preferences(acceptEncoding);
  const gzip = listed.find((p) => p.coding === 'gzip' || p.coding === 'x-gzip');
  if (gzip) return gzip.weight > 0;
  const any = listed.find((p) => p.coding === '*');
  return any !== undefined && any.weight > 0;
}
