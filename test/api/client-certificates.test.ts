/**
 * Client certificates (spec §6): only registered certificates of the dev CA, with a CN that follows the
 * rules, valid on the simulated clock, not revoked or replaced. The TLS handshake itself is exercised in
 * test/e2e/tls.test.ts; here the certificate arrives out of band, so each request stands for a new one.
 */
import { describe, expect, it } from 'vitest';
import { issueClientCertificate, type KeyAndCert } from '../../src/pki/dev-ca.js';
import { certHeader, certificatePem, T0, useHarness } from '../helpers/harness.js';
import { expectRefusal } from '../helpers/problems.js';
import { devCa } from '../helpers/signing.js';

const DAY = 86_400_000;
const h = useHarness();

/** GET /pqd/v1/bpqd as LNSPNORTH (valid token) presenting `pem` as the client certificate. */
async function listWith(pem: string) {
  return h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: { ...(await h().as('LNSPNORTH')), ...certHeader(pem) } });
}

const tlsProblem = (body: { errors: unknown[] }, message: string) =>
  expect(body.errors).toEqual([{ in: 'tls', name: 'client-certificate', code: 'CERTIFICATE', message }]);

let ca: KeyAndCert | undefined;
const issue = (commonName: string, options: Parameters<typeof issueClientCertificate>[2] = {}) => issueClientCertificate(ca ??= devCa(), commonName, options);

describe('client certificate registry (spec §6)', () => {
  it('the registered primary and secondary are accepted', async () => {
    expect((await listWith(certificatePem('LNSPNORTH', 'primary'))).statusCode).toBe(200);
    expect((await listWith(certificatePem('LNSPNORTH', 'secondary'))).statusCode).toBe(200);
  });

  it('an unparseable client certificate → 401 IDX_ERR_CLIENT_CERT_UNTRUSTED', async () => {
    const body = expectRefusal(h(), await listWith('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n'), 401, 'IDX_ERR_CLIENT_CERT_UNTRUSTED');
    expect(body.detail).toBe('the client certificate could not be parsed');
  });

  it('an unregistered certificate from the dev CA → 401 IDX_ERR_CLIENT_CERT_UNKNOWN naming the registered ones', async () => {
    const body = expectRefusal(h(), await listWith(issue('LNSPNORTH-NonProd').certPem), 401, 'IDX_ERR_CLIENT_CERT_UNKNOWN');
    expect(body.detail).toMatch(/is issued by the IDX CA but is not registered for LNSPNORTH \(registered: primary serial \w+, secondary serial \w+\); only registered certificates are accepted/);
    tlsProblem(body, 'not registered');
  });

  it('a revoked certificate → 401 IDX_ERR_CLIENT_CERT_REVOKED from its next request on, at the token endpoint too', async () => {
    const pem = certificatePem('LNSPNORTH', 'secondary');
    expect((await listWith(pem)).statusCode).toBe(200);
    h().ctx.certificates.revoke('LNSPNORTH', 'secondary', h().clock.now());
    const body = expectRefusal(h(), await listWith(pem), 401, 'IDX_ERR_CLIENT_CERT_REVOKED');
    expect(body.detail).toMatch(/LNSPNORTH's secondary certificate LNSPNORTH-NonProd \(serial \w+\) was revoked at 2026-07-02T09:00:00\.000\+10:00; use the primary certificate/);
    tlsProblem(body, 'revoked');
    const token = await h().app.inject({
      method: 'POST', url: '/oauth/v1/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...certHeader(pem) },
      payload: 'grant_type=client_credentials&client_id=lnspnorth-api&client_secret=lnspnorth-secret',
    });
    expectRefusal(h(), token, 401, 'IDX_ERR_CLIENT_CERT_REVOKED', '/oauth/v1/token');
  });

  it('a replaced certificate (a new one issued into its slot) → 401 IDX_ERR_CLIENT_CERT_UNKNOWN', async () => {
    const old = certificatePem('LNSPNORTH', 'secondary');
    const renewed = issue('LNSPNORTH-NonProd');
    h().ctx.certificates.register('LNSPNORTH', 'secondary', renewed.certPem, h().clock.now());
    expect((await listWith(renewed.certPem)).statusCode).toBe(200);
    const body = expectRefusal(h(), await listWith(old), 401, 'IDX_ERR_CLIENT_CERT_UNKNOWN');
    expect(body.detail).toMatch(/was replaced at 2026-07-02T09:00:00\.000\+10:00 by a newer secondary certificate; use the current one/);
  });

  it('an expired certificate (simulated clock moved past notAfter) → 401 IDX_ERR_CLIENT_CERT_EXPIRED', async () => {
    const shortLived = issue('LNSPNORTH-NonProd', { notBefore: T0 - DAY, notAfter: T0 + DAY });
    h().ctx.certificates.register('LNSPNORTH', 'secondary', shortLived.certPem, h().clock.now());
    expect((await listWith(shortLived.certPem)).statusCode).toBe(200);
    h().clock.advance(DAY + 1000);
    const body = expectRefusal(h(), await listWith(shortLived.certPem), 401, 'IDX_ERR_CLIENT_CERT_EXPIRED');
    expect(body.detail).toMatch(/expired at 2026-07-03T09:00:00\.000\+10:00; the simulated clock says 2026-07-03T09:00:01\.000\+10:00/);
    tlsProblem(body, 'expired');
  });

  it('a not-yet-valid certificate → 401 IDX_ERR_CLIENT_CERT_NOT_YET_VALID until the simulated clock reaches notBefore', async () => {
    const future = issue('LNSPNORTH-NonProd', { notBefore: T0 + DAY, notAfter: T0 + 30 * DAY });
    h().ctx.certificates.register('LNSPNORTH', 'secondary', future.certPem, h().clock.now());
    const body = expectRefusal(h(), await listWith(future.certPem), 401, 'IDX_ERR_CLIENT_CERT_NOT_YET_VALID');
    expect(body.detail).toMatch(/is valid from 2026-07-03T09:00:00\.000\+10:00; the simulated clock says 2026-07-02T09:00:00\.000\+10:00/);
    h().clock.advance(DAY);
    expect((await listWith(future.certPem)).statusCode).toBe(200);
  });
});

describe('client certificate CN rules (spec §6: ≤ 64 characters, [A-Za-z0-9.-], <ParticipantID>-NonProd)', () => {
  it('a certificate without a CN → 401 IDX_ERR_CLIENT_CERT_CN_INVALID', async () => {
    const body = expectRefusal(h(), await listWith(issue('').certPem), 401, 'IDX_ERR_CLIENT_CERT_CN_INVALID');
    expect(body.detail).toMatch(/the certificate has no CN; AEMO expects <ParticipantID>-NonProd/);
  });

  it('CN longer than 64 characters → 401 IDX_ERR_CLIENT_CERT_CN_INVALID', async () => {
    const body = expectRefusal(h(), await listWith(issue(`LNSPNORTH-NonProd.${'x'.repeat(60)}`).certPem), 401, 'IDX_ERR_CLIENT_CERT_CN_INVALID');
    expect(body.detail).toMatch(/is 78 characters long; AEMO allows at most 64 \(spec §6\)/);
    tlsProblem(body, 'CN length');
  });

  it('CN with characters outside [A-Za-z0-9.-] → 401 IDX_ERR_CLIENT_CERT_CN_INVALID naming them', async () => {
    const body = expectRefusal(h(), await listWith(issue('LNSP_NORTH NonProd').certPem), 401, 'IDX_ERR_CLIENT_CERT_CN_INVALID');
    expect(body.detail).toMatch(/CN "LNSP_NORTH NonProd" contains "_", " "; only letters, digits, "\." and "-" are allowed/);
  });

  it('CN not of the form <ParticipantID>-NonProd → 401 IDX_ERR_CLIENT_CERT_CN_INVALID with the expected spelling', async () => {
    const body = expectRefusal(h(), await listWith(issue('lnspnorth-nonprod').certPem), 401, 'IDX_ERR_CLIENT_CERT_CN_INVALID');
    expect(body.detail).toMatch(/CN "lnspnorth-nonprod" is not of the form <ParticipantID>-NonProd.*upper-case.*LNSPNORTH-NonProd/);
    tlsProblem(body, 'CN form');
  });

  it('a -Prod certificate presented to the NonProd hub → 401 IDX_ERR_CLIENT_CERT_CN_INVALID', async () => {
    const body = expectRefusal(h(), await listWith(issue('LNSPNORTH-Prod').certPem), 401, 'IDX_ERR_CLIENT_CERT_CN_INVALID');
    expect(body.detail).toMatch(/is a Prod certificate; this environment accepts <ParticipantID>-NonProd/);
  });

  it('CN naming a participant that is not registered → 401 IDX_ERR_CLIENT_CERT_UNKNOWN', async () => {
    const body = expectRefusal(h(), await listWith(issue('NOBODY-NonProd').certPem), 401, 'IDX_ERR_CLIENT_CERT_UNKNOWN');
    expect(body.detail).toMatch(/names participant NOBODY, which is not registered/);
  });
});
