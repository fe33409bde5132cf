/**
 * The IDX Web App in a real browser (issue #12 Done-when 1–3): Debian's Chromium through playwright-core
 * against a hub built like the API tests' (test/helpers/harness.ts) and listening on a free loopback port.
 * Seed data goes in through the IDX APIs first (MCs and MDPs posting to LNSPNORTH over simulated time, the
 * LNSP retrieving and deleting), then an LNSP user and an MC user work through seed 000 Table 7's Web App
 * scenarios. Every page is checked with axe-core (no serious or critical violation), no request leaves the
 * machine, and each page is saved to docs/screenshots/webapp-*.png for the README.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type Json } from '../helpers/harness.js';
import { assertOffline, describeViolations, launchBrowser, openGuardedPage, runAxe, saveScreenshot, type GuardedPage } from './helpers/browser.js';

const MINUTE = 60_000;
let h: Harness;
let browser: Browser;
let base: string;
const guarded: GuardedPage[] = [];

async function send(sender: string, nmi: string, recipient: string, priority: 'h' | 'm' | 'l' = 'l'): Promise<string> {
  const res = await h.submit(sender, h.payload({ sender, nmis: [nmi], recipients: [recipient], priority, intervalCount: 12 }));
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data.messageContextId as string;
}

async function api(participantId: string, method: 'GET' | 'DELETE', url: string, scope?: string) {
  return h.app.inject({ method, url, headers: await h.as(participantId, scope) });
}

/** Realistic traffic: LNSPNORTH's queue fills to the High watermark (10), is drained below Low (5), fills again. */
async function seed(): Promise<{ lnspNorth: string[] }> {
  const lnspNorth: string[] = [];
  const senders: Array<[string, string]> = [['MDPONE', '4102000001'], ['ACMEMC', '4102000002'], ['GRIDCOMDP', '4102000021'], ['MDPONE', '4102000003'], ['GRIDCOMC', '4102000022']];
  for (let i = 0; i < 10; i++) {
    h.clock.advance(3 * MINUTE + i * 20_000);
    const [sender, nmi] = senders[i % senders.length]!;
    lnspNorth.push(await send(sender, nmi, 'LNSPNORTH', i % 4 === 0 ? 'm' : 'l'));
  }
  await send('ACMEMC', '6102000001', 'LNSPSOUTH');
  // The LNSP drains its queue: six retrieved, one deleted.
  for (const id of lnspNorth.slice(0, 6)) {
    h.clock.advance(2 * MINUTE);
    expect((await api('LNSPNORTH', 'GET', `/pqd/v1/bpqd/${id}`)).statusCode).toBe(200);
  }
  expect((await api('LNSPNORTH', 'DELETE', `/pqd/v1/bpqd/${lnspNorth[6]}`)).statusCode).toBe(204);
  for (let i = 0; i < 3; i++) {
    h.clock.advance(4 * MINUTE);
    lnspNorth.push(await send(senders[i]![0], senders[i]![1], 'LNSPNORTH'));
  }
  // A refused request (an NMI ACMEMC is not responsible for) lands in ACMEMC's transaction log as message_rejected.
  const refused = await h.submit('ACMEMC', h.payload({ sender: 'ACMEMC', nmis: ['4102000021'], recipients: ['LNSPNORTH'] }));
  expect(refused.statusCode).toBe(422);
  h.clock.advance(5 * MINUTE);
  return { lnspNorth };
}

async function signIn(username: string, viewport?: { width: number; height: number }): Promise<Page> {
  const g = await openGuardedPage(browser, viewport);
  guarded.push(g);
  const { page } = g;
  await page.goto(`${base}/webapp/`);
  await page.waitForURL(/\/webapp\/sign-in\?next=/);
  await page.fill('#username', username);
  await page.fill('#password', username.replace(/-api$/, '-secret'));
  await Promise.all([page.waitForURL(`${base}/webapp/`), page.click('button[type=submit]')]);
  return page;
}

const navLabels = (page: Page) => page.locator('nav.site-nav a').allTextContents();

async function accessible(page: Page, name: string): Promise<void> {
  const violations = await runAxe(page);
  expect(violations, `${name}: ${describeViolations(violations)}`).toEqual([]);
}

async function download(page: Page, click: () => Promise<unknown>): Promise<{ name: string; body: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: file.suggestedFilename(), body: readFileSync((await file.path())!) };
}

let seeded: { lnspNorth: string[] };

beforeAll(async () => {
  h = await createHarness({ fcPqdLow: 5, fcPqdWarn: 8, fcPqdHigh: 10 });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  seeded = await seed();
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const g of guarded) await g.context.close();
  await browser?.close();
  await h?.close();
});

describe('IDX Web App in Chromium', () => {
  it('signs an LNSP user in (x-ss-id cookie), shows every interface Table 3 gives an LNSP, and signs out', async () => {
    const page = await signIn('lnspnorth-api');
    expect(await navLabels(page)).toEqual(['Home', 'Transaction Log', 'Outbound Archive', 'Flow Control', 'Participant Status', 'Messages']);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'x-ss-id')!;
    expect(cookie.value).toMatch(/^[0-9a-f]{64}$/);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/webapp' });
    await expect.poll(() => page.locator('#live-status').getAttribute('data-state')).toBe('open');
    await accessible(page, 'home');
    await saveScreenshot(page, 'webapp-home', { fullPage: true });
    await Promise.all([page.waitForURL(/sign-in\?signedOut=1/), page.click('button:has-text("Sign out")')]);
    await accessible(page, 'sign-in');
    await saveScreenshot(page, 'webapp-sign-in');
    await page.goto(`${base}/webapp/translog`);
    await page.waitForURL(/\/webapp\/sign-in\?next=%2Fwebapp%2Ftranslog/);
  });

  it('Transaction Log: filter, sort, advanced search, view a message and its history, download the payload, export CSV', async () => {
    const page = await signIn('lnspnorth-api');
    await page.click('nav >> text=Transaction Log');
    await page.waitForURL(`${base}/webapp/translog`);
    expect(await page.locator('#translog-results tbody tr').count()).toBe(13);
    await accessible(page, 'translog');
    await saveScreenshot(page, 'webapp-translog', { fullPage: true });

    // Filter by sender.
    await page.fill('#f-fromParticipant', 'MDPONE');
    await Promise.all([page.waitForURL(/fromParticipant=MDPONE/), page.click('button:has-text("Search")')]);
    const senders = await page.locator('#translog-results tbody tr td:nth-child(2)').allTextContents();
    expect(senders.length).toBeGreaterThan(0);
    expect(new Set(senders)).toEqual(new Set(['MDPONE']));

    // Sorted by received time, oldest first, by default; a click on the header turns it, another turns it back.
    await page.goto(`${base}/webapp/translog`);
    const received = () => page.locator('#translog-results tbody tr td:nth-child(5) time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime')!));
    expect(await received()).toEqual([...(await received())].sort());
    await Promise.all([page.waitForURL(/sort=-receivedDateTime/), page.click('th >> text=Received')]);
    expect(await page.locator('th[aria-sort="descending"]').textContent()).toBe('Received');
    const newestFirst = await received();
    expect(newestFirst).toEqual([...newestFirst].sort().reverse());
    expect(newestFirst[0]).not.toBe(newestFirst[newestFirst.length - 1]);
    await Promise.all([page.waitForURL(/sort=receivedDateTime/), page.click('th >> text=Received')]);
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toBe('Received');

    // Advanced search: status and message type.
    await page.goto(`${base}/webapp/translog`);
    await page.click('summary:has-text("Advanced search")');
    await page.selectOption('#f-messageType', 'message');
    await page.selectOption('#f-messageStatus', 'completed');
    await Promise.all([page.waitForURL(/messageStatus=completed/), page.click('button:has-text("Search")')]);
    expect(await page.locator('#translog-results tbody tr').count()).toBe(6);
    expect(new Set(await page.locator('#translog-results tbody .badge').allTextContents())).toEqual(new Set(['completed']));

    // View one message and its history; download its payload.
    const id = seeded.lnspNorth[0]!;
    await page.goto(`${base}/webapp/translog?messageContextId=${encodeURIComponent(id)}`);
    await Promise.all([page.waitForURL(/\/webapp\/translog\/messages\//), page.click(`a:has-text("${id}")`)]);
    expect(await page.locator('.timeline li').count()).toBeGreaterThanOrEqual(2);
    await accessible(page, 'translog message');
    await saveScreenshot(page, 'webapp-translog-message', { fullPage: true });
    const payload = await download(page, () => page.click('a:has-text("Download payload")'));
    expect(payload.name).toBe(`${id}.json`);
    expect(JSON.parse(payload.body.toString()).data.header.receivingParticipantId).toEqual(['LNSPNORTH']);

    // CSV export of a search.
    await page.goto(`${base}/webapp/translog?fromParticipant=GRIDCOMDP`);
    const csv = await download(page, () => page.click('a:has-text("Export CSV")'));
    const lines = csv.body.toString().trim().split('\r\n');
    expect(lines[0]).toMatch(/^messageContextId,/);
    expect(lines.length).toBe(1 + (await page.locator('#translog-results tbody tr').count()));
    expect(lines.slice(1).every((l) => l.includes('GRIDCOMDP'))).toBe(true);
  });

  it('Outbound Archive: search, view and download the hub re-signed copy', async () => {
    const page = await signIn('lnspnorth-api');
    await page.click('nav >> text=Outbound Archive');
    await page.selectOption('#f-businessFunctionId', 'pqd');
    await Promise.all([page.waitForURL(/businessFunctionId=pqd/), page.click('button:has-text("Search")')]);
    expect(await page.locator('#archive-results tbody tr').count()).toBe(13);
    await accessible(page, 'archive');
    await saveScreenshot(page, 'webapp-archive', { fullPage: true });
    await page.fill('#f-startDateTime', '2026-07-02T09:00');
    await page.fill('#f-endDateTime', '2026-07-02T09:20');
    await Promise.all([page.waitForURL(/startDateTime=/), page.click('button:has-text("Search")')]);
    const inWindow = await page.locator('#archive-results tbody tr').count();
    expect(inWindow).toBeGreaterThan(0);
    expect(inWindow).toBeLessThan(13);
    const id = seeded.lnspNorth[3]!;
    await page.fill('#f-open-id', id);
    await Promise.all([page.waitForURL(/\/webapp\/archive\/messages\//), page.click('button:has-text("Open")')]);
    await expect.poll(() => page.locator('pre.payload').textContent()).toContain('"receivingParticipantId"');
    await accessible(page, 'archive message');
    await saveScreenshot(page, 'webapp-archive-message');
    const zip = await download(page, () => page.click('a:has-text("Download re-signed copy")'));
    expect(zip.name).toBe(`${id}.zip`);
    expect(zip.body.subarray(0, 2).toString()).toBe('PK');
    expect(zip.body.includes(Buffer.from(`${id}.json.p7s`))).toBe(true);
  });

  it('Flow Control: the count moves live after a POST (no reload), the watermarks are drawn, and the manual stop is seen through the API', async () => {
    const page = await signIn('lnspnorth-api');
    await page.click('nav >> text=Flow Control');
    await page.waitForSelector('#chart-pqd canvas');
    const count = page.locator('[data-testid="count-pqd"]');
    const before = Number(await count.textContent());
    expect(before).toBe(6);
    await expect.poll(() => page.locator('#live-status').getAttribute('data-state')).toBe('open');
    await page.evaluate(() => { (globalThis as unknown as { notReloaded: boolean }).notReloaded = true; });
    h.clock.advance(2 * MINUTE);
    await send('ACMEMC', '4102000004', 'LNSPNORTH');
    await expect.poll(() => count.textContent(), { timeout: 10_000 }).toBe(String(before + 1));
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await accessible(page, 'flow control');
    await saveScreenshot(page, 'webapp-flow-control', { fullPage: true });

    expect(await page.locator('[data-testid="switches-left"]').textContent()).toBe('2 of 2 switches left today');
    await Promise.all([page.waitForURL(/switched=Stopped/), page.click('button:has-text("Stop outbound delivery")')]);
    expect(await page.locator('[role="status"].notice').textContent()).toContain('switched off');
    expect(await page.locator('[data-testid="switches-left"]').textContent()).toBe('1 of 2 switches left today');
    const seen = await api('LNSPNORTH', 'GET', '/fctrl/v1/businessFunctions/pqd?expand=true', 'FCTRL_STATUS FCTRL_FCTRL');
    expect(seen.json().data.outboundDelivery).toBe('Stopped');
    await Promise.all([page.waitForURL(/switched=Started/), page.click('button:has-text("Restart outbound delivery")')]);
    const again = await api('LNSPNORTH', 'GET', '/fctrl/v1/businessFunctions/pqd?expand=true', 'FCTRL_STATUS FCTRL_FCTRL');
    expect(again.json().data.outboundDelivery).toBe('Started');
    expect(await page.locator('button:has-text("Stop outbound delivery")').isDisabled()).toBe(true);
    expect(await page.locator('[data-testid="switches-left"]').textContent()).toBe('0 of 2 switches left today');
  });

  it('Participant Status: an outage made through the control API shows live, and on the history timeline', async () => {
    const page = await signIn('lnspnorth-api');
    await page.click('nav >> text=Participant Status');
    await expect.poll(() => page.locator('#live-status').getAttribute('data-state')).toBe('open');
    expect(await page.locator('text=Outage in progress').count()).toBe(0);
    const outage = await h.app.inject({
      method: 'POST', url: '/sim/v1/outages', headers: { ...h.admin(), 'content-type': 'application/json' },
      payload: { outageStart: new Date(h.clock.now()).toISOString(), outageEnd: new Date(h.clock.now() + 90 * MINUTE).toISOString(), description: 'IDX pre-production maintenance', participantIds: ['LNSPNORTH'] },
    });
    expect(outage.statusCode, outage.body).toBe(201);
    await expect.poll(() => page.locator('text=Outage in progress').count(), { timeout: 10_000 }).toBe(1);
    const events = await page.locator('[data-testid="status-history"] li strong').allTextContents();
    expect(events[0]).toBe('OUTAGE');
    expect(events).toEqual(expect.arrayContaining(['MANUAL STOP', 'MANUAL START', 'QUEUE FULL', 'QUEUE RESUMED']));
    await accessible(page, 'participant status');
    await saveScreenshot(page, 'webapp-participant-status', { fullPage: true });
  });

  it('Messages: the LNSP queue with download and delete', async () => {
    const page = await signIn('lnspnorth-api');
    await page.click('nav >> text=Messages');
    const total = Number(await page.locator('[data-testid="queue-total"]').textContent());
    expect(total).toBe(await page.locator('#queue tbody tr').count());
    await accessible(page, 'messages');
    await saveScreenshot(page, 'webapp-messages', { fullPage: true });
    const first = (await page.locator('#queue tbody tr td:first-child').first().textContent())!;
    const file = await download(page, () => page.locator('#queue tbody tr').first().locator('a:has-text("Download")').click());
    expect(file.name).toBe(`${first}.json`);
    await Promise.all([page.waitForURL(/notice=deleted/), page.locator('#queue tbody tr').first().locator('button:has-text("Delete")').click()]);
    expect(Number(await page.locator('[data-testid="queue-total"]').textContent())).toBe(total - 1);
    expect(await page.locator(`#queue td:has-text("${first}")`).count()).toBe(0);
  });

  it('an MC user sees only Table 3\'s MC interfaces; the others are absent and refused when called', async () => {
    const page = await signIn('acmemc-api');
    expect(await navLabels(page)).toEqual(['Home', 'Transaction Log', 'Participant Status']);
    await page.click('nav >> text=Transaction Log');
    const statuses = await page.locator('#translog-results tbody .badge').allTextContents();
    expect(statuses).toContain('message rejected');
    await accessible(page, 'translog (MC)');
    await saveScreenshot(page, 'webapp-translog-mc', { fullPage: true });
    for (const path of ['/webapp/archive', '/webapp/flow-control', '/webapp/messages']) {
      const res = await page.goto(`${base}${path}`);
      expect(res!.status(), path).toBe(403);
      expect(await page.locator('h1').textContent()).toContain('403');
      expect(await navLabels(page)).not.toContain('Outbound Archive');
    }
    await accessible(page, 'refused page');
    await saveScreenshot(page, 'webapp-refused');
    const problem = await page.evaluate(async () => {
      const res = await fetch('/webapp/flow-control/data.json', { headers: { accept: 'application/json' } });
      return { status: res.status, type: res.headers.get('content-type'), body: await res.json() as Json };
    });
    expect(problem.status).toBe(403);
    expect(problem.type).toMatch(/application\/problem\+json/);
    expect(problem.body.code).toBe('IDX_ERR_ENTITY_NOT_GRANTED');
    expect(problem.body.traceId).toMatch(/^[0-9a-f]{32}$/);
    await page.goto(`${base}/webapp/status?participantId=LNSPNORTH`);
    await accessible(page, 'participant status (MC)');
    // The browser logs each refused load (403) as a console error: those were the point of this test.
    const g = guarded.find((x) => x.page === page)!;
    g.pageErrors.splice(0, g.pageErrors.length, ...g.pageErrors.filter((e) => !e.includes('status of 403')));
  });

  it('works at 400 px wide', async () => {
    const page = await signIn('lnspnorth-api', { width: 400, height: 860 });
    await page.click('nav >> text=Flow Control');
    await page.waitForSelector('#chart-pqd canvas');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(400);
    await accessible(page, 'flow control at 400 px');
    await saveScreenshot(page, 'webapp-flow-control-narrow', { fullPage: true });
    await page.goto(`${base}/webapp/translog`);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(400);
    await saveScreenshot(page, 'webapp-translog-narrow');
  });

  it('made no request that left the machine, and no page threw', () => {
    for (const g of guarded) {
      assertOffline(g);
      expect(g.pageErrors).toEqual([]);
    }
    expect(h.violations).toEqual([]);
  });
});
