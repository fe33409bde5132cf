/**
 * Browser-test helpers: launch Debian's Chromium through playwright-core (never a downloaded build), fail
 * fast on any request that leaves the machine, run axe-core for accessibility, save screenshots for docs/.
 *
 * Used by test/browser/*.test.ts (`npm run test:browser`, vitest.browser.config.ts). Every page idx-sim
 * renders must work offline (HELPERS "Web stack": no CDN, no external fonts or requests), so the guard
 * below aborts and records any request to a host other than 127.0.0.1 / localhost / ::1, and any scheme
 * other than http(s) to those hosts, file:, data:, blob: or about:.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's package (`apt-get install chromium`); IDX_SIM_CHROMIUM overrides it for other distributions. */
export const CHROMIUM_PATH = process.env.IDX_SIM_CHROMIUM ?? '/usr/bin/chromium';

/** Flags agreed for every browser test (HELPERS "Browser tests"). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
];

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SCREENSHOT_DIR = join(repoRoot, 'docs', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install it with 'apt-get install -y chromium' (never download a browser build)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True when loading `url` stays on this machine. */
export function isLocalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  switch (parsed.protocol) {
    case 'file:':
    case 'data:':
    case 'blob:':
    case 'about:':
      return true;
    case 'http:':
    case 'https:':
    case 'ws:':
    case 'wss:':
      return LOCAL_HOSTS.has(parsed.hostname);
    default:
      return false;
  }
}

export interface GuardedPage {
  context: BrowserContext;
  page: Page;
  /** Every distinct URL a request (or WebSocket) tried to leave the machine for, in order; each was aborted. */
  externalRequests: string[];
  /** Uncaught page errors and console errors: a page that throws is broken even if it looks right. */
  pageErrors: string[];
}

/**
 * A fresh context and page whose non-local requests are aborted and recorded. Assert
 * `externalRequests` is empty at the end of the test (or call `assertOffline`).
 */
export async function openGuardedPage(browser: Browser, viewport = { width: 1366, height: 900 }): Promise<GuardedPage> {
  const context = await browser.newContext({ viewport, offline: false });
  const externalRequests: string[] = [];
  const pageErrors: string[] = [];
  const recordExternal = (url: string) => {
    if (!externalRequests.includes(url)) externalRequests.push(url);
  };
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (isLocalUrl(url)) {
      await route.continue();
    } else {
      recordExternal(url);
      await route.abort('blockedbyclient');
    }
  });
  const page = await context.newPage();
  // Requests the router never sees (file: subresources, WebSockets) are checked here too.
  page.on('request', (request) => {
    const url = request.url();
    if (!isLocalUrl(url)) recordExternal(url);
  });
  page.on('websocket', (ws) => {
    if (!isLocalUrl(ws.url())) recordExternal(ws.url());
  });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  return { context, page, externalRequests, pageErrors };
}

/** Throws, naming them, if any request left the machine. */
export function assertOffline(guarded: Pick<GuardedPage, 'externalRequests'>): void {
  if (guarded.externalRequests.length > 0) {
    throw new Error(`page made ${guarded.externalRequests.length} external request(s): ${guarded.externalRequests.join(', ')}`);
  }
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  /** CSS selectors of the offending nodes, with axe's failure summary. */
  nodes: Array<{ target: string; summary: string }>;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core (WCAG 2.x A/AA rules) on the page and returns the serious and critical violations.
 * axe is evaluated through the DevTools protocol rather than a <script> tag, so a page's Content Security
 * Policy (the evidence report forbids foreign scripts) does not have to be relaxed for the test.
 */
export async function runAxe(page: Page, options: { include?: string } = {}): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async (include) => {
    type AxeNode = { target: unknown[]; failureSummary?: string };
    type AxeResult = { id: string; impact: string | null; help: string; helpUrl: string; nodes: AxeNode[] };
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeResult[] }> } }).axe;
    const result = await axe.run(include ?? (globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' '), summary: n.failureSummary ?? '' })),
    }));
  }, options.include);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Readable one-line-per-node description of axe violations, for assertion messages. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `  at ${n.target}: ${n.summary.replace(/\n/g, ' ')}`).join('\n')}`)
    .join('\n');
}

/**
 * Saves a PNG of the page (or of one element) to docs/screenshots/<name>.png and returns its path.
 * Screenshots in docs/ are looked at by a person before they land.
 */
export async function saveScreenshot(page: Page, name: string, options: { selector?: string; fullPage?: boolean; dir?: string } = {}): Promise<string> {
  const dir = options.dir ?? SCREENSHOT_DIR;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  if (options.selector) {
    await page.locator(options.selector).first().screenshot({ path, animations: 'disabled' });
  } else {
    await page.screenshot({ path, fullPage: options.fullPage ?? false, animations: 'disabled' });
  }
  return path;
}
