/**
 * The HTML evidence report (issue #11 "Done when" 3) in Debian's headless Chromium, opened from file://
 * as a tester would open it from a CI artifact: summary, a failed step and the heatmap are visible, the
 * filters work, nothing is requested from anywhere, and axe finds no serious or critical violation.
 * Saves docs/screenshots/report-summary.png, report-failed-step.png and report-heatmap.png.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../src/scenario/report/index.js';
import { fixtureRunResult } from '../helpers/run-result-fixture.js';
import { assertOffline, describeViolations, launchBrowser, openGuardedPage, runAxe, saveScreenshot } from './helpers/browser.js';

let browser: Browser;
let dir: string;
let reportUrl: string;
let hostileUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-report-'));
  reportUrl = pathToFileURL(writeReports(fixtureRunResult(), join(dir, 'plain'))[0]!).href;
  const hostile = fixtureRunResult({ hostile: true });
  hostileUrl = pathToFileURL(writeReports({ ...hostile, defects: [], scenarios: hostile.scenarios.map((s) => ({ ...s, defectIds: [] })) }, join(dir, 'hostile'))[0]!).href;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTML evidence report in headless Chromium', () => {
  it('shows the summary, makes no request and has no serious or critical axe violation', async () => {
    const guarded = await openGuardedPage(browser);
    const { page } = guarded;
    await page.goto(reportUrl);
    await expect.poll(() => page.locator('#filter-count').textContent()).toBe('Showing 8 of 8 scenarios');
    const summary = page.locator('#summary');
    expect(await summary.isVisible()).toBe(true);
    expect(await summary.locator('.card.passed .value').textContent()).toBe('5');
    expect(await summary.locator('.card.failed .value').textContent()).toBe('2');
    expect(await summary.locator('.card.not-run .value').textContent()).toBe('1');
    expect(await page.locator('.verdict').textContent()).toContain('FAILED');
    expect(await page.locator('#completion').textContent()).toContain('Successful completion of all high-priority test scenarios');
    await saveScreenshot(page, 'report-summary');

    const violations = await runAxe(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    assertOffline(guarded);
    expect(guarded.pageErrors).toEqual([]);
    await guarded.context.close();
  });

  it('shows a failed step open with its readable reason and the refused exchange; the failed-only filter hides passing scenarios', async () => {
    const guarded = await openGuardedPage(browser);
    const { page } = guarded;
    await page.goto(reportUrl);
    await page.locator('#failures a', { hasText: 'churn-mdp-frmp' }).click();
    const step = page.locator('#scenario-5-steps-2');
    expect(await step.locator('.reason').isVisible()).toBe(true);
    expect(await step.locator('.reason').textContent()).toContain('expected status 202, got 403 IDX_ERR_NMI_NOT_RESPONSIBLE');
    expect(await step.locator('.exchange .line').textContent()).toContain('HTTP 403');
    expect(await step.locator('.exchange').textContent()).toContain('tr-churn-7');
    await saveScreenshot(page, 'report-failed-step', { selector: '#scenario-5' });

    await page.locator('#filter-failed').check();
    expect(await page.locator('#filter-count').textContent()).toBe('Showing 2 of 8 scenarios');
    expect(await page.locator('#scenario-1').isVisible()).toBe(false);
    expect(await page.locator('#scenario-5').isVisible()).toBe(true);
    await page.locator('#filter-failed').uncheck();
    await page.locator('#filter-tag').selectOption('web');
    expect(await page.locator('#filter-count').textContent()).toBe('Showing 2 of 8 scenarios');
    assertOffline(guarded);
    expect(guarded.pageErrors).toEqual([]);
    await guarded.context.close();
  });

  it('shows the heatmap with text labels and the traceability gaps', async () => {
    const guarded = await openGuardedPage(browser);
    const { page } = guarded;
    await page.goto(`${reportUrl}#coverage`);
    const heatmap = page.locator('table.heatmap');
    expect(await heatmap.isVisible()).toBe(true);
    const churnRow = heatmap.locator('tbody tr', { hasText: 'churn-mdp-frmp' });
    expect(await churnRow.locator('td.failed').first().textContent()).toMatch(/✗ Fail/);
    expect(await heatmap.locator('td.not-run').first().textContent()).toContain('Not run');
    await saveScreenshot(page, 'report-heatmap', { selector: '#coverage' });
    const gaps = page.locator('#traceability tbody tr', { hasText: 'Gap: no scenario' });
    expect(await gaps.count()).toBe(2);
    assertOffline(guarded);
    await guarded.context.close();
  });

  it('at 400 px wide the report has no serious or critical axe violation either', async () => {
    const guarded = await openGuardedPage(browser, { width: 400, height: 800 });
    await guarded.page.goto(reportUrl);
    const violations = await runAxe(guarded.page);
    expect(violations, describeViolations(violations)).toEqual([]);
    const overflow = await guarded.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await guarded.context.close();
  });

  it('a report quoting hostile server output runs no injected script and loads nothing', async () => {
    const guarded = await openGuardedPage(browser);
    const { page } = guarded;
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(hostileUrl);
    await page.locator('#expand-all').click();
    await page.waitForLoadState('networkidle');
    expect(dialogs).toEqual([]);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('body').textContent()).toContain('<script>alert(1)</script>');
    assertOffline(guarded);
    expect(guarded.pageErrors).toEqual([]);
    await guarded.context.close();
  });
});
