/**
 * The IDX Web App's server routes (issue #12): sign-in and portal sessions (x-ss-id on the simulated
 * clock), seed 000 Table 3/4 visibility (a page the user's URM entities do not allow is absent from the
 * menu and refused with 403 problem+json), the CSRF check, and what the pages read and do through the
 * hub's services — CSV export, downloads, the manual stop seen through the Flow Control API, status after
 * an outage. Browser behaviour (live updates, axe) is in test/browser/webapp.test.ts.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { eventVisible, normaliseQuery } from '../../src/web/webapp/routes.js';
import { T0, useHarness, type Harness, type Json } from '../helpers/harness.js';

const h = useHarness();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const MINUTE = 60_000;

interface Browser { cookie: string; csrf: string; id: string }

async function signIn(username: string, password = username.replace(/-api$/, '-secret')): Promise<Browser> {
  const res = await h().app.inject({ method: 'POST', url: '/webapp/sign-in', headers: { ...FORM, accept: 'text/html' }, payload: new URLSearchParams({ username, password }).toString() });
  expect(res.statusCode, res.body).toBe(303);
  const id = /x-ss-id=([0-9a-f]{64})/.exec(String(res.headers['set-cookie']))![1]!;
  const home = await h().app.inject({ method: 'GET', url: '/webapp/', headers: { cookie: `x-ss-id=${id}`, accept: 'text/html' } });
  expect(home.statusCode).toBe(200);
  return { cookie: `x-ss-id=${id}`, id, csrf: /data-csrf="([0-9a-f]{64})"/.exec(home.body)![1]! };
}

const get = (b: Browser | undefined, url: string, accept = 'text/html') =>
  h().app.inject({ method: 'GET', url, headers: { ...(b ? { cookie: b.cookie } : {}), accept } });
const post = (b: Browser, url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
  h().app.inject({ method: 'POST', url, headers: { ...FORM, cookie: b.cookie, ...headers }, payload: new URLSearchParams(form).toString() });

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): Json }, status: number, code: string): Json {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body.code).toBe(code);
  expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(res.headers['x-traceid']).toBe(body.traceId);
  expect(body.errors?.length).toBeGreaterThan(0);
  return body;
}

/** MDPONE sends one BPQD message to LNSPNORTH (NMI 4102000001); returns its messageContextId and payload. */
async function send(harness: Harness = h()) {
  const payload = harness.payload({ sender: 'MDPONE', nmis: ['4102000001'], recipients: ['LNSPNORTH'] });
  const res = await harness.submit('MDPONE', payload);
  expect(res.statusCode, res.body).toBe(200);
  return { id: res.json().data.messageContextId as string, payload };
}

const navOf = (body: string) => [...body.matchAll(/<nav class="site-nav"[\s\S]*?<\/nav>/g)].map((m) => [...m[0].matchAll(/>([^<>]+)<\/a>/g)].map((a) => a[1])).flat();

describe('sign-in and portal sessions', () => {
  it('signs a URM user in with username and password: an x-ss-id cookie of 64 hex characters, HttpOnly, SameSite=Strict, on /webapp', async () => {
    const res = await h().app.inject({ method: 'POST', url: '/webapp/sign-in', headers: FORM, payload: 'username=lnspnorth-api&password=lnspnorth-secret&next=%2Fwebapp%2Ftranslog' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/webapp/translog');
    expect(String(res.headers['set-cookie'])).toMatch(/^x-ss-id=[0-9a-f]{64}; Path=\/webapp; HttpOnly; SameSite=Strict$/);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('refuses a wrong password: the form again with 401 for a browser, 401 problem+json IDX_ERR_WEB_SIGN_IN_FAILED otherwise, and no cookie', async () => {
    const page = await h().app.inject({ method: 'POST', url: '/webapp/sign-in', headers: { ...FORM, accept: 'text/html' }, payload: 'username=lnspnorth-api&password=wrong' });
    expect(page.statusCode).toBe(401);
    expect(page.headers['set-cookie']).toBeUndefined();
    expect(page.body).toContain('role="alert"');
    expect(page.body).toContain('value="lnspnorth-api"');
    const api = await h().app.inject({ method: 'POST', url: '/webapp/sign-in', headers: FORM, payload: 'username=nobody&password=wrong' });
    expectProblem(api, 401, 'IDX_ERR_WEB_SIGN_IN_FAILED');
    expect(api.headers['set-cookie']).toBeUndefined();
  });

  it('never redirects off the app after sign-in', async () => {
    const res = await h().app.inject({ method: 'POST', url: '/webapp/sign-in', headers: FORM, payload: 'username=lnspnorth-api&password=lnspnorth-secret&next=https%3A%2F%2Fevil.example%2F' });
    expect(res.headers.location).toBe('/webapp/');
    const slashes = await h().app.inject({ method: 'POST', url: '/webapp/sign-in', headers: FORM, payload: 'username=lnspnorth-api&password=lnspnorth-secret&next=%2F%2Fevil.example' });
    expect(slashes.headers.location).toBe('/webapp/');
  });

  it('without a session: a browser is sent to sign in, anything else gets 401 problem+json IDX_ERR_WEB_SIGN_IN_REQUIRED', async () => {
    const page = await get(undefined, '/webapp/translog?toParticipant=LNSPNORTH');
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/webapp/sign-in?next=%2Fwebapp%2Ftranslog%3FtoParticipant%3DLNSPNORTH');
    expectProblem(await get(undefined, '/webapp/flow-control/data.json', 'application/json'), 401, 'IDX_ERR_WEB_SIGN_IN_REQUIRED');
    expectProblem(await get({ cookie: `x-ss-id=${'a'.repeat(64)}`, csrf: '', id: '' }, '/webapp/translog', '*/*'), 401, 'IDX_ERR_WEB_SIGN_IN_REQUIRED');
  });

  it('expires a session after IDX_SIM_WEB_SESSION_IDLE_MINUTES of simulated time without use; use keeps it alive', async () => {
    const b = await signIn('lnspnorth-api');
    const idle = h().ctx.config.webSessionIdleMinutes * MINUTE;
    h().clock.freeze(T0 + idle - MINUTE);
    expect((await get(b, '/webapp/translog')).statusCode).toBe(200);
    h().clock.freeze(T0 + 2 * idle - 2 * MINUTE);
    expect((await get(b, '/webapp/translog')).statusCode).toBe(200);
    h().clock.freeze(T0 + 3 * idle);
    expectProblem(await get(b, '/webapp/translog', '*/*'), 401, 'IDX_ERR_WEB_SIGN_IN_REQUIRED');
  });

  it('signs out (with the CSRF token): the session is gone and the cookie cleared', async () => {
    const b = await signIn('lnspnorth-api');
    expectProblem(await post(b, '/webapp/sign-out', {}), 403, 'IDX_ERR_CSRF_TOKEN');
    const out = await post(b, '/webapp/sign-out', { _csrf: b.csrf });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expectProblem(await get(b, '/webapp/', '*/*'), 401, 'IDX_ERR_WEB_SIGN_IN_REQUIRED');
  });

  it('ends the session of a URM user removed through the control API', async () => {
    const b = await signIn('lnspsouth-api');
    const removed = await h().app.inject({ method: 'DELETE', url: '/sim/v1/urm-users/lnspsouth-api', headers: h().admin() });
    expect(removed.statusCode).toBe(204);
    expectProblem(await get(b, '/webapp/', '*/*'), 401, 'IDX_ERR_WEB_SIGN_IN_REQUIRED');
  });

  it('needs no client certificate: /webapp is outside the mTLS-only IDX APIs, which still refuse without one', async () => {
    expect((await get(undefined, '/webapp/sign-in')).statusCode).toBe(200);
    expectProblem(await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd' }), 401, 'IDX_ERR_CLIENT_CERT_REQUIRED');
  });
});

describe('visibility follows URM entities (seed 000 Tables 3 and 4)', () => {
  it('an LNSP user sees every interface; an MC user only Transaction Log and Participant Status', async () => {
    const lnsp = await get(await signIn('lnspnorth-api'), '/webapp/');
    expect(navOf(lnsp.body)).toEqual(['Home', 'Transaction Log', 'Outbound Archive', 'Flow Control', 'Participant Status', 'Messages']);
    const mc = await get(await signIn('acmemc-api'), '/webapp/');
    expect(navOf(mc.body)).toEqual(['Home', 'Transaction Log', 'Participant Status']);
    expect(mc.body).toContain('Needs URM entity <code>ARCH_RETRIEVE</code>');
    // At a glance shows only what the entities let the user read.
    expect(lnsp.body).toContain('<dt>Messages in queue</dt>');
    expect(mc.body).toContain('<dt>Transaction Log records</dt>');
    expect(mc.body).not.toContain('<dt>Messages in queue</dt>');
  });

  it.each([
    ['/webapp/archive', 'ARCH_RETRIEVE'], ['/webapp/archive/messages/pqd~bpqd~l~mdpone~x1/download.zip', 'ARCH_RETRIEVE'],
    ['/webapp/flow-control', 'FCTRL_FCTRL'], ['/webapp/flow-control/data.json', 'FCTRL_FCTRL'],
    ['/webapp/messages', 'PQD_BPQD'], ['/webapp/messages/pqd~bpqd~l~mdpone~x1/download', 'PQD_BPQD'],
  ])('an MC user calling %s directly → 403 problem+json IDX_ERR_ENTITY_NOT_GRANTED naming %s', async (url, entity) => {
    const body = expectProblem(await get(await signIn('acmemc-api'), url, 'application/json'), 403, 'IDX_ERR_ENTITY_NOT_GRANTED');
    expect(body.detail).toContain(entity);
    expect(body.detail).toContain('ACMEMC');
  });

  it('an MC user posting the manual stop or a delete directly → 403, and nothing changes', async () => {
    const b = await signIn('acmemc-api');
    expectProblem(await post(b, '/webapp/flow-control/pqd/delivery', { _csrf: b.csrf, outboundDelivery: 'Stopped' }), 403, 'IDX_ERR_ENTITY_NOT_GRANTED');
    expectProblem(await post(b, '/webapp/messages/pqd~bpqd~l~mdpone~x1/delete', { _csrf: b.csrf }), 403, 'IDX_ERR_ENTITY_NOT_GRANTED');
    expect(h().ctx.flowControl.information('ACMEMC', 'pqd', 'NEM', true).outboundDelivery).toBe('Started');
  });

  it('a browser opening a page it may not see gets a readable 403 page, not the menu entry', async () => {
    const res = await get(await signIn('acmemc-api'), '/webapp/archive');
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('IDX_ERR_ENTITY_NOT_GRANTED');
    expect(navOf(res.body)).not.toContain('Outbound Archive');
  });

  it('a user whose entities lack TRANSLOG_TRANSLOG and FCTRL_STATUS, and hold FCTRL_FCTRL without U, sees and may do only what they allow', async () => {
    const put = await h().app.inject({
      method: 'PUT', url: '/sim/v1/urm-users/lnspnorth-viewer', headers: { ...h().admin(), 'content-type': 'application/json' },
      payload: { secret: 'viewer-secret', entitlements: { LNSPNORTH: { FCTRL_FCTRL: 'R', ARCH_RETRIEVE: 'R' } } },
    });
    expect(put.statusCode, put.body).toBe(201);
    const b = await signIn('lnspnorth-viewer', 'viewer-secret');
    expect(navOf((await get(b, '/webapp/')).body)).toEqual(['Home', 'Outbound Archive', 'Flow Control']);
    for (const [url, entity] of [['/webapp/translog', 'TRANSLOG_TRANSLOG'], ['/webapp/translog/export.csv', 'TRANSLOG_TRANSLOG'], ['/webapp/status', 'FCTRL_STATUS'], ['/webapp/messages', 'PQD_BPQD']]) {
      expect(expectProblem(await get(b, url!, 'application/json'), 403, 'IDX_ERR_ENTITY_NOT_GRANTED').detail, url).toContain(entity);
    }
    const page = await get(b, '/webapp/flow-control');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('action="/webapp/flow-control/pqd/delivery"');
    expect(page.body).toContain('Switching needs URM entity <code>FCTRL_FCTRL</code> with update (U)');
    const refused = expectProblem(await post(b, '/webapp/flow-control/pqd/delivery', { _csrf: b.csrf, outboundDelivery: 'Stopped' }), 403, 'IDX_ERR_ENTITY_NOT_GRANTED');
    expect(refused.detail).toContain('FCTRL_FCTRL with update (U)');
  });
});

describe('CSRF', () => {
  it('refuses a state change without this session\'s token, with another session\'s token, or from another origin (403 IDX_ERR_CSRF_TOKEN); nothing changes', async () => {
    const b = await signIn('lnspnorth-api');
    const other = await signIn('lnspnorth-api');
    const missing = expectProblem(await post(b, '/webapp/flow-control/pqd/delivery', { outboundDelivery: 'Stopped' }), 403, 'IDX_ERR_CSRF_TOKEN');
    expect(missing.errors[0]).toMatchObject({ in: 'form', name: '_csrf' });
    expectProblem(await post(b, '/webapp/flow-control/pqd/delivery', { outboundDelivery: 'Stopped', _csrf: other.csrf }), 403, 'IDX_ERR_CSRF_TOKEN');
    const header = expectProblem(await post(b, '/webapp/flow-control/pqd/delivery', { outboundDelivery: 'Stopped' }, { 'x-csrf-token': 'f'.repeat(64) }), 403, 'IDX_ERR_CSRF_TOKEN');
    expect(header.errors[0]).toMatchObject({ in: 'header', name: 'x-csrf-token' });
    const origin = expectProblem(await post(b, '/webapp/flow-control/pqd/delivery', { outboundDelivery: 'Stopped', _csrf: b.csrf }, { origin: 'https://evil.example' }), 403, 'IDX_ERR_CSRF_TOKEN');
    expect(origin.errors[0]).toMatchObject({ in: 'header', name: 'Origin' });
    expectProblem(await h().app.inject({ method: 'POST', url: '/webapp/sign-in', headers: { ...FORM, origin: 'https://evil.example' }, payload: 'username=lnspnorth-api&password=lnspnorth-secret' }), 403, 'IDX_ERR_CSRF_TOKEN');
    expect(h().ctx.flowControl.information('LNSPNORTH', 'pqd', 'NEM', true).outboundDelivery).toBe('Started');
    // The quota was not touched by refused requests: both switches are left.
    expect((await get(b, '/webapp/flow-control/data.json', 'application/json')).json().businessFunctions[0].switchesLeft).toBe(2);
  });
});

describe('Transaction Log page', () => {
  it('lists, filters, sorts and pages the user\'s records, links each message, and escapes what it shows', async () => {
    const first = await send();
    h().clock.advance(MINUTE);
    const second = await send();
    const b = await signIn('lnspnorth-api');
    const all = await get(b, '/webapp/translog?sort=-receivedDateTime');
    expect(all.statusCode).toBe(200);
    expect(all.body.indexOf(second.id)).toBeLessThan(all.body.indexOf(first.id));
    expect(all.body).toContain('aria-sort="descending"');
    expect(all.body).toContain('Showing 2 of 2 records');
    const paged = await get(b, '/webapp/translog?itemCount=1');
    expect(paged.body).toContain('rel="next"');
    const filtered = await get(b, `/webapp/translog?messageContextId=${encodeURIComponent(first.id)}&fromParticipant=&messageStatus=delivery_pending&startDateTime=2026-07-02T08:00`);
    expect(filtered.body).toContain(first.id);
    expect(filtered.body).not.toContain(second.id);
    expect(filtered.body).toContain('value="2026-07-02T08:00"');
    const none = await get(b, '/webapp/translog?fromParticipant=OTHERMC');
    expect(none.body).toContain('No records match this search.');
    const xss = await get(b, `/webapp/translog?messageContextId=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(xss.body).not.toContain('<script>alert(1)</script>');
    expect(xss.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expectProblem(await get(b, '/webapp/translog?sort=priority', 'application/json'), 400, 'IDX_ERR_QUERY_INVALID');
  });

  it('shows one message with its history across receivers and downloads its payload as sent', async () => {
    const sent = await send();
    const b = await signIn('mdpone-api');
    const messageId = /href="\/webapp\/translog\/messages\/([^"]+)"/.exec((await get(b, '/webapp/translog')).body)![1]!;
    const detail = await get(b, `/webapp/translog/messages/${messageId}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('LNSPNORTH');
    expect(detail.body).toContain('delivery pending');
    const payload = await get(b, `/webapp/translog/messages/${messageId}/payload`, '*/*');
    expect(payload.statusCode).toBe(200);
    expect(payload.headers['content-disposition']).toBe(`attachment; filename="${sent.id}.json"`);
    expect(payload.json()).toEqual(sent.payload);
    expectProblem(await get(await signIn('othermc-api'), `/webapp/translog/messages/${messageId}`, 'application/json'), 404, 'IDX_ERR_TRANSLOG_MESSAGE_NOT_FOUND');
  });

  it('exports the search as CSV, header first, the user\'s records only', async () => {
    const sent = await send();
    const b = await signIn('lnspnorth-api');
    const csv = await get(b, '/webapp/translog/export.csv?messageStatus=delivery_pending', '*/*');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="translog-LNSPNORTH-\d{8}T\d{6}\.csv"$/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toMatch(/^messageContextId,messageId,/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(sent.id);
    expect(lines[1]).toContain('LNSPNORTH');
    const empty = await get(await signIn('lnspsouth-api'), '/webapp/translog/export.csv', '*/*');
    expect(empty.body.trim().split('\r\n')).toHaveLength(1);
  });
});

describe('Outbound Archive page', () => {
  it('searches, opens by messageContextId, and downloads the hub re-signed copy as zip and gzip', async () => {
    const sent = await send();
    const b = await signIn('lnspnorth-api');
    const list = await get(b, '/webapp/archive?businessFunctionId=pqd');
    expect(list.body).toContain(sent.id);
    expect((await get(b, '/webapp/archive?businessFunctionId=pqd&startDateTime=2026-07-01T00:00&endDateTime=2026-07-01T23:59')).body).not.toContain(sent.id);
    const open = await get(b, `/webapp/archive?messageContextId=${encodeURIComponent(sent.id)}`);
    expect(open.statusCode).toBe(303);
    const view = await get(b, open.headers.location as string);
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain('Hub signature');
    const zip = await get(b, `/webapp/archive/messages/${encodeURIComponent(sent.id)}/download.zip`, '*/*');
    expect(zip.headers['content-type']).toBe('application/zip');
    expect(zip.rawPayload.subarray(0, 2).toString()).toBe('PK');
    expect(zip.rawPayload.includes(Buffer.from(`${sent.id}.json.p7s`))).toBe(true);
    const gz = await get(b, `/webapp/archive/messages/${encodeURIComponent(sent.id)}/download.json.gz`, '*/*');
    expect(JSON.parse(gunzipSync(gz.rawPayload).toString())).toEqual(sent.payload);
    expect(gz.headers['x-signature']).toMatch(/^RSA-SHA256;/);
    expectProblem(await get(await signIn('lnspsouth-api'), `/webapp/archive/messages/${encodeURIComponent(sent.id)}/download.zip`, 'application/json'), 404, 'IDX_ERR_MESSAGE_NOT_FOUND');
  });
});

describe('Flow Control page', () => {
  it('shows the count against the watermarks, samples it on change, and the manual stop made here is seen through the API and costs the same daily quota', async () => {
    const b = await signIn('lnspnorth-api');
    await send();
    h().clock.advance(MINUTE);
    await send();
    const page = await get(b, '/webapp/flow-control');
    expect(page.body).toContain('data-testid="count-pqd">2<');
    expect(page.body).toContain('2 of 2 switches left today');
    const data = (await get(b, '/webapp/flow-control/data.json', 'application/json')).json().businessFunctions[0];
    expect(data.series.map((s: Json) => s.messageCount)).toEqual([1, 2]);
    expect(data.series[1].at - data.series[0].at).toBe(MINUTE);
    expect(data.watermarks).toEqual({ low: h().ctx.config.fcPqdLow, warn: h().ctx.config.fcPqdWarn, high: h().ctx.config.fcPqdHigh });

    const stop = await post(b, '/webapp/flow-control/pqd/delivery', { _csrf: b.csrf, outboundDelivery: 'Stopped' });
    expect(stop.statusCode).toBe(303);
    expect(stop.headers.location).toBe('/webapp/flow-control?switched=Stopped');
    const api = await h().app.inject({ method: 'GET', url: '/fctrl/v1/businessFunctions/pqd?expand=true', headers: await h().as('LNSPNORTH', 'FCTRL_STATUS FCTRL_FCTRL') });
    expect(api.statusCode, api.body).toBe(200);
    expect(api.json().data.outboundDelivery).toBe('Stopped');
    expect((await get(b, '/webapp/flow-control?switched=Stopped')).body).toContain('1 of 2 switches left today');
    // The API's PATCH uses the second switch of the day; the page then has none left and refuses with 429.
    const patch = await h().app.inject({ method: 'PATCH', url: '/fctrl/v1/businessFunctions/pqd', headers: { ...(await h().as('LNSPNORTH', 'FCTRL_FCTRL')), 'content-type': 'application/json' }, payload: { outboundDelivery: 'Started' } });
    expect(patch.statusCode).toBe(200);
    expect((await get(b, '/webapp/flow-control')).body).toContain('0 of 2 switches left today');
    expectProblem(await post(b, '/webapp/flow-control/pqd/delivery', { _csrf: b.csrf, outboundDelivery: 'Stopped' }), 429, 'IDX_ERR_RATE_LIMITED');
  });
});

describe('Participant Status page', () => {
  it('shows the current status of each business function and resource, and an outage and the switches on its history', async () => {
    const b = await signIn('acmemc-api');
    const before = await get(b, '/webapp/status?participantId=LNSPNORTH');
    expect(before.statusCode).toBe(200);
    expect(before.body).not.toContain('Outage in progress');
    const lnsp = await signIn('lnspnorth-api');
    expect((await post(lnsp, '/webapp/flow-control/pqd/delivery', { _csrf: lnsp.csrf, outboundDelivery: 'Stopped' })).statusCode).toBe(303);
    const outage = await h().app.inject({
      method: 'POST', url: '/sim/v1/outages', headers: { ...h().admin(), 'content-type': 'application/json' },
      payload: { outageStart: new Date(T0).toISOString(), outageEnd: new Date(T0 + 60 * MINUTE).toISOString(), description: 'IDX maintenance', participantIds: ['LNSPNORTH'] },
    });
    expect(outage.statusCode, outage.body).toBe(201);
    const after = await get(b, '/webapp/status?participantId=LNSPNORTH');
    expect(after.body).toContain('Outage in progress');
    expect(after.body).toContain('IDX maintenance');
    expect(after.body).toMatch(/<strong>OUTAGE<\/strong>[\s\S]*<strong>MANUAL STOP<\/strong>/);
    expect(after.body).toContain('<span class="badge badge-bad">Outage</span>');
    expectProblem(await get(b, '/webapp/status?participantId=NOBODY', 'application/json'), 404, 'IDX_ERR_PARTICIPANT_NOT_FOUND');
  });
});

describe('Messages page', () => {
  it('lists the LNSP queue; download retrieves the message as the API does, delete removes it', async () => {
    const first = await send();
    const second = await send();
    const b = await signIn('lnspnorth-api');
    const page = await get(b, '/webapp/messages');
    expect(page.body).toContain('data-testid="queue-total">2<');
    const download = await get(b, `/webapp/messages/${encodeURIComponent(first.id)}/download`, '*/*');
    expect(download.json()).toEqual(first.payload);
    const log = (await get(b, `/webapp/translog?messageContextId=${encodeURIComponent(first.id)}`)).body;
    expect(log).toContain('<span class="badge badge-ok">completed</span>');
    expectProblem(await post(b, `/webapp/messages/${encodeURIComponent(second.id)}/delete`, {}), 403, 'IDX_ERR_CSRF_TOKEN');
    const deleted = await post(b, `/webapp/messages/${encodeURIComponent(second.id)}/delete`, { _csrf: b.csrf });
    expect(deleted.headers.location).toBe('/webapp/messages?notice=deleted');
    const after = await get(b, '/webapp/messages?notice=deleted');
    expect(after.body).toContain('data-testid="queue-total">1<');
    expect(after.body).not.toContain(second.id);
    expectProblem(await post(b, `/webapp/messages/${encodeURIComponent(second.id)}/delete`, { _csrf: b.csrf }), 404, 'IDX_ERR_MESSAGE_NOT_FOUND');
  });
});

describe('live-update scoping and form normalisation', () => {
  it('passes a session only the events its entities concern', () => {
    const mc = { clientId: 'm', entitlements: { ACMEMC: { TRANSLOG_TRANSLOG: 'R', FCTRL_STATUS: 'R' } } };
    const translogOnly = { clientId: 't', entitlements: { LNSPNORTH: { TRANSLOG_TRANSLOG: 'R' } } };
    expect(eventVisible(mc, 'ACMEMC', { eventType: 'OUTAGE' })).toBe(true);
    expect(eventVisible(mc, 'ACMEMC', { eventType: 'FLOW_CONTROL' })).toBe(true);
    expect(eventVisible(translogOnly, 'LNSPNORTH', { eventType: 'OUTAGE' })).toBe(false);
    expect(eventVisible(translogOnly, 'LNSPNORTH', { eventType: 'MESSAGE_AVAILABLE' })).toBe(true);
    expect(eventVisible(translogOnly, 'LNSPNORTH', { eventType: 'FLOW_CONTROL' })).toBe(false);
  });

  it('drops empty form fields and reads datetime-local values as AEST market time', () => {
    const request = { query: { a: '', startDateTime: '2026-07-02T09:30', endDateTime: '2026-07-02T09:30:15', toDateTime: 'junk', b: 'x' } };
    normaliseQuery(request as never);
    expect(request.query).toEqual({ startDateTime: '2026-07-02T09:30:00.000+10:00', endDateTime: '2026-07-02T09:30:15.000+10:00', toDateTime: 'junk', b: 'x' });
  });
});
