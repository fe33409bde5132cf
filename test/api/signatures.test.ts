/**
 * x-signature on POST /pqd/v1/bpqd (spec §3, §6, §13.3): what is accepted, and each way a signature is
 * refused, with its status, code and a detail that says what to change.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { OID, sha256 } from '../../src/security/cms.js';
import { der, encodeOid } from '../../src/security/der.js';
import { createCa, issueClientCertificate } from '../../src/pki/dev-ca.js';
import { formatSignatureHeader } from '../../src/security/message-signature.js';
import { certHeader, certificatePem, signerFor, T0, useHarness, type Harness } from '../helpers/harness.js';
import { expectRefusal } from '../helpers/problems.js';
import { attribute, cmsHeader, devCa, forgeSignedData, handBuiltSignedData, participantIdentity, replaceLast } from '../helpers/signing.js';

const DAY = 86_400_000;

/** A valid MDPONE payload: its JSON bytes and the gzip body that is sent. */
function message(h: Harness) {
  const json = Buffer.from(JSON.stringify(h.payload({ sender: 'MDPONE' })));
  return { json, gz: gzipSync(json) };
}

const signatureProblem = (body: { errors: unknown[] }) => expect(body.errors).toEqual([expect.objectContaining({ in: 'header', name: 'x-signature' })]);

describe('x-signature — accepted (spec §3, §13.3)', () => {
  const h = useHarness();

  it('a signature by the sender\'s primary certificate with signed attributes is accepted, stored, and returned unchanged on GET', async () => {
    const { json, gz } = message(h());
    const signature = signerFor('MDPONE').sign(json);
    const res = await h().submit('MDPONE', gz, { 'x-signature': signature });
    expect(res.statusCode, res.body).toBe(200);
    const got = await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${res.json().data.messageContextId}`, headers: await h().as('LNSPNORTH') });
    expect(got.headers['x-signature']).toBe(signature);
  });

  it('a signature without signed attributes (the content signed directly) is accepted', async () => {
    const { json, gz } = message(h());
    const res = await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(json, { signedAttributes: false }) });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('a signature that names its signer by subject key identifier is accepted', async () => {
    const { json, gz } = message(h());
    const res = await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(json, { signerIdentifier: 'subjectKeyIdentifier', includeCertificate: false }) });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('a signature by the sender\'s secondary certificate is accepted while the primary is active (rule both)', async () => {
    const { json, gz } = message(h());
    const res = await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE', 'secondary').sign(json) });
    expect(res.statusCode, res.body).toBe(200);
  });
  it('"RSA-256" (AEMO\'s wording: "RSA-256 should be used") names the same algorithm as RSA-SHA256 and is accepted by default; the header is kept as sent', async () => {
    const { json, gz } = message(h());
    const header = signerFor('MDPONE').sign(json).replace(/^RSA-SHA256;/, 'RSA-256;');
    const res = await h().submit('MDPONE', gz, { 'x-signature': header });
    expect(res.statusCode, res.body).toBe(200);
    const got = await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${res.json().data.messageContextId}`, headers: await h().as('LNSPNORTH') });
    expect(got.headers['x-signature']).toBe(header);
  });

  it('"RSA-256" over the wrong bytes is still verified and refused → 400 IDX_ERR_SIGNATURE_MISMATCH', async () => {
    const { gz } = message(h());
    const header = signerFor('MDPONE').sign(Buffer.from('{"other":"bytes"}')).replace(/^RSA-SHA256;/, 'RSA-256;');
    expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': header }), 400, 'IDX_ERR_SIGNATURE_MISMATCH');
  });
});

describe('x-signature algorithm names (IDX_SIM_SIGNATURE_ALGORITHM_NAMES=RSA-SHA256)', () => {
  const h = useHarness({ signatureAlgorithmNames: 'RSA-SHA256' });

  it('"RSA-256" (AEMO\'s wording) in the header → 400 IDX_ERR_SIGNATURE_ALGORITHM with a note on the spelling', async () => {
    const { json, gz } = message(h());
    const header = signerFor('MDPONE').sign(json).replace(/^RSA-SHA256;/, 'RSA-256;');
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': header }), 400, 'IDX_ERR_SIGNATURE_ALGORITHM');
    expect(body.detail).toMatch(/AEMO's text says "RSA-256"; the header value in its example is RSA-SHA256.*IDX_SIM_SIGNATURE_ALGORITHM_NAMES/);
  });

  it('RSA-SHA256 is still accepted', async () => {
    const { json, gz } = message(h());
    const res = await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(json) });
    expect(res.statusCode, res.body).toBe(200);
  });
});

describe('x-signature — refused (each with its own code)', () => {
  const h = useHarness();

  it('missing x-signature → 400 IDX_ERR_SIGNATURE_MISSING, saying what to send and how to make it', async () => {
    const body = expectRefusal(h(), await h().submit('MDPONE', message(h()).gz, { 'x-signature': undefined }), 400, 'IDX_ERR_SIGNATURE_MISSING');
    expect(body.detail).toMatch(/RSA-SHA256;<base64 CMS SignedData>.*uncompressed JSON bytes.*idx-sim sign --participant MDPONE/);
    signatureProblem(body);
  });

  it('x-signature without "<algorithm>;" → 400 IDX_ERR_SIGNATURE_MALFORMED', async () => {
    const { json, gz } = message(h());
    const base64Only = signerFor('MDPONE').sign(json).split(';')[1]!;
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': base64Only }), 400, 'IDX_ERR_SIGNATURE_MALFORMED');
    expect(body.detail).toMatch(/must be "<algorithm>;<base64 CMS SignedData>".*no ";"/);
    signatureProblem(body);
  });

  it('x-signature whose value is not base64 → 400 IDX_ERR_SIGNATURE_MALFORMED', async () => {
    const body = expectRefusal(h(), await h().submit('MDPONE', message(h()).gz, { 'x-signature': 'RSA-SHA256;not base64!' }), 400, 'IDX_ERR_SIGNATURE_MALFORMED');
    expect(body.detail).toMatch(/is not base64/);
  });

  it('x-signature holding a certificate instead of a CMS SignedData → 400 IDX_ERR_SIGNATURE_MALFORMED', async () => {
    const certificateBase64 = certificatePem('MDPONE').replace(/-----[A-Z ]+-----|\s/g, '');
    const body = expectRefusal(h(), await h().submit('MDPONE', message(h()).gz, { 'x-signature': `RSA-SHA256;${certificateBase64}` }), 400, 'IDX_ERR_SIGNATURE_MALFORMED');
    expect(body.detail).toMatch(/does not hold a CMS SignedData \(RFC 5652\): ContentInfo contentType/);
  });

  it('x-signature holding truncated DER → 400 IDX_ERR_SIGNATURE_MALFORMED', async () => {
    const { json, gz } = message(h());
    const truncated = signerFor('MDPONE').signedData(json).subarray(0, 300);
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': formatSignatureHeader(truncated) }), 400, 'IDX_ERR_SIGNATURE_MALFORMED');
    expect(body.detail).toMatch(/element at byte 0 claims \d+ bytes, only 296 follow/);
  });

  it('a CMS SignedData with no signer → 400 IDX_ERR_SIGNATURE_MALFORMED', async () => {
    const sha256Algorithm = der.sequence(der.oid(OID.sha256));
    const unsigned = der.sequence(der.oid(OID.signedData), der.context(0, der.sequence(der.integer(1), der.setOf(sha256Algorithm), der.sequence(der.oid(OID.data)), der.setOf())));
    const body = expectRefusal(h(), await h().submit('MDPONE', message(h()).gz, { 'x-signature': formatSignatureHeader(unsigned) }), 400, 'IDX_ERR_SIGNATURE_MALFORMED');
    expect(body.detail).toMatch(/no SignerInfo: nobody signed it/);
  });

  it('an attached CMS SignedData (content inside, not detached) → 400 IDX_ERR_SIGNATURE_MALFORMED', async () => {
    const { json, gz } = message(h());
    const attached = forgeSignedData(json.subarray(0, 200), participantIdentity('MDPONE'), { detached: false });
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': formatSignatureHeader(attached) }), 400, 'IDX_ERR_SIGNATURE_MALFORMED');
    expect(body.detail).toMatch(/carries the content \(an attached signature\); IDX signatures are detached/);
  });

  it('a CMS SignedData with two signers → 400 IDX_ERR_SIGNATURE_MALFORMED', async () => {
    const { json, gz } = message(h());
    const twice = handBuiltSignedData(json, participantIdentity('MDPONE'), { signerCount: 2 });
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': formatSignatureHeader(twice) }), 400, 'IDX_ERR_SIGNATURE_MALFORMED');
    expect(body.detail).toMatch(/has 2 SignerInfos; IDX expects exactly one, the sender's/);
  });

  it('a CMS SignedData over content that is not of type data → 400 IDX_ERR_SIGNATURE_MALFORMED', async () => {
    const { json, gz } = message(h());
    const enveloped = handBuiltSignedData(json, participantIdentity('MDPONE'), { eContentType: '1.2.840.113549.1.7.3' });
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': formatSignatureHeader(enveloped) }), 400, 'IDX_ERR_SIGNATURE_MALFORMED');
    expect(body.detail).toMatch(/signs content of type envelopedData \(1\.2\.840\.113549\.1\.7\.3\); IDX signs data/);
  });

  it('signed attributes without messageDigest, or with a contentType other than the content\'s → 400 IDX_ERR_SIGNATURE_MALFORMED', async () => {
    const { json, gz } = message(h());
    const contentType = attribute(OID.contentType, der.oid(OID.data));
    const noDigest = handBuiltSignedData(json, participantIdentity('MDPONE'), { attributes: [contentType] });
    const first = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': formatSignatureHeader(noDigest) }), 400, 'IDX_ERR_SIGNATURE_MALFORMED');
    expect(first.detail).toMatch(/the signed attributes lack messageDigest; RFC 5652 §5\.3 requires contentType and messageDigest/);
    const otherType = handBuiltSignedData(json, participantIdentity('MDPONE'), {
      attributes: [attribute(OID.contentType, der.oid('1.2.840.113549.1.7.3')), attribute(OID.messageDigest, der.octetString(sha256(json)))],
    });
    const second = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': formatSignatureHeader(otherType) }), 400, 'IDX_ERR_SIGNATURE_MALFORMED');
    expect(second.detail).toMatch(/the contentType attribute \(envelopedData .*\) differs from the eContentType \(data/);
  });

  it('hand-built signed attributes with contentType and messageDigest only are accepted', async () => {
    const { json, gz } = message(h());
    const minimal = handBuiltSignedData(json, participantIdentity('MDPONE'), {
      attributes: [attribute(OID.contentType, der.oid(OID.data)), attribute(OID.messageDigest, der.octetString(sha256(json)))],
    });
    const res = await h().submit('MDPONE', gz, { 'x-signature': formatSignatureHeader(minimal) });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('RSA-SHA1 in the header → 400 IDX_ERR_SIGNATURE_ALGORITHM', async () => {
    const { json, gz } = message(h());
    const header = signerFor('MDPONE').sign(json).replace(/^RSA-SHA256;/, 'RSA-SHA1;');
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': header }), 400, 'IDX_ERR_SIGNATURE_ALGORITHM');
    expect(body.detail).toMatch(/algorithm "RSA-SHA1" is not accepted: IDX signatures are RSA-SHA256/);
    signatureProblem(body);
  });

  it('a CMS signer with digest algorithm sha1 → 400 IDX_ERR_SIGNATURE_ALGORITHM', async () => {
    const { json, gz } = message(h());
    const sha1 = forgeSignedData(json, participantIdentity('MDPONE'), { digest: 'sha1' });
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': formatSignatureHeader(sha1) }), 400, 'IDX_ERR_SIGNATURE_ALGORITHM');
    expect(body.detail).toMatch(/digest algorithm sha1 \(1\.3\.14\.3\.2\.26\); IDX requires sha256/);
  });

  it('a CMS signature algorithm other than RSA PKCS #1 v1.5 (RSASSA-PSS) → 400 IDX_ERR_SIGNATURE_ALGORITHM', async () => {
    const { json, gz } = message(h());
    const pss = replaceLast(signerFor('MDPONE').signedData(json), encodeOid(OID.rsaEncryption), encodeOid('1.2.840.113549.1.1.10'));
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': formatSignatureHeader(pss) }), 400, 'IDX_ERR_SIGNATURE_ALGORITHM');
    expect(body.detail).toMatch(/signature algorithm is RSASSA-PSS .*IDX requires RSA PKCS #1 v1\.5/);
  });

  it('signed with another participant\'s certificate → 403 IDX_ERR_SIGNATURE_WRONG_KEY naming whose it is', async () => {
    const { json, gz } = message(h());
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': signerFor('LNSPNORTH').sign(json) }), 403, 'IDX_ERR_SIGNATURE_WRONG_KEY');
    expect(body.detail).toMatch(/made with LNSPNORTH's primary certificate LNSPNORTH-NonProd .*not with one of MDPONE's certificates/);
    signatureProblem(body);
  });

  it('signed with a rogue CA\'s certificate carrying the sender\'s CN → 403 IDX_ERR_SIGNATURE_WRONG_KEY', async () => {
    const { json, gz } = message(h());
    const rogue = issueClientCertificate(createCa({ commonName: 'Rogue CA' }), 'MDPONE-NonProd');
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': cmsHeader(json, rogue.certPem, rogue.keyPem) }), 403, 'IDX_ERR_SIGNATURE_WRONG_KEY');
    expect(body.detail).toMatch(/subject CN=MDPONE-NonProd.*issuer CN=Rogue CA.*not a registered certificate of MDPONE \(registered: primary serial \w+, secondary serial \w+\)/);
  });

  it('signed with a dev-CA certificate of the sender that is not registered → 403 IDX_ERR_SIGNATURE_WRONG_KEY', async () => {
    const { json, gz } = message(h());
    const unregistered = issueClientCertificate(devCa(), 'MDPONE-NonProd');
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': cmsHeader(json, unregistered.certPem, unregistered.keyPem) }), 403, 'IDX_ERR_SIGNATURE_WRONG_KEY');
    expect(body.detail).toMatch(/not a registered certificate of MDPONE/);
  });

  it('signed with another key under the name of the sender\'s registered certificate → 403 IDX_ERR_SIGNATURE_WRONG_KEY', async () => {
    const { json, gz } = message(h());
    const otherKey = participantIdentity('LNSPNORTH').keyPem;
    for (const signedAttributes of [true, false]) {
      const forged = cmsHeader(json, certificatePem('MDPONE'), otherKey, { signedAttributes, includeCertificate: false });
      const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': forged }), 403, 'IDX_ERR_SIGNATURE_WRONG_KEY');
      expect(body.detail).toMatch(/names MDPONE's primary certificate .* but does not verify with its public key: it was made with a different private key/);
    }
  });

  it('a carried certificate impersonating the sender\'s registered one (same issuer and serial, other key) → 403 IDX_ERR_SIGNATURE_WRONG_KEY', async () => {
    const { json, gz } = message(h());
    const registered = h().ctx.certificates.view().current('MDPONE', 'primary')!;
    const lookalikeCa = createCa(); // same issuer name as the dev CA, different key
    const impostor = issueClientCertificate(lookalikeCa, 'MDPONE-NonProd', { serialNumber: registered.serialNumber.toLowerCase() });
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': cmsHeader(json, impostor.certPem, impostor.keyPem) }), 403, 'IDX_ERR_SIGNATURE_WRONG_KEY');
    expect(body.detail).toMatch(/certificate carried in the signature .* claims to be MDPONE's primary certificate .* but is a different certificate/);
  });

  it('signed with the sender\'s replaced certificate (a new one was issued into its slot) → 403 IDX_ERR_SIGNATURE_WRONG_KEY', async () => {
    const { json, gz } = message(h());
    h().ctx.certificates.register('MDPONE', 'secondary', issueClientCertificate(devCa(), 'MDPONE-NonProd').certPem, h().clock.now());
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE', 'secondary').sign(json) }), 403, 'IDX_ERR_SIGNATURE_WRONG_KEY');
    expect(body.detail).toMatch(/MDPONE's secondary certificate .* was replaced at 2026-07-02T09:00:00\.000\+10:00 by a newer secondary certificate/);
  });

  it('a signature (with signed attributes) over other bytes → 400 IDX_ERR_SIGNATURE_MISMATCH showing both hashes', async () => {
    const { gz } = message(h());
    const other = Buffer.from(JSON.stringify(h().payload({ sender: 'MDPONE' })));
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(other) }), 400, 'IDX_ERR_SIGNATURE_MISMATCH');
    expect(body.detail).toMatch(/messageDigest attribute is SHA-256 [0-9a-f]{16}…, the uncompressed JSON bytes hash to [0-9a-f]{16}…\. Was the payload changed after signing/);
    signatureProblem(body);
  });

  it('a signature without signed attributes over other bytes → 400 IDX_ERR_SIGNATURE_MISMATCH', async () => {
    const { json } = message(h());
    const tampered = Buffer.from(json.toString().replace('"Low"', '"High"'));
    const body = expectRefusal(h(), await h().submit('MDPONE', gzipSync(tampered), { 'x-signature': signerFor('MDPONE').sign(json, { signedAttributes: false }) }),
      400, 'IDX_ERR_SIGNATURE_MISMATCH');
    expect(body.detail).toMatch(/the digest it signs is SHA-256 [0-9a-f]{16}…/);
  });

  it('a signature over the gzip bytes while the hub verifies the JSON → 400 IDX_ERR_SIGNATURE_MISMATCH that says so', async () => {
    const { gz } = message(h());
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(gz) }), 400, 'IDX_ERR_SIGNATURE_MISMATCH');
    expect(body.detail).toMatch(/It matches the gzip bytes exactly as sent: this hub verifies signatures over the uncompressed JSON bytes \(IDX_SIM_SIGNATURE_OVER=json\)/);
  });

  it('signed attributes altered after signing (messageDigest swapped for the tampered payload\'s) → 400 IDX_ERR_SIGNATURE_MISMATCH', async () => {
    const { json } = message(h());
    const tampered = Buffer.from(json.toString().replace('"Low"', '"High"'));
    const altered = replaceLast(signerFor('MDPONE').signedData(json), sha256(json), sha256(tampered));
    const body = expectRefusal(h(), await h().submit('MDPONE', gzipSync(tampered), { 'x-signature': formatSignatureHeader(altered) }), 400, 'IDX_ERR_SIGNATURE_MISMATCH');
    expect(body.detail).toMatch(/signed attributes were altered after signing/);
  });

  it('signed with the sender\'s revoked certificate → 403 IDX_ERR_SIGNATURE_CERT_REVOKED', async () => {
    const { json, gz } = message(h());
    h().ctx.certificates.revoke('MDPONE', 'secondary', h().clock.now());
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE', 'secondary').sign(json) }), 403, 'IDX_ERR_SIGNATURE_CERT_REVOKED');
    expect(body.detail).toMatch(/MDPONE's secondary certificate MDPONE-NonProd \(serial \w+\) was revoked at 2026-07-02T09:00:00\.000\+10:00; use the primary certificate/);
  });

  it('signed with the sender\'s expired certificate (simulated clock) → 403 IDX_ERR_SIGNATURE_CERT_NOT_ACCEPTED', async () => {
    const shortLived = issueClientCertificate(devCa(), 'MDPONE-NonProd', { notBefore: T0 - DAY, notAfter: T0 + DAY });
    h().ctx.certificates.register('MDPONE', 'secondary', shortLived.certPem, h().clock.now());
    h().clock.advance(2 * DAY);
    const { json, gz } = message(h());
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': cmsHeader(json, shortLived.certPem, shortLived.keyPem) }), 403, 'IDX_ERR_SIGNATURE_CERT_NOT_ACCEPTED');
    expect(body.detail).toMatch(/expired at 2026-07-03T09:00:00\.000\+10:00; the simulated clock says 2026-07-04T09:00:00\.000\+10:00/);
  });

  it('signed with the sender\'s not-yet-valid certificate → 403 IDX_ERR_SIGNATURE_CERT_NOT_ACCEPTED', async () => {
    const future = issueClientCertificate(devCa(), 'MDPONE-NonProd', { notBefore: T0 + DAY, notAfter: T0 + 30 * DAY });
    h().ctx.certificates.register('MDPONE', 'secondary', future.certPem, h().clock.now());
    const { json, gz } = message(h());
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': cmsHeader(json, future.certPem, future.keyPem) }), 403, 'IDX_ERR_SIGNATURE_CERT_NOT_ACCEPTED');
    expect(body.detail).toMatch(/is valid from 2026-07-03T09:00:00\.000\+10:00/);
  });

  it('a signature is checked before the payload: a bad signature on an invalid payload is reported as the signature problem', async () => {
    const p = h().payload({ sender: 'MDPONE' });
    p.data.transactions[0]!.nmiDetails[0]!.nmiChecksum = '7';
    const res = await h().submit('MDPONE', p, { 'x-signature': signerFor('LNSPNORTH').sign(Buffer.from(JSON.stringify(p))) });
    expectRefusal(h(), res, 403, 'IDX_ERR_SIGNATURE_WRONG_KEY');
  });

  it('a signature by the registered certificate that fails its RSA or digest check is reported before an invalid payload', async () => {
    // The signer is found and accepted, so only the check of the bytes can refuse it; the payload is never
    // looked at (spec §13.3: the signature before the content).
    const p = h().payload({ sender: 'MDPONE' });
    p.data.transactions[0]!.nmiDetails[0]!.nmiChecksum = '7';
    const json = Buffer.from(JSON.stringify(p));
    const gz = gzipSync(json);
    const valid = Buffer.from(JSON.stringify(h().payload({ sender: 'MDPONE' })));
    expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(valid) }), 400, 'IDX_ERR_SIGNATURE_MISMATCH');
    expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(valid, { signedAttributes: false }) }), 400, 'IDX_ERR_SIGNATURE_MISMATCH');
    const forged = cmsHeader(json, certificatePem('MDPONE'), participantIdentity('LNSPNORTH').keyPem, { includeCertificate: false });
    expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': forged }), 403, 'IDX_ERR_SIGNATURE_WRONG_KEY');
    // And signed as sent, the same payload is refused for itself.
    expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(json) }), 400, 'IDX_ERR_NMI_CHECKSUM');
  });
});

describe('x-signature over the gzip bytes (IDX_SIM_SIGNATURE_OVER=gzip)', () => {
  const h = useHarness({ signatureOver: 'gzip' });

  it('accepts a signature over the gzip bytes as sent', async () => {
    const { gz } = message(h());
    const res = await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(gz) });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('refuses a signature over the JSON with 400 IDX_ERR_SIGNATURE_MISMATCH that says the hub verifies the gzip bytes', async () => {
    const { json, gz } = message(h());
    const body = expectRefusal(h(), await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(json) }), 400, 'IDX_ERR_SIGNATURE_MISMATCH');
    expect(body.detail).toMatch(/It matches the uncompressed JSON bytes: this hub verifies signatures over the gzip bytes exactly as sent \(IDX_SIM_SIGNATURE_OVER=gzip\)/);
  });
});

describe('optional signatures (IDX_SIM_SIGNATURE_REQUIRED=false)', () => {
  const h = useHarness({ signatureRequired: false });

  it('accepts an unsigned message, and still refuses a signature that is sent and wrong', async () => {
    const { json, gz } = message(h());
    expect((await h().submit('MDPONE', gz, { 'x-signature': undefined })).statusCode).toBe(200);
    const res = await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(Buffer.concat([json, Buffer.from(' ')])) });
    expectRefusal(h(), res, 400, 'IDX_ERR_SIGNATURE_MISMATCH');
  });
});

describe('rotation rehearsal (spec §6: primary active, secondary contingency)', () => {
  describe('rule both (default): either certificate is accepted before and after the rotation', () => {
    const h = useHarness();

    it('rotation rehearsal, rule both: signed with the primary, rotated to the secondary, submissions signed and connected with either are accepted', async () => {
      const send = async (signWith: 'primary' | 'secondary', connectWith: 'primary' | 'secondary') => {
        const { json, gz } = message(h());
        return h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE', signWith).sign(json), ...certHeader(certificatePem('MDPONE', connectWith)) });
      };
      expect((await send('primary', 'primary')).statusCode).toBe(200);
      h().ctx.certificates.rotate('MDPONE', 'secondary', h().clock.now());
      for (const [sign, connect] of [['primary', 'primary'], ['secondary', 'secondary'], ['primary', 'secondary'], ['secondary', 'primary']] as const) {
        const res = await send(sign, connect);
        expect(res.statusCode, `${sign}-signed over a ${connect} connection: ${res.body}`).toBe(200);
      }
    });
  });

  describe('rule active: only the slot the participant rotated to', () => {
    const h = useHarness({ signatureCertificateSlots: 'active', tlsCertificateSlots: 'active' });

    it('rotation rehearsal, rule active: after rotating to the secondary, the primary is refused for signatures (403) and for mTLS (401), the secondary accepted', async () => {
      const { json, gz } = message(h());
      expect((await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(json) })).statusCode).toBe(200);
      const secondarySignedBeforeRotation = await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE', 'secondary').sign(json) });
      expectRefusal(h(), secondarySignedBeforeRotation, 403, 'IDX_ERR_SIGNATURE_CERT_NOT_ACCEPTED');

      h().ctx.certificates.rotate('MDPONE', 'secondary', h().clock.now());
      const overSecondary = certHeader(certificatePem('MDPONE', 'secondary'));
      const primarySigned = await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE').sign(json), ...overSecondary });
      const body = expectRefusal(h(), primarySigned, 403, 'IDX_ERR_SIGNATURE_CERT_NOT_ACCEPTED');
      expect(body.detail).toMatch(/MDPONE's active certificate is its secondary, and IDX_SIM_SIGNATURE_CERT_SLOTS=active accepts only the active slot/);

      const overPrimary = await h().submit('MDPONE', gz, { 'x-signature': signerFor('MDPONE', 'secondary').sign(json), ...certHeader(certificatePem('MDPONE', 'primary')) });
      const tls = expectRefusal(h(), overPrimary, 401, 'IDX_ERR_CLIENT_CERT_INACTIVE');
      expect(tls.detail).toMatch(/IDX_SIM_TLS_CERT_SLOTS=active/);

      // The harness connects with the active certificate and signs with the active key by default.
      const accepted = await h().submit('MDPONE', gz);
      expect(accepted.statusCode, accepted.body).toBe(200);
    });
  });
});
