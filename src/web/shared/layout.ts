/**
 * The page frame shared by the web pages: skip link, header with the app's name and who is signed in,
 * a navigation of the pages this user may open (and only those), one main landmark, one stylesheet.
 * Scripts are files under /web-assets/ (the content-security-policy allows no inline script).
 */
import { html, type SafeHtml } from './html.js';

export interface NavItem {
  href: string;
  label: string;
}

export interface PageOptions {
  /** The document title's first part, e.g. "Transaction Log". */
  title: string;
  /** "IDX Web App" or "idx-sim console". */
  appName: string;
  appHref: string;
  /** A short note beside the app name (e.g. "simulator — not part of AEMO's portal"). */
  appNote?: string;
  /** The short mark before the app name (default "IDX"; the simulator console says "SIM"). */
  brandMark?: string;
  /** The pages the signed-in user may open; empty before sign-in. */
  nav: readonly NavItem[];
  /** href of the page shown (marked aria-current). */
  current?: string;
  /** Right-hand side of the header: who is signed in, the sign-out button. */
  account?: SafeHtml;
  main: SafeHtml;
  /** Script files (absolute paths under /web-assets/), loaded deferred at the end of the body. */
  scripts?: readonly string[];
  /** Extra stylesheets (e.g. uPlot's). */
  styles?: readonly string[];
  /** Data attributes for the body (e.g. the CSRF token for scripts): name without `data-` → value. */
  data?: Readonly<Record<string, string>>;
}

export const STYLESHEET = '/web-assets/web.css';

export function page(o: PageOptions): string {
  const dataAttributes = Object.entries(o.data ?? {}).map(([k, v]) => html` data-${k}="${v}"`);
  return '<!doctype html>\n' + html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · ${o.appName}</title>
<link rel="icon" href="/web-assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${STYLESHEET}">
${(o.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">`)}
</head>
<body${dataAttributes}>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
  <div class="brand"><a href="${o.appHref}"><span class="brand-mark" aria-hidden="true">${o.brandMark ?? 'IDX'}</span><span class="brand-name">${o.appName}</span></a>${o.appNote ? html`<span class="brand-note">${o.appNote}</span>` : ''}</div>
  ${o.account ? html`<div class="account">${o.account}</div>` : ''}
</header>
${o.nav.length ? html`<nav class="site-nav" aria-label="Pages"><ul>${o.nav.map((item) => html`<li><a href="${item.href}"${item.href === o.current ? html` aria-current="page"` : ''}>${item.label}</a></li>`)}</ul></nav>` : ''}
<main id="main" tabindex="-1">
${o.main}
</main>
${(o.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</body>
</html>
`.value;
}
