/**
 * The simulator console's server routes (issue #12): sign-in with the admin key, the CSRF check, and every
 * form acting through the control API — what a form changed is what the control API then answers.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';
import { control, cookieOf, form, signIn, signInForm } from './console-helpers.js';

const reportsDir = mkdtempSync(join(tmpdir(), 'idx-console-reports-'));
afterAll(() => rmSync(reportsDir, { recursive: true, force: true }));

describe('simulator console: sign-in', () => {
  const harness = useHarness({ reportsDir });

  it('sends a browser without a session to the sign-in page, and refuses a form post without one', async () => {
    const h = harness();
    for (const url of ['/console/', '/console/journal', '/console/reports/run/report.html']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toBe(`/console/sign-in?next=${encodeURIComponent(url)}`);
    }
    const post = await h.app.inject({ method: 'POST', url: '/console/clock', ...form({ action: 'freeze' }) });
    expect(post.statusCode).toBe(401);
    expect(post.json().code).toBe('IDX_ERR_WEB_SIGN_IN_REQUIRED');
    expect(h.clock.frozen).toBe(true); // the harness clock is frozen; the post changed nothing
    expect((await control(h, '/clock')).now).toBe('2026-07-02T09:00:00.000+10:00');
  });

  it('refuses a wrong or missing admin key (401 IDX_ERR_ADMIN_KEY on the page) and sets no session', async () => {
    const h = harness();
    for (const key of ['not-the-key', '']) {
      const { pre, csrf } = await signInForm(h);
      const res = await h.app.inject({ method: 'POST', url: '/console/sign-in', headers: { cookie: `idx_sim_console_signin=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, key }).toString() });
      expect(res.statusCode, key).toBe(401);
      expect(res.body).toContain('IDX_ERR_ADMIN_KEY');
      expect(res.body).toMatch(/role="alert"/);
      expect(cookieOf(res, 'idx_sim_console')).toBeUndefined();
    }
  });

  it('signs in with the admin key: an HttpOnly, SameSite=Strict cookie for /console, and the pages open; signing out ends it', async () => {
    const h = harness();
    const { pre, csrf } = await signInForm(h);
    const res = await h.app.inject({ method: 'POST', url: '/console/sign-in', headers: { cookie: `idx_sim_console_signin=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, key: h.ctx.config.adminKey, next: '/console/journal' }).toString() });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/journal');
    const set = ([] as string[]).concat(res.headers['set-cookie'] as string[]).find((c) => c.startsWith('idx_sim_console='))!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\/console/);

    const b = await signIn(h);
    for (const url of ['/console/', '/console/participants', '/console/counterparties', '/console/faults', '/console/journal', '/console/reports']) {
      const page = await b.get(url);
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
      expect(page.body, url).toContain('not part of AEMO&#39;s IDX Web App');
    }
    const out = await b.post('/console/sign-out', {});
    expect(out.statusCode).toBe(303);
    expect((await b.get('/console/')).statusCode).toBe(303);
  });

  it('never redirects after sign-in to another site', async () => {
    const h = harness();
    const { pre, csrf } = await signInForm(h);
    for (const next of ['https://evil.example/', '//evil.example/console/', '/console/../sim/v1/clock']) {
      const res = await h.app.inject({ method: 'POST', url: '/console/sign-in', headers: { cookie: `idx_sim_console_signin=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, key: h.ctx.config.adminKey, next }).toString() });
      expect(res.headers.location, next).toBe('/console/');
    }
  });
});

describe('simulator console: CSRF', () => {
  const harness = useHarness({ reportsDir });

  it('refuses a form post of a signed-in session without its CSRF token, or with another one (403 IDX_ERR_CSRF_TOKEN), and changes nothing', async () => {
    const h = harness();
    h.clock.unfreeze();
    h.clock.freeze(Date.parse('2026-07-02T09:00:00+10:00'));
    const b = await signIn(h);
    // The last: as many characters as a token, more bytes (it was a 500: timingSafeEqual throws on buffers of different lengths).
    for (const token of [undefined, 'f'.repeat(64), `${'f'.repeat(63)}\u00e9`]) {
      const res = await h.app.inject({ method: 'POST', url: '/console/clock', headers: { cookie: b.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ action: 'advance', duration: 'P1D', ...(token ? { _csrf: token } : {}) }).toString() });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('IDX_ERR_CSRF_TOKEN');
    }
    expect((await control(h, '/clock')).now).toBe('2026-07-02T09:00:00.000+10:00');
  });

  it('refuses a sign-in post without the sign-in form token', async () => {
    const h = harness();
    const res = await h.app.inject({ method: 'POST', url: '/console/sign-in', ...form({ key: h.ctx.config.adminKey }) });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('IDX_ERR_CSRF_TOKEN');
  });

  it('refuses a post from another origin even with the token', async () => {
    const h = harness();
    const b = await signIn(h);
    await b.get('/console/');
    const res = await h.app.inject({ method: 'POST', url: '/console/clock', headers: { cookie: b.cookie, origin: 'https://evil.example', host: 'localhost:8443', 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ action: 'freeze', _csrf: b.csrf }).toString() });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('IDX_ERR_CSRF_TOKEN');
  });
});

describe('simulator console: forms act through the control API', () => {
  const harness = useHarness({ reportsDir });

  it('clock: +1 day, a custom ISO duration, set, unfreeze and freeze', async () => {
    const h = harness();
    const b = await signIn(h);
    const res = await b.post('/console/clock', { action: 'advance', duration: 'P1D' });
    expect(res.statusCode).toBe(303);
    expect((await control(h, '/clock')).now).toBe('2026-07-03T09:00:00.000+10:00');
    expect((await b.get('/console/')).body).toContain('Clock advanced by P1D: now 2026-07-03 09:00:00 AEST');
    await b.post('/console/clock', { action: 'advance', duration: 'PT90M' });
    expect((await control(h, '/clock')).now).toBe('2026-07-03T10:30:00.000+10:00');
    await b.post('/console/clock', { action: 'set', dateTime: '2026-07-16T09:00' });
    expect((await control(h, '/clock')).now).toBe('2026-07-16T09:00:00.000+10:00');
    await b.post('/console/clock', { action: 'unfreeze' });
    expect((await control(h, '/clock')).frozen).toBe(false);
    await b.post('/console/clock', { action: 'freeze' });
    expect((await control(h, '/clock')).frozen).toBe(true);
  });

  it('clock: a duration that is not ISO 8601, and a date outside the simulated range, are refused inline', async () => {
    const h = harness();
    const b = await signIn(h);
    let res = await b.post('/console/clock', { action: 'advance', duration: 'tomorrow' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('IDX_ERR_FORM_INVALID');
    expect(res.body).toMatch(/id="duration"[^>]*aria-invalid="true"/);
    expect(res.body).toContain('value="tomorrow"');
    res = await b.post('/console/clock', { action: 'set', dateTime: '2150-01-01T00:00' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('IDX_ERR_SCHEMA_INVALID'); // the control API's own refusal, shown as is
    expect(res.body).toMatch(/id="dateTime"[^>]*aria-invalid="true"/);
    expect((await control(h, '/clock')).now).toBe('2026-07-02T09:00:00.000+10:00');
  });

  it('churn: the new MDP holds the NMI from the date, as the control API says; a later change is refused with the API’s 409', async () => {
    const h = harness();
    const b = await signIn(h);
    const res = await b.post('/console/churn', { nmi: '4102000001', fromDate: '2026-08-01', MC: '', MDP: 'MDPTWO', LNSP: '' });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    const nmi = (await control(h, '/nmis/4102000001')).data;
    expect(nmi.roles.filter((r: { role: string }) => r.role === 'MDP').map((r: { participantId: string; fromDate: string; toDate: string | null }) => [r.participantId, r.fromDate, r.toDate]))
      .toEqual([['MDPONE', '2026-01-01', '2026-07-31'], ['MDPTWO', '2026-08-01', null]]);
    const page = await b.get('/console/participants');
    expect(page.body).toContain('NMI 4102000001 churned from 2026-08-01: MDP → MDPTWO.');

    const refused = await b.post('/console/churn', { nmi: '4102000001', fromDate: '2026-07-20', MDP: 'MDPONE' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('IDX_ERR_SIM_CONFLICT');
    expect(refused.body).toMatch(/id="churn-from"[^>]*aria-invalid="true"/);
    const wrongRole = await b.post('/console/churn', { nmi: '4102000001', fromDate: '2026-09-01', MDP: 'LNSPNORTH' });
    expect(wrongRole.statusCode).toBe(400);
    expect(wrongRole.body).toMatch(/id="churn-MDP"[^>]*aria-invalid="true"/);
    expect(wrongRole.body).toContain('LNSPNORTH is an LNSP, not an MDP');
  });

  it('counterparties: start one, stop and start it, change its policy, remove it — each seen through the control API', async () => {
    const h = harness();
    const b = await signIn(h);
    let res = await b.post('/console/counterparties', { kind: 'lnsp', participantId: 'LNSPNORTH', policy: 'get-only' });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    const [cp] = (await control(h, '/counterparties')).data;
    expect(cp).toMatchObject({ state: 'running', spec: { kind: 'lnsp', participantId: 'LNSPNORTH', policy: 'get-only' } });
    await b.post(`/console/counterparties/${cp.id}`, { action: 'pause' });
    expect((await control(h, `/counterparties/${cp.id}`)).data.state).toBe('paused');
    await b.post(`/console/counterparties/${cp.id}`, { action: 'resume' });
    expect((await control(h, `/counterparties/${cp.id}`)).data.state).toBe('running');
    await b.post(`/console/counterparties/${cp.id}`, { action: 'policy', policy: 'stopped' });
    expect((await control(h, `/counterparties/${cp.id}`)).data.spec.policy).toBe('stopped');
    expect((await b.get('/console/counterparties')).body).toContain(`Counterparty ${cp.id} now stopped.`);
    await b.post(`/console/counterparties/${cp.id}`, { action: 'remove' });
    expect((await control(h, '/counterparties')).data).toEqual([]);

    res = await b.post('/console/counterparties', { kind: 'lnsp', participantId: 'ACMEMC', policy: 'normal' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('ACMEMC is an MC, not an LNSP');
    expect(res.body).toMatch(/id="cp-participant"[^>]*aria-invalid="true"/);
  });

  it('faults: inject, switch off, clear — and an outage announced', async () => {
    const h = harness();
    const b = await signIn(h);
    let res = await b.post('/console/faults', { kind: 'error', status: '503', api: 'pqd', operationId: 'submitBpqd', participantId: 'MDPONE', share: '0.5', description: 'flapping gateway' });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    const [rule] = (await control(h, '/faults')).data;
    expect(rule).toMatchObject({ kind: 'error', status: 503, api: 'pqd', operationId: 'submitBpqd', participantId: 'MDPONE', share: 0.5, active: true });
    await b.post(`/console/faults/${rule.id}`, { action: 'disable' });
    expect((await control(h, `/faults/${rule.id}`)).data.enabled).toBe(false);
    await b.post('/console/faults/clear', {});
    expect((await control(h, '/faults')).data).toEqual([]);

    res = await b.post('/console/faults', { kind: 'latency', status: '503' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/id="f-latency"[^>]*aria-invalid="true"/);

    res = await b.post('/console/outages', { outageStart: '2026-07-02T10:00', outageEnd: '2026-07-02T12:00', description: 'PQD maintenance', participantIds: 'LNSPNORTH', apis: 'pqd' });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    expect((await control(h, '/outages')).data).toEqual([expect.objectContaining({
      outageStart: '2026-07-02T10:00:00.000+10:00', outageEnd: '2026-07-02T12:00:00.000+10:00', participantIds: ['LNSPNORTH'], apis: ['pqd'], state: 'scheduled' })]);
    expect((await b.get('/console/faults')).body).toContain('PQD maintenance');
  });
});

describe('simulator console: journal and reports', () => {
  const harness = useHarness({ reportsDir });

  it('lists the journal newest first, filters it, pages it, and the live tail returns only newer rows', async () => {
    const h = harness();
    const b = await signIn(h);
    const lnsp = await h.as('LNSPNORTH');
    await h.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: lnsp });
    await h.submit('MDPONE', h.payload({ sender: 'MDPONE' }));
    const page = await b.get('/console/journal');
    expect(page.statusCode).toBe(200);
    const order = [...page.body.matchAll(/<span class="method">(\w+)<\/span> <code class="path">([^<]+)<\/code>/g)].map((m) => `${m[1]} ${m[2]}`);
    // Newest first: the submission, the token it took, the queue listing, its token.
    expect(order).toEqual(['POST /pqd/v1/bpqd', 'POST /oauth/v1/token', 'GET /pqd/v1/bpqd', 'POST /oauth/v1/token']);
    expect(page.body).not.toContain('/console/'.concat('journal</code>')); // the console itself is not journalled
    // Bodies are shown as the journal keeps them: secrets masked, a long body marked as cut.
    expect(page.body).toMatch(/client_secret(&quot;)?[:=](&quot;)?\*\*\*/);
    expect(page.body).not.toContain('lnspnorth-secret');
    expect(page.body).toMatch(/Request <span class="muted">\d+ bytes, cut \(IDX_SIM_JOURNAL_BODY_BYTES\)/);

    const filtered = await b.get('/console/journal?participantId=MDPONE&method=post&path=%2Fpqd%2Fv1');
    const rows = [...filtered.body.matchAll(/<tr data-id="(\d+)">/g)].map((m) => Number(m[1]));
    expect(rows).toHaveLength(1);
    expect(filtered.body).toContain('MDPONE');

    const newest = Math.max(...[...page.body.matchAll(/<tr data-id="(\d+)">/g)].map((m) => Number(m[1])));
    expect((await b.get(`/console/journal/rows?after=${newest}`)).body.trim()).toBe('');
    await h.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: lnsp });
    const tail = await b.get(`/console/journal/rows?after=${newest}`);
    expect([...tail.body.matchAll(/<tr data-id="(\d+)">/g)]).toHaveLength(1);

    const bad = await b.get('/console/journal?status=abc');
    expect(bad.statusCode).toBe(200);
    expect(bad.body).toContain('status &quot;abc&quot; is not an HTTP status');
  });

  it('pages older entries 50 at a time', async () => {
    const h = harness();
    const b = await signIn(h);
    for (let i = 0; i < 60; i++) h.ctx.journal.append({ at: h.clock.now(), participantId: 'LNSPNORTH', method: 'GET', path: `/pqd/v1/bpqd/${i}`, query: null, operationId: null,
      status: 200, code: null, traceId: `t${i}`, messageContextId: null, durationMs: 1, faultRuleId: null, request: null, response: null });
    const first = await b.get('/console/journal');
    const ids = [...first.body.matchAll(/<tr data-id="(\d+)">/g)].map((m) => Number(m[1]));
    expect(ids).toHaveLength(50);
    const older = /href="(\/console\/journal\?before=\d+)"/.exec(first.body)![1]!;
    const second = await b.get(older);
    const more = [...second.body.matchAll(/<tr data-id="(\d+)">/g)].map((m) => Number(m[1]));
    expect(more).toHaveLength(10);
    expect(Math.max(...more)).toBeLessThan(Math.min(...ids));
  });

  it('lists scenario runs and serves report.html and results.json; an empty state without runs', async () => {
    const h = harness();
    const b = await signIn(h);
    expect((await b.get('/console/reports')).body).toContain('No scenario runs yet');
    const run = join(reportsDir, 'run-2026-07-02-0900');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'report.html'), '<!doctype html><title>evidence</title><p>all good</p>');
    writeFileSync(join(run, 'results.json'), JSON.stringify({ runId: 'run-1', startedAt: '2026-11-30T19:00:00Z', finishedAt: '2026-11-30T19:01:00Z', durationMs: 60000, scenarios: [{}, {}],
      summary: { total: 2, passed: 1, failed: 1, notRun: 0, highPriority: { total: 1, passed: 1 }, entryCriteria: [], exitCriteria: [], openDefects: 1 } }));
    const list = await b.get('/console/reports');
    expect(list.body).toContain('run-2026-07-02-0900');
    expect(list.body).toContain('1 failed');
    const report = await b.get('/console/reports/run-2026-07-02-0900/report.html');
    expect(report.statusCode).toBe(200);
    expect(report.body).toContain('all good');
    expect(report.headers['content-security-policy']).toMatch(/^sandbox/);
    expect((await b.get('/console/reports/run-2026-07-02-0900/results.json')).json().runId).toBe('run-1');
  });

  it('refuses path traversal on report files: 404, and no file outside the run folders is read', async () => {
    const h = harness();
    const b = await signIn(h);
    writeFileSync(join(reportsDir, 'secret.txt'), 'do not serve');
    mkdirSync(join(reportsDir, 'linked'), { recursive: true });
    try {
      symlinkSync(join(process.cwd(), 'package.json'), join(reportsDir, 'linked', 'results.json'));
    } catch { /* already there from a previous run of this file */ }
    for (const url of [
      '/console/reports/..%2F..%2F..%2Fpackage.json/report.html', '/console/reports/../package.json', '/console/reports/%2E%2E/results.json',
      '/console/reports/run-2026-07-02-0900/..%2F..%2Fsecret.txt', '/console/reports/run-2026-07-02-0900/package.json', '/console/reports/linked/results.json',
      '/console/reports/..%5C..%5Cpackage.json/report.html',
    ]) {
      const res = await b.get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toContain('do not serve');
      expect(res.body, url).not.toContain('"name": "idx-sim"');
    }
  });
});
