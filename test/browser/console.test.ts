/**
 * The simulator console in a real browser (issue #12, Done-when 1–3): Debian's Chromium signs in with the
 * admin key, advances the clock, adds a churn, starts counterparties, injects a fault and an outage, and
 * reads the journal — each change checked through the control API, every page checked by axe-core (no
 * serious or critical violation) and saved as a screenshot for docs/screenshots/console-*.png. The hub
 * is the real server (`idx-sim start`, HTTPS) on a free port; nothing leaves the machine.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { assertOffline, describeViolations, launchBrowser, openGuardedPage, runAxe, saveScreenshot, type GuardedPage } from './helpers/browser.js';

let dir = '';
let server: RunningServer;
let browser: Browser;
let guarded: GuardedPage;
let page: Page;

/** The control API's answer, as a script would read it (in process: same routes, same key). */
async function control(path: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await server.app.inject({ method: 'GET', url: `/sim/v1${path}`, headers: { authorization: `Bearer ${server.ctx.config.adminKey}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** A request of a participant's own system over mTLS: it must show up in the console's journal. */
async function participantRequest(participantId: string, path: string, init: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {}) {
  const p = pkiPaths(join(dir, 'certs'));
  const agent = new Agent({ connect: { ca: readFileSync(p.caCert), cert: readFileSync(p.participantCert(participantId, 'primary')), key: readFileSync(p.participantKey(participantId, 'primary')) } });
  try {
    const res = await request(`${server.url}${path}`, { method: init.method ?? 'GET', dispatcher: agent, headers: init.headers, body: init.body });
    return { status: res.statusCode, json: await res.body.json().catch(() => undefined) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  } finally {
    await agent.close();
  }
}

/** How far the page scrolls sideways (0: it fits the viewport). */
const sidewaysOverflow = () => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as Promise<number>;

async function expectAccessible(name: string): Promise<void> {
  const violations = await runAxe(page);
  expect(violations, `${name}: ${describeViolations(violations)}`).toEqual([]);
}

async function submitAndWait(action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
}

/** A scenario run folder as the runner writes it (src/scenario/result-model.ts), for the reports page. */
function writeSampleRun(reportsDir: string): void {
  const run = join(reportsDir, '2026-07-15T083000-table7-smoke');
  mkdirSync(run, { recursive: true });
  const scenario = (id: string, outcome: string) => ({ id, title: id, file: `scenarios/${id}.yaml`, tags: [], priority: 'high', trace: {}, mode: 'hub', participants: [], outcome, durationMs: 800, steps: [], defectIds: [] });
  writeFileSync(join(run, 'results.json'), JSON.stringify({
    schemaVersion: 1, runId: 'table7-smoke', startedAt: '2026-11-30T19:40:00.000Z', finishedAt: '2026-11-30T19:40:12.400Z', durationMs: 12400,
    scenarios: [scenario('api-submit', 'passed'), scenario('api-metadata', 'passed'), scenario('api-manual-stop', 'passed'), scenario('churn-mdp-frmp', 'failed')],
    defects: [], summary: { total: 4, passed: 3, failed: 1, notRun: 0, highPriority: { total: 4, passed: 3 }, entryCriteria: [], exitCriteria: [], openDefects: 1 },
  }));
  writeFileSync(join(run, 'report.html'), '<!doctype html><html lang="en"><title>Evidence: table7-smoke</title><h1>Evidence report</h1><p>3 of 4 scenarios passed.</p></html>');
  const older = join(reportsDir, '2026-07-14T090000-nightly');
  mkdirSync(older, { recursive: true });
  writeFileSync(join(older, 'results.json'), JSON.stringify({
    schemaVersion: 1, runId: 'nightly', startedAt: '2026-11-29T19:00:00.000Z', finishedAt: '2026-11-29T19:02:41.000Z', durationMs: 161000,
    scenarios: Array.from({ length: 12 }, (_, i) => scenario(`s${i}`, 'passed')), defects: [],
    summary: { total: 12, passed: 12, failed: 0, notRun: 0, highPriority: { total: 7, passed: 7 }, entryCriteria: [], exitCriteria: [], openDefects: 0 },
  }));
  writeFileSync(join(older, 'report.html'), '<!doctype html><title>nightly</title>');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'idx-console-browser-'));
  const reportsDir = join(dir, 'reports');
  writeSampleRun(reportsDir);
  server = await startServer({
    port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir: join(dir, 'data'), certsDir: join(dir, 'certs'), fixturesDir: join(PROJECT_ROOT, 'fixtures'),
    clockStart: '2026-07-14T08:00:00.000+10:00', clockFrozen: true, seed: 'console-browser', reportsDir, counterpartyTickMs: 0, profile: 'ci',
  });
  browser = await launchBrowser();
  guarded = await openGuardedPage(browser);
  page = guarded.page;
  // The dev CA is not one Chromium knows: accept the hub's certificate for this page only.
  const cdp = await guarded.context.newCDPSession(page);
  await cdp.send('Security.setIgnoreCertificateErrors', { ignore: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('simulator console in Chromium', () => {
  it('refuses a wrong key, then signs in with the admin key', async () => {
    await page.goto(`${server.url}/console/`);
    expect(page.url()).toContain('/console/sign-in');
    await expectAccessible('sign-in');
    await saveScreenshot(page, 'console-sign-in');
    await page.getByLabel('Admin key').fill('wrong-key');
    await submitAndWait(() => page.getByRole('button', { name: 'Sign in' }).click());
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('IDX_ERR_ADMIN_KEY');
    await page.getByLabel('Admin key').fill(server.ctx.config.adminKey);
    await submitAndWait(() => page.getByRole('button', { name: 'Sign in' }).click());
    expect(new URL(page.url()).pathname).toBe('/console/');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Simulated clock');
  });

  it('advances the clock by +1 day and by a custom ISO duration; the control API agrees', async () => {
    await submitAndWait(() => page.getByRole('button', { name: '+1 day' }).click());
    expect((await control('/clock')).now).toBe('2026-07-15T08:00:00.000+10:00');
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('now 2026-07-15 08:00:00 AEST');
    await page.getByLabel('ISO 8601 duration').fill('PT90M');
    await submitAndWait(() => page.getByRole('button', { name: 'Advance', exact: true }).click());
    expect((await control('/clock')).now).toBe('2026-07-15T09:30:00.000+10:00');
    await expect.poll(() => page.locator('.clock-big').textContent()).toBe('2026-07-15 09:30:00');
  });

  it('adds a churn from the form; a refused one shows the control API’s problem next to the field', async () => {
    await page.getByRole('link', { name: 'Participants & NMIs' }).click();
    await page.getByLabel('NMI', { exact: true }).selectOption('4102000002');
    await page.getByLabel('From market date').fill('2026-07-20');
    await page.getByLabel('New MDP').selectOption('MDPTWO');
    await submitAndWait(() => page.getByRole('button', { name: 'Add churn' }).click());
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('NMI 4102000002 churned from 2026-07-20');
    const mdp = (await control('/nmis/4102000002')).data.roles.filter((r: { role: string }) => r.role === 'MDP');
    expect(mdp.map((r: { participantId: string; fromDate: string }) => `${r.participantId} ${r.fromDate}`)).toEqual(['MDPONE 2026-01-01', 'MDPTWO 2026-07-20']);

    await page.getByLabel('NMI', { exact: true }).selectOption('4102000002');
    await page.getByLabel('From market date').fill('2026-07-18');
    await page.getByLabel('New MDP').selectOption('MDPONE');
    await submitAndWait(() => page.getByRole('button', { name: 'Add churn' }).click());
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('IDX_ERR_SIM_CONFLICT');
    expect(await page.getByLabel('From market date').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible('participants (with a refusal)');
  });

  it('starts counterparties that then call the API; stop and start one', async () => {
    await page.getByRole('link', { name: 'Counterparties' }).click();
    await expectAccessible('counterparties (empty)');
    await page.getByLabel('Kind').selectOption('sender');
    await page.getByLabel('Participant').selectOption('MDPONE');
    await page.getByLabel('Sender: every N minutes').fill('30');
    await submitAndWait(() => page.getByRole('button', { name: 'Start', exact: true }).click());
    await page.getByLabel('Kind').selectOption('lnsp');
    await page.getByLabel('Participant').selectOption('LNSPNORTH');
    await page.getByLabel('LNSP policy').selectOption('normal');
    await submitAndWait(() => page.getByRole('button', { name: 'Start', exact: true }).click());
    await page.getByLabel('Kind').selectOption('lnsp');
    await page.getByLabel('Participant').selectOption('LNSPSOUTH');
    await page.getByLabel('LNSP policy').selectOption('get-only');
    await submitAndWait(() => page.getByRole('button', { name: 'Start', exact: true }).click());
    const started = (await control('/counterparties')).data;
    expect(started.map((c: { spec: { participantId: string }; state: string }) => `${c.spec.participantId} ${c.state}`)).toEqual(['MDPONE running', 'LNSPNORTH running', 'LNSPSOUTH running']);

    // Two hours later the sender has four half-hour windows to send; the LNSPs drain what reached them.
    await server.app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: { authorization: `Bearer ${server.ctx.config.adminKey}` }, payload: { advanceSeconds: 7200 } });
    await submitAndWait(() => page.getByRole('button', { name: 'Run what is due now' }).click());
    await submitAndWait(() => page.getByRole('button', { name: 'Run what is due now' }).click());
    const sender = (await control('/counterparties')).data.find((c: { spec: { participantId: string } }) => c.spec.participantId === 'MDPONE');
    expect(sender.stats.accepted).toBeGreaterThan(0);

    const south = started.find((c: { spec: { participantId: string } }) => c.spec.participantId === 'LNSPSOUTH');
    await submitAndWait(() => page.getByRole('button', { name: `Stop ${south.id}` }).click());
    expect((await control(`/counterparties/${south.id}`)).data.state).toBe('paused');
    await submitAndWait(() => page.getByRole('button', { name: `Start ${south.id}` }).click());
    expect((await control(`/counterparties/${south.id}`)).data.state).toBe('running');
    await submitAndWait(() => page.getByRole('button', { name: `Stop ${south.id}` }).click());
    await expectAccessible('counterparties');
    await saveScreenshot(page, 'console-counterparties', { fullPage: true });
  });

  it('injects a fault and announces an outage; the control API lists them', async () => {
    await page.getByRole('link', { name: 'Faults & outages' }).click();
    await page.getByLabel('Kind').selectOption('error');
    await page.getByLabel('Error: status').selectOption('503');
    await page.getByLabel('API', { exact: true }).selectOption('pqd');
    await page.getByLabel('Operation').fill('submitBpqd');
    await page.getByLabel('Participant', { exact: true }).selectOption('MDPTWO');
    await page.getByLabel('Share of requests (0–1)').fill('0.25');
    await page.getByLabel('Description', { exact: true }).first().fill('Gateway flaps for MDPTWO during the morning run');
    await submitAndWait(() => page.getByRole('button', { name: 'Inject' }).click());
    const latency = { kind: 'latency', latencyMs: '1500', api: 'fctrl', description: 'Slow flow-control answers' };
    await page.getByLabel('Kind').selectOption(latency.kind);
    await page.getByLabel('Latency: ms').fill(latency.latencyMs);
    await page.getByLabel('API', { exact: true }).selectOption(latency.api);
    await page.getByLabel('Description', { exact: true }).first().fill(latency.description);
    await submitAndWait(() => page.getByRole('button', { name: 'Inject' }).click());
    expect((await control('/faults')).data.map((f: { kind: string; active: boolean }) => `${f.kind} ${f.active}`)).toEqual(['error true', 'latency true']);
    await submitAndWait(() => page.getByRole('button', { name: 'Switch off rule 2' }).click());

    await page.getByLabel('Start (AEST)').fill('2026-07-16T22:00');
    await page.getByLabel('End (AEST)').fill('2026-07-17T02:00');
    await page.locator('#o-description').fill('Planned maintenance of the PQD API');
    await page.getByLabel('APIs').fill('pqd');
    await submitAndWait(() => page.getByRole('button', { name: 'Announce' }).click());
    expect((await control('/outages')).data).toEqual([expect.objectContaining({ description: 'Planned maintenance of the PQD API', apis: ['pqd'], state: 'scheduled' })]);
    await expectAccessible('faults');
    await saveScreenshot(page, 'console-faults', { fullPage: true });
  });

  it('shows the journal with the requests made, newest first, filtered by participant', async () => {
    // A request of this test's own: MDPONE's system asks for a token with a wrong secret.
    const refused = await participantRequest('MDPONE', '/oauth/v1/token', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=mdpone-api&client_secret=not-it&scope=PQD_BPQD',
    });
    expect(refused.status).toBe(401);
    await page.getByRole('link', { name: 'Request journal' }).click();
    const first = page.locator('#journal-rows tr').first();
    await expect.poll(() => first.textContent()).toContain('/oauth/v1/token');
    expect(await first.textContent()).toContain(refused.json.code);
    expect(await page.locator('#journal-rows tr').count()).toBeGreaterThan(5);
    await expectAccessible('journal');
    await saveScreenshot(page, 'console-journal');

    await page.getByLabel('Participant').selectOption('LNSPNORTH');
    await submitAndWait(() => page.getByRole('button', { name: 'Filter' }).click());
    const participants = await page.locator('#journal-rows tr td:nth-child(2)').allTextContents();
    expect(participants.length).toBeGreaterThan(0);
    expect(new Set(participants.map((t) => t.trim()))).toEqual(new Set(['LNSPNORTH']));
  });

  it('tails the journal live: a new request appears without reloading', async () => {
    await page.goto(`${server.url}/console/journal`);
    await page.getByLabel('Live tail').check();
    const before = await page.locator('#journal-rows tr').count();
    await participantRequest('LNSPSOUTH', '/pqd/v1/bpqd');
    await expect.poll(() => page.locator('#journal-rows tr').count(), { timeout: 10_000 }).toBe(before + 1);
    expect(await page.locator('#journal-rows tr').first().textContent()).toContain('LNSPSOUTH');
    await page.getByLabel('Live tail').uncheck();
  });

  it('shows the other pages: clock, participants and NMIs, scenario reports', async () => {
    await page.goto(`${server.url}/console/`);
    await expectAccessible('clock');
    await saveScreenshot(page, 'console-clock', { fullPage: true });
    await page.goto(`${server.url}/console/participants`);
    await expectAccessible('participants');
    await saveScreenshot(page, 'console-participants', { fullPage: true });
    await page.goto(`${server.url}/console/reports`);
    await expectAccessible('reports');
    expect(await page.locator('tbody tr').count()).toBe(2);
    await saveScreenshot(page, 'console-reports');
    const href = await page.getByRole('link', { name: 'report.html' }).first().getAttribute('href');
    expect(href).toBe('/console/reports/2026-07-15T083000-table7-smoke/report.html');
    const report = await page.goto(`${server.url}${href}`);
    expect(report?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Evidence report');
  });

  it('is usable at 400 px', async () => {
    await page.setViewportSize({ width: 400, height: 860 });
    await page.goto(`${server.url}/console/`);
    await expectAccessible('clock at 400 px');
    expect(await sidewaysOverflow(), 'no sideways scrolling of the page').toBeLessThanOrEqual(0);
    await saveScreenshot(page, 'console-clock-400px', { fullPage: true });
    await page.goto(`${server.url}/console/participants`);
    expect(await sidewaysOverflow()).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  it('unfreezes the clock, which then ticks on the page without reloading, and freezes it again', async () => {
    await page.goto(`${server.url}/console/`);
    await submitAndWait(() => page.getByRole('button', { name: 'Unfreeze' }).click());
    expect((await control('/clock')).frozen).toBe(false);
    const shown = await page.locator('.clock-big').textContent();
    await expect.poll(() => page.locator('.clock-big').textContent(), { timeout: 5000 }).not.toBe(shown);
    await submitAndWait(() => page.getByRole('button', { name: 'Freeze' }).click());
    expect((await control('/clock')).frozen).toBe(true);
  });

  it('made no request that left the machine, and threw no script error', async () => {
    assertOffline(guarded);
    // The refused sign-in (401) and churn (409) answered with their status on purpose; Chromium logs each.
    expect(guarded.pageErrors.filter((e) => !/^Failed to load resource: the server responded with a status of (401|409)/.test(e))).toEqual([]);
  });

  it('signs out', async () => {
    await page.goto(`${server.url}/console/`);
    await submitAndWait(() => page.getByRole('button', { name: 'Sign out' }).click());
    expect(page.url()).toContain('/console/sign-in');
    await page.goto(`${server.url}/console/journal`);
    expect(page.url()).toContain('/console/sign-in');
  });
});
