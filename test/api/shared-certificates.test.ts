/**
 * One certificate serving several participant ids (spec §6: "one cert may serve several Participant IDs",
 * CN "optional FQDN via request"): the fixture organisation GridCo holds GRIDCOMC (MC) and GRIDCOMDP (MDP)
 * and one primary and one secondary certificate, CN idx.gridco.example, registered for both ids.
 * x-initiatingParticipantId and the URM user's token say which id a request is for. The TLS handshake
 * with the shared certificate is exercised in test/e2e/shared-certificate.test.ts.
 */
import { X509Certificate } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { issueClientCertificate } from '../../src/pki/dev-ca.js';
import { certHeader, certificatePem, signerFor, useHarness, type Harness } from '../helpers/harness.js';
import { expectRefusal } from '../helpers/problems.js';
import { devCa } from '../helpers/signing.js';

const h = useHarness();
const SHARED = () => certificatePem('GRIDCOMC', 'primary');

/** A token of the organisation's URM user gridco-api, which acts for both ids. */
async function gridcoToken(scope = 'PQD_BPQD TRANSLOG_TRANSLOG', pem = SHARED()): Promise<string> {
  const res = await h().app.inject({
    method: 'POST', url: '/oauth/v1/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...certHeader(pem) },
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'gridco-api', client_secret: 'gridco-secret', scope }).toString(),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().access_token as string;
}

/** Submits as `participantId` over the given client certificate, signed with `signer` (default the shared primary). */
type SubmitOptions = { pem?: string; signWith?: { sign(b: Buffer): string }; token?: string; nmi?: string };

async function submitWith(harness: Harness, participantId: string, o: SubmitOptions = {}) {
  const json = Buffer.from(JSON.stringify(harness.payload({ sender: participantId, nmis: [o.nmi ?? '4102000021'] })));
  return harness.submit(participantId, gzipSync(json), {
    ...certHeader(o.pem ?? SHARED()),
    ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
    'x-signature': (o.signWith ?? signerFor('GRIDCOMC')).sign(json),
  });
}

const submitAs = (participantId: string, o: SubmitOptions = {}) => submitWith(h(), participantId, o);

describe('a certificate shared by two participant ids (spec §6)', () => {
  it('the fixture organisation has one certificate per slot for both ids, with an FQDN CN', () => {
    for (const slot of ['primary', 'secondary'] as const) {
      expect(certificatePem('GRIDCOMDP', slot)).toBe(certificatePem('GRIDCOMC', slot));
      expect(new X509Certificate(certificatePem('GRIDCOMC', slot)).subject).toMatch(/^CN=idx\.gridco\.example$/m);
    }
    const fingerprint = new X509Certificate(SHARED()).fingerprint256;
    expect(h().ctx.certificates.view().registrationsOf(fingerprint).map((c) => c.participantId)).toEqual(['GRIDCOMC', 'GRIDCOMDP']);
  });

  it('submits as each of its ids over the same certificate, signed with the same key', async () => {
    for (const pid of ['GRIDCOMC', 'GRIDCOMDP']) {
      const res = await submitAs(pid);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().data.receivingParticipantIds).toEqual(['LNSPNORTH']);
      const log = h().ctx.transactionLog.forContext(res.json().data.messageContextId);
      expect(log.map((r) => [r.status, r.fromParticipant])).toEqual([['delivery_pending', pid]]);
    }
  });

  it('one URM user acting for both ids: its token and x-initiatingParticipantId pick the id', async () => {
    const token = await gridcoToken();
    for (const pid of ['GRIDCOMC', 'GRIDCOMDP']) expect((await submitAs(pid, { token })).statusCode).toBe(200);
    const mine = await h().app.inject({
      method: 'GET', url: '/translog/v1/messages', headers: { authorization: `Bearer ${token}`, 'x-initiatingParticipantId': 'GRIDCOMDP', ...certHeader(SHARED()) },
    });
    expect(mine.statusCode, mine.body).toBe(200);
    expect(new Set(mine.json().data.map((r: { fromParticipant: string }) => r.fromParticipant))).toEqual(new Set(['GRIDCOMDP']));
  });

  it('is refused for an id it does not serve: 403 IDX_ERR_CERT_PARTICIPANT_MISMATCH naming the ids it serves', async () => {
    const res = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: { ...(await h().as('LNSPNORTH')), ...certHeader(SHARED()) } });
    const body = expectRefusal(h(), res, 403, 'IDX_ERR_CERT_PARTICIPANT_MISMATCH');
    expect(body.detail).toBe('the client certificate idx.gridco.example covers GRIDCOMC, GRIDCOMDP, not LNSPNORTH');
    expect(body.errors).toEqual([expect.objectContaining({ in: 'header', name: 'x-initiatingParticipantId' })]);
  });

  it('its signature verifies for each id it serves, and is refused for another sender', async () => {
    expect((await submitAs('GRIDCOMDP', { signWith: signerFor('GRIDCOMDP', 'secondary') })).statusCode).toBe(200);
    // MDPONE, over its own certificate, signing with GridCo's key.
    const res = await submitAs('MDPONE', { pem: certificatePem('MDPONE'), nmi: '4102000001' });
    const body = expectRefusal(h(), res, 403, 'IDX_ERR_SIGNATURE_WRONG_KEY');
    expect(body.detail).toMatch(/the signature was made with GRIDCOMC's primary certificate idx\.gridco\.example \(serial \w+\), not with one of MDPONE's certificates/);
  });

  it('revocation is per registration: revoked for one id, the certificate still serves the other', async () => {
    h().ctx.certificates.revoke('GRIDCOMC', 'primary', h().clock.now());
    // mTLS as GRIDCOMC with the shared primary: refused; as GRIDCOMDP: accepted.
    const refused = await h().app.inject({ method: 'GET', url: '/translog/v1/messages', headers: { ...(await h().as('GRIDCOMC', 'TRANSLOG_TRANSLOG')), ...certHeader(SHARED()) } });
    const body = expectRefusal(h(), refused, 401, 'IDX_ERR_CLIENT_CERT_REVOKED', '/translog/v1/messages');
    expect(body.detail).toMatch(/^GRIDCOMC's primary certificate idx\.gridco\.example \(serial \w+\) was revoked at .*; use the secondary certificate/);
    expect((await submitAs('GRIDCOMDP')).statusCode).toBe(200);
    // Signing as GRIDCOMC (over the secondary for mTLS) with the revoked registration's key: refused.
    const signed = await submitAs('GRIDCOMC', { pem: certificatePem('GRIDCOMC', 'secondary') });
    expectRefusal(h(), signed, 403, 'IDX_ERR_SIGNATURE_CERT_REVOKED');
    // A request naming no participant (the token endpoint) is served by the registration still in force.
    expect(typeof await gridcoToken()).toBe('string');
    // The certificate now serves GRIDCOMDP only.
    const other = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: { ...(await h().as('LNSPNORTH')), ...certHeader(SHARED()) } });
    expect(expectRefusal(h(), other, 403, 'IDX_ERR_CERT_PARTICIPANT_MISMATCH').detail).toMatch(/covers GRIDCOMDP, not LNSPNORTH$/);
  });

  it('a certificate revoked for every id it serves is refused even where no participant is named', async () => {
    for (const pid of ['GRIDCOMC', 'GRIDCOMDP']) h().ctx.certificates.revoke(pid, 'primary', h().clock.now());
    const res = await h().app.inject({
      method: 'POST', url: '/oauth/v1/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...certHeader(SHARED()) },
      payload: 'grant_type=client_credentials&client_id=gridco-api&client_secret=gridco-secret',
    });
    expectRefusal(h(), res, 401, 'IDX_ERR_CLIENT_CERT_REVOKED', '/oauth/v1/token');
  });

  it('a new certificate issued into one id\'s slot replaces only that registration', async () => {
    const renewed = issueClientCertificate(devCa(), 'GRIDCOMC-NonProd');
    h().ctx.certificates.register('GRIDCOMC', 'primary', renewed.certPem, h().clock.now());
    const res = await submitAs('GRIDCOMC');
    expectRefusal(h(), res, 401, 'IDX_ERR_CLIENT_CERT_UNKNOWN');
    expect((await submitAs('GRIDCOMDP')).statusCode).toBe(200);
  });

  it('registers a <ParticipantID>-NonProd certificate for another id only once it serves the id its CN names', () => {
    const pair = issueClientCertificate(devCa(), 'GRIDCOMC-NonProd');
    const now = h().clock.now();
    expect(() => h().ctx.certificates.register('GRIDCOMDP', 'secondary', pair.certPem, now)).toThrow(/its CN names GRIDCOMC, and it is not registered for GRIDCOMC/);
    h().ctx.certificates.register('GRIDCOMC', 'secondary', pair.certPem, now);
    expect(h().ctx.certificates.register('GRIDCOMDP', 'secondary', pair.certPem, now)).toBe('registered');
    expect(h().ctx.certificates.view().registrationsOf(new X509Certificate(pair.certPem).fingerprint256).map((c) => c.participantId)).toEqual(['GRIDCOMC', 'GRIDCOMDP']);
  });

  it('an FQDN certificate of the dev CA that is not registered → 401 IDX_ERR_CLIENT_CERT_UNKNOWN', async () => {
    const stranger = issueClientCertificate(devCa(), 'idx.stranger.example');
    const res = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: { ...(await h().as('LNSPNORTH')), ...certHeader(stranger.certPem) } });
    const body = expectRefusal(h(), res, 401, 'IDX_ERR_CLIENT_CERT_UNKNOWN');
    expect(body.detail).toMatch(/certificate idx\.stranger\.example \(serial \w+\) is issued by the IDX CA but is not registered for LNSPNORTH/);
  });
});

describe('a shared certificate under IDX_SIM_TLS_CERT_SLOTS=active', () => {
  const active = useHarness({ tlsCertificateSlots: 'active' });

  it('rotation is per id: with IDX_SIM_TLS_CERT_SLOTS=active, the id rotated to its secondary no longer uses the shared primary', async () => {
    active().ctx.certificates.rotate('GRIDCOMC', 'secondary', active().clock.now());
    const res = await submitWith(active(), 'GRIDCOMC');
    expectRefusal(active(), res, 401, 'IDX_ERR_CLIENT_CERT_INACTIVE');
    expect((await submitWith(active(), 'GRIDCOMDP')).statusCode).toBe(200);
    expect((await submitWith(active(), 'GRIDCOMC', { pem: certificatePem('GRIDCOMC', 'secondary') })).statusCode).toBe(200);
  });
});
