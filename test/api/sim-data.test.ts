/** Control API: participants, URM users, certificates and NMI standing data changed while the hub runs. */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createCa, issueClientCertificate, pkiPaths } from '../../src/pki/dev-ca.js';
import { MessageSigner } from '../../src/security/message-signature.js';
import { certHeader, certificatePem, pkiDir, T0, useHarness } from '../helpers/harness.js';

const h = useHarness({ adminKey: 'k3y' });
const json = { 'content-type': 'application/json' };
const call = (method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  h().app.inject({ method, url, headers: { ...h().admin(), ...(payload === undefined ? {} : json) }, ...(payload === undefined ? {} : { payload: payload as object }) });

const newCertificate = (participantId: string) => {
  const p = pkiPaths(pkiDir());
  return issueClientCertificate({ certPem: readFileSync(p.caCert, 'utf8'), keyPem: readFileSync(p.caKey, 'utf8') }, `${participantId}-NonProd`, { now: T0 });
};

describe('a participant added mid-test', () => {
  it('gets a token, passes mTLS and submits signed BPQD that reaches the LNSP, at once', async () => {
    expect((await call('PUT', '/sim/v1/participants/NEWMDP', { name: 'New MDP', role: 'MDP' })).statusCode).toBe(201);
    expect((await call('PUT', '/sim/v1/participants/NEWMDP', { name: 'New MDP Pty', role: 'MDP' })).json().data)
      .toEqual({ participantId: 'NEWMDP', name: 'New MDP Pty', role: 'MDP', source: 'runtime' });
    const user = await call('PUT', '/sim/v1/urm-users/newmdp-api', { secret: 'newmdp-secret', entitlements: { NEWMDP: { PQD_BPQD: 'C' } } });
    expect(user.statusCode).toBe(201);
    expect(user.json().data).toEqual({ clientId: 'newmdp-api', entitlements: { NEWMDP: { PQD_BPQD: 'C' } }, source: 'runtime' });
    const identity = newCertificate('NEWMDP');
    const cert = await call('PUT', '/sim/v1/participants/NEWMDP/certificates/primary', { certificatePem: identity.certPem });
    expect(cert.statusCode).toBe(201);
    expect(cert.json().data).toMatchObject({ participantId: 'NEWMDP', slot: 'primary', commonName: 'NEWMDP-NonProd', current: true, revoked: false, active: true });
    expect((await call('PUT', '/sim/v1/participants/NEWMDP/certificates/primary', { certificatePem: identity.certPem })).statusCode).toBe(200);
    expect((await call('PUT', '/sim/v1/nmis/4102000050', { roles: [
      { role: 'LNSP', participantId: 'LNSPNORTH', fromDate: '2026-01-01' },
      { role: 'MC', participantId: 'ACMEMC', fromDate: '2026-01-01' },
      { role: 'MDP', participantId: 'NEWMDP', fromDate: '2026-01-01' },
    ] })).statusCode).toBe(201);

    const tls = certHeader(identity.certPem);
    const token = await h().app.inject({ method: 'POST', url: '/oauth/v1/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...tls },
      payload: 'grant_type=client_credentials&client_id=newmdp-api&client_secret=newmdp-secret&scope=PQD_BPQD' });
    expect(token.statusCode, token.body).toBe(200);
    const json = Buffer.from(JSON.stringify(h().payload({ sender: 'NEWMDP', nmis: ['4102000050'] })));
    const body = gzipSync(json);
    const signature = new MessageSigner(identity).sign(json, { signingTime: new Date(T0) });
    const res = await h().app.inject({ method: 'POST', url: '/pqd/v1/bpqd', payload: body, headers: {
      authorization: `Bearer ${token.json().access_token}`, 'x-initiatingParticipantId': 'NEWMDP', 'x-messageContextId': 'pqd~bpqd~l~newmdp~first',
      'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': signature, ...tls,
    } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.receivingParticipantIds).toEqual(['LNSPNORTH']);

    // Revoked through the API: refused from the next request on.
    expect((await call('DELETE', '/sim/v1/participants/NEWMDP/certificates/primary')).statusCode).toBe(204);
    const refused = await h().app.inject({ method: 'POST', url: '/oauth/v1/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...tls },
      payload: 'grant_type=client_credentials&client_id=newmdp-api&client_secret=newmdp-secret&scope=PQD_BPQD' });
    expect(refused.json().code).toBe('IDX_ERR_CLIENT_CERT_REVOKED');
    expect((await call('DELETE', '/sim/v1/participants/NEWMDP/certificates/primary')).statusCode).toBe(404);
    expect((await call('GET', '/sim/v1/participants/NEWMDP/certificates')).json().data).toEqual([expect.objectContaining({ slot: 'primary', revoked: true })]);

    // Removal: refused while standing data names it, then participant, certificates and entitlements go.
    expect((await call('DELETE', '/sim/v1/participants/NEWMDP')).json()).toMatchObject({ status: 409, code: 'IDX_ERR_SIM_CONFLICT' });
    expect((await call('DELETE', '/sim/v1/nmis/4102000050')).statusCode).toBe(204);
    expect((await call('DELETE', '/sim/v1/participants/NEWMDP')).statusCode).toBe(204);
    expect((await call('GET', '/sim/v1/urm-users')).json().data.map((u: { clientId: string }) => u.clientId)).not.toContain('newmdp-api');
    expect((await call('GET', '/sim/v1/participants')).json().data.map((p: { participantId: string }) => p.participantId)).not.toContain('NEWMDP');
    expect((await call('GET', '/sim/v1/participants/NEWMDP/certificates')).statusCode).toBe(404);
  });

  it('URM users: entitlements change for new tokens; a removed user gets none', async () => {
    const changed = await call('PUT', '/sim/v1/urm-users/lnspnorth-api', { entitlements: { LNSPNORTH: { EVENT_NOTIFY: 'R' } } });
    expect(changed.statusCode).toBe(200);
    const headers = await h().as('LNSPNORTH', 'PQD_BPQD EVENT_NOTIFY');
    expect((await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers })).json().code).toBe('IDX_ERR_ENTITY_NOT_GRANTED');
    expect((await call('DELETE', '/sim/v1/urm-users/lnspnorth-api')).statusCode).toBe(204);
    expect((await call('DELETE', '/sim/v1/urm-users/lnspnorth-api')).statusCode).toBe(404);
    const token = await h().app.inject({ method: 'POST', url: '/oauth/v1/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...certHeader(certificatePem('LNSPNORTH')) },
      payload: 'grant_type=client_credentials&client_id=lnspnorth-api&client_secret=lnspnorth-secret&scope=PQD_BPQD' });
    expect(token.json().code).toBe('IDX_ERR_INVALID_CLIENT');
  });

  it.each([
    ['PUT', '/sim/v1/participants/lower', { name: 'x', role: 'MC' }, 'IDX_ERR_PATH_INVALID'],
    ['PUT', '/sim/v1/participants/NEWMC', { name: 'x', role: 'BOSS' }, 'IDX_ERR_SCHEMA_INVALID'],
    ['PUT', '/sim/v1/participants/MDPONE', { name: 'x', role: 'LNSP' }, 'IDX_ERR_SCHEMA_INVALID'],
    ['DELETE', '/sim/v1/participants/lower', undefined, 'IDX_ERR_PATH_INVALID'],
    ['GET', '/sim/v1/participants/lower/certificates', undefined, 'IDX_ERR_PATH_INVALID'],
    ['PUT', '/sim/v1/participants/MDPONE/certificates/tertiary', { certificatePem: 'x' }, 'IDX_ERR_PATH_INVALID'],
    ['PUT', '/sim/v1/participants/MDPONE/certificates/primary', { certificatePem: 'not a pem' }, 'IDX_ERR_SCHEMA_INVALID'],
    ['DELETE', '/sim/v1/participants/MDPONE/certificates/tertiary', undefined, 'IDX_ERR_PATH_INVALID'],
    ['PUT', '/sim/v1/urm-users/bad%20id', { entitlements: { MDPONE: { PQD_BPQD: 'C' } } }, 'IDX_ERR_PATH_INVALID'],
    ['PUT', '/sim/v1/urm-users/new-api', { entitlements: { MDPONE: { PQD_BPQD: 'C' } } }, 'IDX_ERR_SCHEMA_INVALID'],
    ['PUT', '/sim/v1/urm-users/new-api', { secret: 'long-enough', entitlements: { NOBODY: { PQD_BPQD: 'C' } } }, 'IDX_ERR_SCHEMA_INVALID'],
    ['PUT', '/sim/v1/urm-users/new-api', { secret: 'long-enough', entitlements: { MDPONE: { NOT_AN_ENTITY: 'C' } } }, 'IDX_ERR_SCHEMA_INVALID'],
    ['DELETE', '/sim/v1/urm-users/bad%20id', undefined, 'IDX_ERR_PATH_INVALID'],
  ] as const)('%s %s %j → 400 %s', async (method, url, payload, code) => {
    const res = await call(method, url, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe(code);
  });

  it('refuses a certificate of another CA or of another participant (400), one registered elsewhere (409), and unknown participants (404)', async () => {
    const foreign = issueClientCertificate(createCa({ now: T0 }), 'MDPONE-NonProd', { now: T0 });
    const other = await call('PUT', '/sim/v1/participants/MDPONE/certificates/secondary', { certificatePem: foreign.certPem });
    expect(other.json()).toMatchObject({ status: 400, errors: [{ pointer: '/certificatePem', code: 'ISSUER' }] });
    const wrongCn = await call('PUT', '/sim/v1/participants/MDPONE/certificates/secondary', { certificatePem: newCertificate('MDPTWO').certPem });
    expect(wrongCn.json()).toMatchObject({ status: 400, detail: expect.stringMatching(/names MDPTWO/) });
    const elsewhere = await call('PUT', '/sim/v1/participants/MDPONE/certificates/secondary', { certificatePem: certificatePem('MDPONE', 'primary') });
    expect(elsewhere.json()).toMatchObject({ status: 409, code: 'IDX_ERR_SIM_CONFLICT' });
    for (const [method, url, payload] of [
      ['DELETE', '/sim/v1/participants/NOBODY', undefined], ['GET', '/sim/v1/participants/NOBODY/certificates', undefined],
      ['PUT', '/sim/v1/participants/NOBODY/certificates/primary', { certificatePem: foreign.certPem }], ['DELETE', '/sim/v1/participants/NOBODY/certificates/primary', undefined],
    ] as const) {
      const res = await call(method, url, payload);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().code).toBe('IDX_ERR_SIM_NOT_FOUND');
    }
  });
});

describe('NMI standing data', () => {
  const submit = (sender: string, date: string, nmi = '4102000001') => h().submit(sender, h().payload({ sender, nmis: [nmi], date }));

  it('churn from a date: routing follows on the next submission; the old holder is refused after it', async () => {
    expect((await submit('MDPTWO', '2026-07-01')).json().code).toBe('IDX_ERR_SENDER_NOT_RESPONSIBLE');
    const churned = await call('POST', '/sim/v1/nmis/4102000001/churn', { fromDate: '2026-07-01', MDP: 'MDPTWO', LNSP: 'LNSPSOUTH' });
    expect(churned.statusCode).toBe(200);
    expect(churned.json().data.roles.map((r: { role: string; participantId: string; fromDate: string; toDate: string | null }) => [r.role, r.participantId, r.fromDate, r.toDate])).toEqual([
      ['LNSP', 'LNSPNORTH', '2026-01-01', '2026-06-30'], ['LNSP', 'LNSPSOUTH', '2026-07-01', null],
      ['MC', 'ACMEMC', '2026-01-01', null],
      ['MDP', 'MDPONE', '2026-01-01', '2026-06-30'], ['MDP', 'MDPTWO', '2026-07-01', null],
    ]);
    const accepted = await h().submit('MDPTWO', h().payload({ sender: 'MDPTWO', nmis: ['4102000001'], date: '2026-07-01', recipients: ['LNSPSOUTH'] }));
    expect(accepted.statusCode, accepted.body).toBe(200);
    // The churn day itself may come from either party (IDX_SIM_CHURN_DAY=either); the day after, only from the new one.
    expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE', nmis: ['4102000001'], date: '2026-07-02', recipients: ['LNSPSOUTH'] }))).json().code).toBe('IDX_ERR_SENDER_NOT_RESPONSIBLE');
    // The day before is still the old parties'.
    expect((await submit('MDPONE', '2026-06-30')).statusCode).toBe(200);
    // A second churn before the first is a later change already scheduled.
    expect((await call('POST', '/sim/v1/nmis/4102000001/churn', { fromDate: '2026-06-15', MDP: 'MDPONE' })).json())
      .toMatchObject({ status: 409, code: 'IDX_ERR_SIM_CONFLICT', errors: [{ pointer: '/fromDate' }] });
  });

  it('create, read, list with filters, end a role, replace and remove', async () => {
    const created = await call('PUT', '/sim/v1/nmis/6102000500', { roles: [
      { role: 'LNSP', participantId: 'LNSPSOUTH', fromDate: '2026-01-01' }, { role: 'MC', participantId: 'OTHERMC', fromDate: '2026-01-01' },
      { role: 'MDP', participantId: 'MDPTWO', fromDate: '2026-01-01', toDate: null },
    ] });
    expect(created.statusCode).toBe(201);
    const mdp = created.json().data.roles.find((r: { role: string }) => r.role === 'MDP');
    const ended = await call('PATCH', `/sim/v1/nmis/6102000500/roles/${mdp.id}`, { toDate: '2026-06-30' });
    expect(ended.statusCode).toBe(200);
    expect(ended.json().data.roles.find((r: { role: string }) => r.role === 'MDP').toDate).toBe('2026-06-30');
    // No MDP on 2026-07-01: the MC itself may still send; the ended MDP may not.
    expect((await h().submit('MDPTWO', h().payload({ sender: 'MDPTWO', nmis: ['6102000500'], date: '2026-07-01', recipients: ['LNSPSOUTH'] }))).json().code).toBe('IDX_ERR_SENDER_NOT_RESPONSIBLE');
    expect((await call('GET', '/sim/v1/nmis/6102000500')).json().data.nmi).toBe('6102000500');
    const onDate = await call('GET', '/sim/v1/nmis?participantId=MDPTWO&role=MDP&date=2026-07-20');
    expect(onDate.json().data.map((r: { nmi: string }) => r.nmi)).toEqual(['4102000099', '6102000099']);
    expect((await call('GET', '/sim/v1/nmis?nmi=6102000500')).json().data).toHaveLength(3);
    expect((await call('PUT', '/sim/v1/nmis/6102000500', { roles: [{ role: 'LNSP', participantId: 'LNSPNORTH', fromDate: '2026-01-01' }] })).statusCode).toBe(200);
    expect((await call('DELETE', '/sim/v1/nmis/6102000500')).statusCode).toBe(204);
    expect((await h().submit('OTHERMC', h().payload({ sender: 'OTHERMC', nmis: ['6102000500'], date: '2026-07-01', recipients: ['LNSPSOUTH'] }))).json().code).toBe('IDX_ERR_NMI_UNKNOWN');
  });

  it.each([
    ['PUT', '/sim/v1/nmis/6102000500', { roles: [{ role: 'MDP', participantId: 'LNSPNORTH', fromDate: '2026-01-01' }] }, '/roles/0/participantId'],
    ['PUT', '/sim/v1/nmis/6102000500', { roles: [{ role: 'MDP', participantId: 'NOBODY', fromDate: '2026-01-01' }] }, '/roles/0/participantId'],
    ['PUT', '/sim/v1/nmis/6102000500', { roles: [{ role: 'MDP', participantId: 'MDPONE', fromDate: '2026-07-01', toDate: '2026-06-01' }] }, '/roles/0/toDate'],
    ['PUT', '/sim/v1/nmis/6102000500', { roles: [{ role: 'MDP', participantId: 'MDPONE', fromDate: '2026-01-01' }, { role: 'MDP', participantId: 'MDPTWO', fromDate: '2026-03-01' }] }, '/roles/1/fromDate'],
    ['PUT', '/sim/v1/nmis/6102000500', { roles: [] }, '/roles'],
    ['POST', '/sim/v1/nmis/4102000001/churn', { fromDate: '2026-07-01' }, ''],
    ['POST', '/sim/v1/nmis/4102000001/churn', { fromDate: '2026-07-01', MDP: 'LNSPNORTH' }, '/MDP'],
    ['PATCH', '/sim/v1/nmis/4102000099/roles/1', { toDate: 'soon' }, '/toDate'],
  ] as const)('%s %s %j → 400 at %s', async (method, url, payload, pointer) => {
    const res = await call(method, url, payload);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', pointer })]));
  });

  it('refuses a PATCH that overlaps the next holder (400) and answers 404 for unknown NMIs and spans, 400 for bad NMIs and filters', async () => {
    const roles = (await call('GET', '/sim/v1/nmis/4102000099')).json().data.roles as Array<{ id: number; role: string; participantId: string }>;
    const mdpOne = roles.find((r) => r.participantId === 'MDPONE')!;
    expect((await call('PATCH', `/sim/v1/nmis/4102000099/roles/${mdpOne.id}`, { toDate: null })).json()).toMatchObject({ status: 400, errors: [{ pointer: '/toDate', code: 'SPAN' }] });
    for (const [method, url, payload] of [
      ['GET', '/sim/v1/nmis/4109999999', undefined], ['DELETE', '/sim/v1/nmis/4109999999', undefined],
      ['POST', '/sim/v1/nmis/4109999999/churn', { fromDate: '2026-07-01', MDP: 'MDPONE' }], ['PATCH', '/sim/v1/nmis/4102000099/roles/999999', { toDate: null }],
    ] as const) {
      const res = await call(method, url, payload);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().code).toBe('IDX_ERR_SIM_NOT_FOUND');
    }
    for (const url of ['/sim/v1/nmis/short', '/sim/v1/nmis?role=BOSS', '/sim/v1/nmis?date=tomorrow']) expect((await call('GET', url)).statusCode, url).toBe(400);
    for (const [method, url] of [['DELETE', '/sim/v1/nmis/short'], ['POST', '/sim/v1/nmis/short/churn'], ['PATCH', '/sim/v1/nmis/4102000099/roles/0']] as const) {
      expect((await call(method, url, { fromDate: '2026-07-01', MDP: 'MDPONE', toDate: null })).statusCode, url).toBe(400);
    }
  });
});

describe('the admin key', () => {
  it.each([
    ['GET', '/sim/v1/participants'], ['PUT', '/sim/v1/participants/X'], ['DELETE', '/sim/v1/participants/X'], ['GET', '/sim/v1/participants/X/certificates'],
    ['PUT', '/sim/v1/participants/X/certificates/primary'], ['DELETE', '/sim/v1/participants/X/certificates/primary'], ['GET', '/sim/v1/urm-users'],
    ['PUT', '/sim/v1/urm-users/x'], ['DELETE', '/sim/v1/urm-users/x'], ['GET', '/sim/v1/nmis'], ['GET', '/sim/v1/nmis/4102000001'],
    ['PUT', '/sim/v1/nmis/4102000001'], ['DELETE', '/sim/v1/nmis/4102000001'], ['POST', '/sim/v1/nmis/4102000001/churn'], ['PATCH', '/sim/v1/nmis/4102000001/roles/1'],
  ] as const)('guards %s %s (401)', async (method, url) => {
    const res = await h().app.inject({ method, url, headers: { authorization: 'Bearer nope' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('IDX_ERR_ADMIN_KEY');
  });
});
