/**
 * Interoperability of x-signature with other CMS implementations: what OpenSSL (`openssl cms -sign`, when the
 * openssl CLI is installed) and node-forge's PKCS #7 signer produce is accepted by the hub, and what
 * idx-sim signs — participants' signatures and the hub's own — verifies with OpenSSL and node:crypto.
 */
import { verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { OID, parseSignedData, sha256 } from '../../src/security/cms.js';
import { certificateIdentity } from '../../src/security/der.js';
import { formatSignatureHeader, HubSigner } from '../../src/security/message-signature.js';
import { pkiDir, signerFor, useHarness } from '../helpers/harness.js';
import { devCa, forgeSignedData, hasOpenssl, opensslSignedData, opensslVerifies, participantIdentity } from '../helpers/signing.js';

const h = useHarness();

async function submitSignedWith(signedData: Buffer) {
  const json = Buffer.from(JSON.stringify(h().payload({ sender: 'MDPONE' })));
  return { json, res: await h().submit('MDPONE', gzipSync(json), { 'x-signature': formatSignatureHeader(signedData) }) };
}

/** Signs the message's JSON with `make` and submits it; the hub must accept it. */
async function expectAccepted(make: (json: Buffer) => Buffer) {
  const json = Buffer.from(JSON.stringify(h().payload({ sender: 'MDPONE' })));
  const res = await h().submit('MDPONE', gzipSync(json), { 'x-signature': formatSignatureHeader(make(json)) });
  expect(res.statusCode, res.body).toBe(200);
}

describe.runIf(hasOpenssl)('OpenSSL interop (openssl cms)', () => {
  it('openssl cms -sign -binary -outform DER -md sha256 (signed attributes, detached) is accepted', async () => {
    await expectAccepted((json) => opensslSignedData(json, participantIdentity('MDPONE')));
  });

  it('openssl cms -sign … -noattr (content signed directly) is accepted', async () => {
    await expectAccepted((json) => opensslSignedData(json, participantIdentity('MDPONE'), ['-noattr']));
  });

  it('openssl cms -sign … -keyid -nocerts (signer named by subject key identifier, no certificate carried) is accepted', async () => {
    await expectAccepted((json) => opensslSignedData(json, participantIdentity('MDPONE', 'secondary'), ['-keyid', '-nocerts']));
  });

  it('an OpenSSL signature over other bytes is refused as IDX_ERR_SIGNATURE_MISMATCH', async () => {
    const { res } = await submitSignedWith(opensslSignedData(Buffer.from('{"other": true}'), participantIdentity('MDPONE')));
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('IDX_ERR_SIGNATURE_MISMATCH');
  });

  it('idx-sim\'s signatures (with and without signed attributes) verify with openssl cms -verify', () => {
    const content = Buffer.from('{"data": "verified by OpenSSL"}');
    const ca = devCa().certPem;
    for (const signedAttributes of [true, false]) {
      expect(opensslVerifies(signerFor('MDPONE').signedData(content, { signedAttributes }), content, ca), `signedAttributes: ${signedAttributes}`).toBe(true);
    }
    expect(opensslVerifies(signerFor('MDPONE').signedData(content), Buffer.from('{"data": "something else"}'), ca)).toBe(false);
  });
});

describe('node-forge interop (PKCS #7 SignedData signer)', () => {
  it('node-forge PKCS#7 detached signature with authenticated attributes is accepted', async () => {
    await expectAccepted((json) => forgeSignedData(json, participantIdentity('MDPONE')));
  });

  it('node-forge PKCS#7 detached signature without attributes is accepted', async () => {
    await expectAccepted((json) => forgeSignedData(json, participantIdentity('MDPONE'), { attributes: false }));
  });
});

describe('hub signer (IDXHUB-NonProd, for the Outbound Archive API\'s re-signed copies)', () => {
  const paths = pkiPaths(pkiDir());

  it('ensureDevPki issued the hub certificate from the dev CA with CN IDXHUB-NonProd', () => {
    const hubCert = new X509Certificate(readFileSync(paths.hubCert));
    expect(hubCert.subject).toMatch(/CN=IDXHUB-NonProd/);
    expect(hubCert.checkIssued(new X509Certificate(devCa().certPem))).toBe(true);
    expect(hubCert.keyUsage ?? []).toEqual([]); // no extended key usage: it signs, it is not a TLS endpoint
  });

  it('HubSigner produces RSA-SHA256;<CMS SignedData> over the given bytes that verifies with node:crypto (and OpenSSL when installed)', () => {
    const bytes = gzipSync('{"archived": "copy"}');
    const signer = h().ctx.hubSigner;
    expect(signer).toBeInstanceOf(HubSigner);
    const header = signer.sign(bytes);
    expect(header).toMatch(/^RSA-SHA256;MII[A-Za-z0-9+/]+=*$/);
    const signedData = Buffer.from(header.split(';')[1]!, 'base64');
    const parsed = parseSignedData(signedData);
    expect(parsed.hasEncapsulatedContent).toBe(false);
    const [signerInfo] = parsed.signers;
    const hubCert = new X509Certificate(signer.certificatePem);
    expect(signerInfo!.sid).toMatchObject({ kind: 'issuerAndSerialNumber', serialHex: certificateIdentity(hubCert.raw).serialHex });
    expect(signerInfo!.signedAttributes).toMatchObject({ contentType: OID.data, messageDigest: sha256(bytes), signingTime: new Date(h().clock.now()) });
    expect(verify('sha256', signerInfo!.signedAttributes!.signedBytes, hubCert.publicKey, signerInfo!.signature)).toBe(true);
    expect(parsed.certificates).toEqual([hubCert.raw]);
    if (hasOpenssl) {
      expect(opensslVerifies(signedData, bytes, devCa().certPem)).toBe(true);
      expect(opensslVerifies(signedData, gzipSync('{"archived": "tampered"}'), devCa().certPem)).toBe(false);
    }
  });
});
