/**
 * The IDX Web App's portal sessions and page frame (issue #12). A browser signs in as a URM user with
 * username and password (the URM user's client id and secret — AEMO's portal and API users are the same URM
 * accounts, spec §4.8); the server keeps the session, and its id is the `x-ss-id` cookie (spec §3: "Markets
 * Portal session id (cookie value), e.g. 64 hex chars"), expiring after IDX_SIM_WEB_SESSION_IDLE_MINUTES
 * of simulated time without use.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import type { QueueCountSeries } from '../../services/queue-count-series.js';
import { html, type SafeHtml } from '../shared/html.js';
import { checkCsrf, readCookies } from '../shared/http.js';
import { page } from '../shared/layout.js';
import { WebSessions, type WebSession } from '../shared/sessions.js';
import { allowedPages, pageOf, requireEntity, type PortalUser, type WebAppPageId } from './access.js';

/** The cookie holding the portal session id: AEMO's name for it. */
export const SESSION_COOKIE = 'x-ss-id';
export const WEBAPP_PATH = '/webapp/';

export interface PortalSessionData {
  clientId: string;
  /** The participant the user acts for now (a URM user may act for several). */
  participantId: string;
}

export interface Portal {
  session: WebSession<PortalSessionData>;
  user: PortalUser;
  participantId: string;
}

export interface RenderOptions {
  page: WebAppPageId | 'home';
  title: string;
  main: SafeHtml;
  scripts?: readonly string[];
  styles?: readonly string[];
}

export class WebAppEnv {
  readonly sessions: WebSessions<PortalSessionData>;

  constructor(readonly ctx: AppContext, readonly series: QueueCountSeries) {
    this.sessions = new WebSessions(() => ctx.config.webSessionIdleMinutes * 60_000);
  }

  /** The signed-in user of this request, read afresh from URM; 401 IDX_ERR_WEB_SIGN_IN_REQUIRED otherwise. */
  portal(request: FastifyRequest): Portal {
    const id = readCookies(request.headers.cookie)[SESSION_COOKIE];
    const session = this.sessions.touch(id, this.ctx.clock.now());
    const user = session && this.ctx.participants.urmUser(session.data.clientId);
    if (!session || !user) {
      if (session) this.sessions.destroy(session.id);
      throw new IdxError('IDX_ERR_WEB_SIGN_IN_REQUIRED',
        id ? 'your IDX Web App session has ended (signed out, or unused for too long); sign in again at /webapp/sign-in'
          : 'sign in to the IDX Web App first, at /webapp/sign-in',
        { errors: [{ in: 'header', name: 'Cookie', code: id ? 'SESSION_ENDED' : 'NO_SESSION', message: `no live ${SESSION_COOKIE} session` }] });
    }
    const participants = Object.keys(user.entitlements);
    if (!participants.includes(session.data.participantId)) session.data.participantId = participants[0] ?? '';
    return { session, user, participantId: session.data.participantId };
  }

  /** The signed-in user, when the page is one its entities allow (403 IDX_ERR_ENTITY_NOT_GRANTED otherwise). */
  pagePortal(request: FastifyRequest, id: WebAppPageId): Portal {
    const portal = this.portal(request);
    const p = pageOf(id);
    requireEntity(portal.user, portal.participantId, p.entity, p.letter, `the ${p.label} page`);
    return portal;
  }

  /** The CSRF check of a state-changing request of this session (src/web/shared/http.ts). */
  csrf(request: FastifyRequest, portal: Portal): void {
    checkCsrf(request, portal.session);
  }

  render(reply: FastifyReply, portal: Portal | undefined, o: RenderOptions): FastifyReply {
    const nav = portal ? [{ href: WEBAPP_PATH, label: 'Home' }, ...allowedPages(portal.user, portal.participantId).map((p) => ({ href: p.path, label: p.label }))] : [];
    const current = o.page === 'home' ? WEBAPP_PATH : pageOf(o.page).path;
    const text = page({
      title: o.title,
      appName: 'IDX Web App',
      appHref: WEBAPP_PATH,
      appNote: 'idx-sim',
      nav,
      current,
      account: portal ? this.account(portal) : undefined,
      main: o.main,
      scripts: portal ? ['/web-assets/webapp.js', ...(o.scripts ?? [])] : o.scripts,
      styles: o.styles,
      data: portal ? { csrf: portal.session.csrfToken } : {},
    });
    return reply.type('text/html; charset=utf-8').send(text);
  }

  private account(portal: Portal): SafeHtml {
    const participants = Object.keys(portal.user.entitlements);
    const csrf = html`<input type="hidden" name="_csrf" value="${portal.session.csrfToken}">`;
    const switcher = participants.length > 1
      ? html`<form method="post" action="/webapp/participant">${csrf}<label for="acting-for">Acting for</label>
<select id="acting-for" name="participantId" data-autosubmit>${participants.map((p) => html`<option${p === portal.participantId ? html` selected` : ''}>${p}</option>`)}</select>
<button class="btn btn-small" type="submit">Switch</button></form>`
      : html`<span>Acting for <strong>${portal.participantId}</strong></span>`;
    return html`<span class="live" id="live-status" data-state="closed" role="status" aria-live="polite">Live updates off</span>
${switcher}<span class="who" title="URM user">${portal.user.clientId}</span>
<form method="post" action="/webapp/sign-out">${csrf}<button class="btn btn-small" type="submit">Sign out</button></form>`;
  }
}
