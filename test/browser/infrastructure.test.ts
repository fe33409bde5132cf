/**
 * The browser-test helpers themselves: the offline guard catches a request that leaves the machine, axe
 * finds a real violation (and none on a clean page, even under a strict Content Security Policy), and
 * screenshots are written. If these fail, every other browser test's "no external request" and "no
 * serious axe violation" would prove nothing.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { assertOffline, isLocalUrl, launchBrowser, openGuardedPage, runAxe, saveScreenshot } from './helpers/browser.js';

const PAGES: Record<string, { csp?: string; body: string }> = {
  '/leaky': { body: '<!doctype html><html lang="en"><head><title>leaky</title></head><body><main><h1>Leaky</h1><img alt="logo" src="https://cdn.example.invalid/logo.png"></main></body></html>' },
  '/no-alt': { body: '<!doctype html><html lang="en"><head><title>no alt</title></head><body><main><h1>No alt</h1><img src="/pixel.png"></main></body></html>' },
  '/clean': {
    csp: "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    body: '<!doctype html><html lang="en"><head><title>clean</title></head><body><main><h1>Clean</h1><p>Offline and accessible.</p></main></body></html>',
  },
};

let server: Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  server = createServer((req, res) => {
    const page = PAGES[req.url ?? ''];
    if (!page) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...(page.csp ? { 'content-security-policy': page.csp } : {}) });
    res.end(page.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe('browser-test helpers', () => {
  it('isLocalUrl accepts loopback and file: and refuses everything else', () => {
    expect(isLocalUrl('http://127.0.0.1:4000/x')).toBe(true);
    expect(isLocalUrl('http://localhost/x')).toBe(true);
    expect(isLocalUrl('file:///tmp/report.html')).toBe(true);
    expect(isLocalUrl('data:text/css,')).toBe(true);
    expect(isLocalUrl('https://fonts.googleapis.com/css')).toBe(false);
    expect(isLocalUrl('http://127.0.0.1.example.com/')).toBe(false);
    expect(isLocalUrl('ftp://localhost/')).toBe(false);
  });

  it('records and aborts a request that leaves the machine', async () => {
    const guarded = await openGuardedPage(browser);
    await guarded.page.goto(`${base}/leaky`);
    await guarded.page.waitForLoadState('networkidle');
    expect(guarded.externalRequests).toEqual(['https://cdn.example.invalid/logo.png']);
    expect(() => assertOffline(guarded)).toThrow(/cdn\.example\.invalid/);
    await guarded.context.close();
  });

  it('axe reports an image without alt text as a critical violation', async () => {
    const guarded = await openGuardedPage(browser);
    await guarded.page.goto(`${base}/no-alt`);
    const violations = await runAxe(guarded.page);
    expect(violations.map((v) => v.id)).toContain('image-alt');
    await guarded.context.close();
  });

  it('axe runs under a strict Content Security Policy and finds nothing on a clean page; screenshots are PNGs', async () => {
    const guarded = await openGuardedPage(browser);
    await guarded.page.goto(`${base}/clean`);
    expect(await runAxe(guarded.page)).toEqual([]);
    assertOffline(guarded);
    expect(guarded.pageErrors).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'idx-sim-shot-'));
    try {
      const path = await saveScreenshot(guarded.page, 'clean', { dir });
      expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await guarded.context.close();
  });
});
