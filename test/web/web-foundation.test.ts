/**
 * The shared web foundation (issue #12): escaping templates, the page frame, static assets served by
 * idx-sim itself under a content-security-policy that allows no other origin, and cookie reading.
 */
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, jsonScript, raw } from '../../src/web/shared/html.js';
import { CONTENT_SECURITY_POLICY, readCookies } from '../../src/web/shared/http.js';
import { page } from '../../src/web/shared/layout.js';
import { useHarness } from '../helpers/harness.js';

describe('html templates', () => {
  it('escapes every interpolated value, in text and attributes', () => {
    const name = '<script>alert("x")</script>&\'`';
    expect(html`<p title="${name}">${name}</p>`.value)
      .toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;</p>');
  });

  it('emits markup unescaped only when opted in (nested templates or raw)', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${raw('<br>')}${['a', html`<hr>`]}${null}${undefined}${false}${0}</p>`.value).toBe('<p><b>&lt;i&gt;</b><br>a<hr>0</p>');
    expect(escapeHtml('a<b')).toBe('a&lt;b');
  });

  it('keeps JSON data from closing its script element', () => {
    expect(jsonScript('d', { x: '</script><script>alert(1)</script>' }).value).not.toContain('</script><script>');
  });

  it('frames a page: skip link, the allowed pages as navigation, one main landmark, the current page marked', () => {
    const text = page({ title: 'T<', appName: 'App', appHref: '/a/', nav: [{ href: '/a/x', label: 'X' }, { href: '/a/y', label: 'Y' }], current: '/a/y', main: html`<p>hi</p>` });
    expect(text).toMatch(/^<!doctype html>/);
    expect(text).toContain('<title>T&lt; · App</title>');
    expect(text).toContain('<a class="skip-link" href="#main">');
    expect(text.match(/<main /g)).toHaveLength(1);
    expect(text).toContain('<a href="/a/y" aria-current="page">Y</a>');
    expect(text).toContain('<a href="/a/x">X</a>');
    expect(text).not.toContain('style=');
  });
});

describe('cookies', () => {
  it('reads name=value pairs; the first of a repeated name wins', () => {
    expect(readCookies('a=1; b = 2;c=3; a=9; junk')).toEqual({ a: '1', b: '2', c: '3' });
    expect(readCookies(undefined)).toEqual({});
  });
});

describe('web assets', () => {
  const h = useHarness();

  it('serves the stylesheet and uPlot from this origin, with a CSP that allows no other origin', async () => {
    const css = await h().app.inject({ method: 'GET', url: '/web-assets/web.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(css.headers['x-content-type-options']).toBe('nosniff');
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*|unsafe-inline|unsafe-eval/);
    const uplot = await h().app.inject({ method: 'GET', url: '/web-assets/uplot/uPlot.iife.min.js' });
    expect(uplot.statusCode).toBe(200);
    expect(uplot.body).toContain('uPlot');
    expect((await h().app.inject({ method: 'GET', url: '/web-assets/uplot/uPlot.min.css' })).statusCode).toBe(200);
  });

  it('serves only the files it listed at start-up: no path traversal', async () => {
    for (const url of ['/web-assets/nope.css', '/web-assets/..%2Fpackage.json', '/web-assets/../../package.json', '/web-assets/uplot/package.json']) {
      const res = await h().app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });
});

describe('web sessions', () => {
  it('issues 64-hex ids and CSRF tokens, slides the expiry on use, and forgets expired and ended sessions', async () => {
    const { WebSessions, csrfMatches } = await import('../../src/web/shared/sessions.js');
    const sessions = new WebSessions<{ user: string }>(() => 1000, 2);
    const a = sessions.create({ user: 'a' }, 0);
    expect(a.id).toMatch(/^[0-9a-f]{64}$/);
    expect(a.csrfToken).toMatch(/^[0-9a-f]{64}$/);
    expect(sessions.touch(a.id, 999)?.data.user).toBe('a');
    expect(sessions.touch(a.id, 1998)?.expiresAt).toBe(2998);
    expect(sessions.touch(a.id, 2998)).toBeUndefined();
    expect(sessions.touch('not-an-id', 0)).toBeUndefined();
    const b = sessions.create({ user: 'b' }, 3000);
    sessions.destroy(b.id);
    expect(sessions.touch(b.id, 3001)).toBeUndefined();
    expect(csrfMatches(a, a.csrfToken)).toBe(true);
    expect(csrfMatches(a, b.csrfToken)).toBe(false);
    expect(csrfMatches(a, undefined)).toBe(false);
  });

  it('keeps at most its bound, dropping the least recently used', async () => {
    const { WebSessions } = await import('../../src/web/shared/sessions.js');
    const sessions = new WebSessions<number>(() => 10_000, 2);
    const one = sessions.create(1, 0);
    const two = sessions.create(2, 0);
    sessions.touch(one.id, 1);
    sessions.create(3, 2);
    expect(sessions.size).toBe(2);
    expect(sessions.touch(two.id, 3)).toBeUndefined();
    expect(sessions.touch(one.id, 3)?.data).toBe(1);
    expect(sessions.live(3).map((s) => s.data).sort()).toEqual([1, 3]);
  });
});
