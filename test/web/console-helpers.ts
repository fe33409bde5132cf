/**
 * A signed-in browser of the simulator console, over `inject`: it keeps the session cookie, reads the
 * CSRF token from the pages it gets, and posts forms as a browser does (urlencoded).
 */
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Harness } from '../helpers/harness.js';

export interface ConsoleBrowser {
  cookie: string;
  csrf: string;
  get(url: string): Promise<LightMyRequestResponse>;
  /** Posts a form with the session's CSRF token (unless `_csrf` is given). */
  post(url: string, form: Record<string, string>): Promise<LightMyRequestResponse>;
}

export const csrfOf = (body: string): string => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
export const cookieOf = (res: LightMyRequestResponse, name: string): string | undefined => {
  const header = res.headers['set-cookie'];
  const all = Array.isArray(header) ? header : header ? [header] : [];
  return all.map((c) => /^([^=]+)=([^;]*)/.exec(c)).find((m) => m?.[1] === name)?.[2];
};

export const form = (fields: Record<string, string>) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });

/** GET the sign-in page: the pre-session cookie and the form's token. */
export async function signInForm(h: Harness): Promise<{ pre: string; csrf: string }> {
  const res = await h.app.inject({ method: 'GET', url: '/console/sign-in' });
  expect(res.statusCode).toBe(200);
  return { pre: cookieOf(res, 'idx_sim_console_signin')!, csrf: csrfOf(res.body) };
}

export async function signIn(h: Harness, key = h.ctx.config.adminKey): Promise<ConsoleBrowser> {
  const { pre, csrf } = await signInForm(h);
  const { payload } = form({ _csrf: csrf, key });
  const res = await h.app.inject({ method: 'POST', url: '/console/sign-in', headers: { cookie: `idx_sim_console_signin=${pre}`, 'content-type': 'application/x-www-form-urlencoded' }, payload });
  expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
  const browser: ConsoleBrowser = {
    cookie: `idx_sim_console=${cookieOf(res, 'idx_sim_console')!}`,
    csrf: '',
    async get(url) {
      const r = await h.app.inject({ method: 'GET', url, headers: { cookie: browser.cookie, accept: 'text/html' } });
      const token = csrfOf(r.body);
      if (token) browser.csrf = token;
      return r;
    },
    async post(url, fields) {
      if (!browser.csrf) await browser.get('/console/');
      const f = form({ _csrf: browser.csrf, ...fields });
      return h.app.inject({ method: 'POST', url, headers: { ...f.headers, cookie: browser.cookie, accept: 'text/html' }, payload: f.payload });
    },
  };
  return browser;
}

/** The control API's view, as a script would read it. */
export async function control(h: Harness, path: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await h.app.inject({ method: 'GET', url: `/sim/v1${path}`, headers: h.admin() });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}
