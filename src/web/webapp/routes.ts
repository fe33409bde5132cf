/**
 * The IDX Web App at /webapp/ (issue #12; seed 000 §3.1.1 b, Tables 3, 4 and 7): sign-in, the pages the
 * user's URM entities allow, and live updates. Served on the hub's HTTPS port to a browser without a client
 * certificate — the IDX APIs stay mTLS-only. Every page reads and acts through the hub's services.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import type { IdxEvent } from '../../domain/events.js';
import type { UrmEntity } from '../../domain/participants.js';
import type { QueueCountSeries } from '../../services/queue-count-series.js';
import { html, type SafeHtml } from '../shared/html.js';
import { addSecurityHeaders, errorBody, field, registerFormParser, sessionCookie, wantsHtml, webErrorHandler } from '../shared/http.js';
import { allowedPages, may, WEBAPP_PAGES, type PortalUser } from './access.js';
import { badge } from './common.js';
import { archivePages } from './pages-archive.js';
import { flowControlPages } from './pages-flow-control.js';
import { messagePages } from './pages-messages.js';
import { statusPages } from './pages-status.js';
import { translogPages } from './pages-translog.js';
import { SESSION_COOKIE, WEBAPP_PATH, WebAppEnv, type Portal } from './portal.js';

const ENTITY_DESCRIPTIONS: Record<UrmEntity, string> = {
  PQD_BPQD: 'PQD API access',
  FCTRL_FCTRL: 'Write access to Flow Control API and web interface',
  FCTRL_STATUS: 'Read access to Flow Control API and web interface',
  TRANSLOG_TRANSLOG: 'Transaction Log API and web interface',
  ARCH_RETRIEVE: 'Archive API and Outbound Archive web interface',
  EVENT_NOTIFY: 'Event notifications',
};

/** A query's date-time from a `datetime-local` input (market time, AEST) in the IDX form the services read. */
const LOCAL_DATE_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(:\d\d)?$/;

/**
 * Web forms send every field, empty or not: empty ones are dropped, and datetime-local values
 * (`2026-07-02T09:00`) become IDX date-times (`2026-07-02T09:00:00.000+10:00`, spec §3), before the
 * operation's own query schema (from the OpenAPI document) checks them.
 */
export function normaliseQuery(request: FastifyRequest): void {
  const q = request.query as Record<string, unknown> | undefined;
  if (!q) return;
  for (const [k, v] of Object.entries(q)) {
    if (v === '') delete q[k];
    else if (typeof v === 'string' && /DateTime$/.test(k)) {
      const m = LOCAL_DATE_TIME.exec(v);
      if (m) q[k] = `${m[1]}${m[2] ?? ':00'}.000+10:00`;
    }
  }
}

/** Which events a session sees: those of its participants that one of its entities concerns. */
export function eventVisible(user: PortalUser, participantId: string, event: Pick<IdxEvent, 'eventType'>): boolean {
  const holds = (entity: UrmEntity) => may(user, participantId, entity, 'R');
  switch (event.eventType) {
    case 'MESSAGE_AVAILABLE': return holds('PQD_BPQD') || holds('FCTRL_FCTRL') || holds('TRANSLOG_TRANSLOG') || holds('ARCH_RETRIEVE');
    case 'FLOW_CONTROL': return holds('FCTRL_FCTRL') || holds('FCTRL_STATUS');
    case 'OUTAGE': return holds('FCTRL_STATUS') || holds('FCTRL_FCTRL');
  }
}

export async function webappRoutes(app: FastifyInstance, { ctx, series }: { ctx: AppContext; series: QueueCountSeries }): Promise<void> {
  const env = new WebAppEnv(ctx, series);
  registerFormParser(app);
  app.addHook('onRequest', async (_request, reply) => addSecurityHeaders(reply));
  app.addHook('preValidation', async (request) => normaliseQuery(request));
  // Scripts and API clients get the hub's problem+json; a browser navigating gets the page below.
  const problem = webErrorHandler(ctx, errorBody);
  app.setErrorHandler((err, request, reply) => {
    // A browser without a session is sent to sign in, and back afterwards.
    if (err instanceof IdxError && err.code === 'IDX_ERR_WEB_SIGN_IN_REQUIRED' && wantsHtml(request)) {
      return reply.redirect(`/webapp/sign-in?next=${encodeURIComponent(request.url.slice(0, 500))}`, 303);
    }
    if (err instanceof IdxError && wantsHtml(request)) {
      let portal: Portal | undefined;
      try {
        portal = env.portal(request);
      } catch {
        portal = undefined;
      }
      reply.code(err.status).header('x-traceId', request.id).headers(err.headers);
      return env.render(reply, portal, { page: 'home', title: err.title, main: html`${errorBody(request, err)}<p><a href="${WEBAPP_PATH}">Back to the IDX Web App</a></p>` });
    }
    return problem(err as Error, request, reply);
  });

  app.get('/webapp', async (_request, reply) => reply.redirect(WEBAPP_PATH, 301));

  // Sign-in (no session yet: the Origin check of the form post is the CSRF defence here).
  app.get('/webapp/sign-in', async (request, reply) => signInPage(env, reply, nextOf(request), undefined));
  app.post('/webapp/sign-in', async (request, reply) => {
    const origin = request.headers.origin;
    if (typeof origin === 'string' && origin !== 'null' && safeHost(origin) !== request.headers.host) {
      throw new IdxError('IDX_ERR_CSRF_TOKEN', 'sign in from the page this host serves', { errors: [{ in: 'header', name: 'Origin', code: 'CROSS_ORIGIN', message: 'not this origin' }] });
    }
    const username = field(request.body, 'username').trim();
    const user = ctx.participants.authenticate(username, field(request.body, 'password'));
    const next = nextOf(request, field(request.body, 'next'));
    if (!user) {
      const err = new IdxError('IDX_ERR_WEB_SIGN_IN_FAILED', 'the username or password is not that of a URM user; check both and try again',
        { errors: [{ in: 'form', name: 'password', code: 'SIGN_IN', message: 'username or password not recognised' }] });
      if (!acceptsHtml(request)) throw err;
      reply.code(401).header('x-traceId', request.id);
      return signInPage(env, reply, next, err.detail, username);
    }
    const participantId = Object.keys(user.entitlements)[0] ?? '';
    const session = env.sessions.create({ clientId: user.clientId, participantId }, ctx.clock.now());
    request.log.info({ webapp: 'sign-in', clientId: user.clientId }, 'IDX Web App: signed in');
    return reply.header('set-cookie', sessionCookie(request, SESSION_COOKIE, session.id, '/webapp')).redirect(next, 303);
  });
  app.post('/webapp/sign-out', async (request, reply) => {
    const portal = env.portal(request);
    env.csrf(request, portal);
    env.sessions.destroy(portal.session.id);
    return reply.header('set-cookie', sessionCookie(request, SESSION_COOKIE, '', '/webapp', true)).redirect('/webapp/sign-in?signedOut=1', 303);
  });
  app.post('/webapp/participant', async (request, reply) => {
    const portal = env.portal(request);
    env.csrf(request, portal);
    const participantId = field(request.body, 'participantId');
    if (!(participantId in portal.user.entitlements)) {
      throw new IdxError('IDX_ERR_OTHER_PARTICIPANT', `URM user ${portal.user.clientId} does not act for ${participantId.slice(0, 20)}`,
        { errors: [{ in: 'form', name: 'participantId', code: 'NOT_YOURS', message: 'not a participant of this user' }] });
    }
    portal.session.data.participantId = participantId;
    return reply.redirect(WEBAPP_PATH, 303);
  });

  app.get(WEBAPP_PATH, async (request, reply) => {
    const portal = env.portal(request);
    return env.render(reply, portal, { page: 'home', title: 'Home', main: homePage(ctx, portal) });
  });

  // Live updates: Server-Sent Events of the session's participants, filtered by its entities.
  const streams = new Set<() => void>();
  // On shutdown every stream ends at once (browsers reconnect later), rather than holding the drain for its grace period.
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });
  app.get('/webapp/events', async (request, reply) => {
    const portal = env.portal(request);
    const participants = new Set(Object.keys(portal.user.entitlements));
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive',
      'x-content-type-options': 'nosniff', 'x-traceId': request.id,
    });
    raw.write('retry: 2000\n\n');
    const send = (type: string, data: unknown) => raw.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    const stopEvents = ctx.events.observe((participantId, frame) => {
      if (participants.has(participantId) && eventVisible(portal.user, participantId, frame)) send('idx', { participantId, ...frame });
    });
    const stopCounts = series.onChange((participantId, businessFunctionId, sample) => {
      if (participants.has(participantId) && (may(portal.user, participantId, 'FCTRL_FCTRL', 'R') || may(portal.user, participantId, 'FCTRL_STATUS', 'R') || may(portal.user, participantId, 'PQD_BPQD', 'R'))) {
        send('count', { participantId, businessFunctionId, messageCount: sample.messageCount, messageStatus: sample.messageStatus });
      }
    });
    // A comment line now and then keeps proxies from closing an idle stream (real time: it is transport, not simulation).
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 25_000);
    heartbeat.unref();
    const end = () => {
      if (!streams.delete(end)) return;
      clearInterval(heartbeat);
      stopEvents();
      stopCounts();
      raw.end();
    };
    streams.add(end);
    request.raw.once('close', end);
  });

  for (const register of [translogPages, archivePages, flowControlPages, statusPages, messagePages]) register(app, env);
}

function safeHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

function acceptsHtml(request: FastifyRequest): boolean {
  return String(request.headers.accept ?? '').includes('text/html');
}

/** Where to go after signing in: a path of this app only (no open redirect). */
function nextOf(request: FastifyRequest, fromForm?: string): string {
  const next = fromForm ?? (request.query as Record<string, string> | undefined)?.next ?? '';
  return /^\/webapp\/[^/\\]/.test(next) || next === WEBAPP_PATH ? next : WEBAPP_PATH;
}

function signInPage(env: WebAppEnv, reply: FastifyReply, next: string, error: string | undefined, username = ''): FastifyReply {
  const signedOut = (reply.request.query as Record<string, string> | undefined)?.signedOut === '1';
  return env.render(reply, undefined, {
    page: 'home',
    title: 'Sign in',
    main: html`<section class="card sign-in" aria-labelledby="sign-in-title">
<h1 id="sign-in-title">Sign in to the IDX Web App</h1>
<p class="hint">Markets Portal sign-in with your URM user. What you see follows your URM entities.</p>
${error ? html`<div class="notice notice-bad" role="alert">${error}</div>` : ''}
${signedOut && !error ? html`<div class="notice notice-ok" role="status">You have signed out.</div>` : ''}
<form method="post" action="/webapp/sign-in">
<input type="hidden" name="next" value="${next}">
<div class="field"><label for="username">Username</label><input id="username" name="username" autocomplete="username" required value="${username}"${username ? '' : html` autofocus`}></div>
<div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required${username ? html` autofocus` : ''}></div>
<div class="form-actions"><button class="btn btn-primary" type="submit">Sign in</button></div>
</form>
<p class="hint">idx-sim: the URM users are in <code>fixtures/urm-users.json</code> (or added with the control API) — e.g. <code>lnspnorth-api</code> / <code>lnspnorth-secret</code> for an LNSP, <code>acmemc-api</code> / <code>acmemc-secret</code> for an MC.</p>
</section>`,
  });
}

function homePage(ctx: AppContext, portal: Portal) {
  const participant = ctx.participants.participant(portal.participantId);
  const entities = portal.user.entitlements[portal.participantId] ?? {};
  const allowed = new Set(allowedPages(portal.user, portal.participantId).map((p) => p.id));
  // At a glance: what the user's entities let it read, through the same services as the pages.
  const glance: SafeHtml[] = [];
  if (allowed.has('flow-control') || allowed.has('status')) {
    const pqd = ctx.flowControl.information(portal.participantId, 'pqd', 'NEM', true);
    glance.push(html`<div class="stat"><dt>pqd queue count</dt><dd>${pqd.messageCount}</dd></div>`,
      html`<div class="stat"><dt>pqd message status</dt><dd>${badge(pqd.messageStatus)}</dd></div>`,
      html`<div class="stat"><dt>Outbound delivery</dt><dd>${badge(pqd.outboundDelivery ?? null)}</dd></div>`);
  }
  if (allowed.has('messages')) glance.push(html`<div class="stat"><dt>Messages in queue</dt><dd>${ctx.bpqd.list(portal.participantId, { itemCount: 1 }).meta.totalRecords}</dd></div>`);
  if (allowed.has('translog')) glance.push(html`<div class="stat"><dt>Transaction Log records</dt><dd>${ctx.translog.list(portal.participantId, { itemCount: 1 }, undefined).meta.totalRecords}</dd></div>`);
  return html`<div class="page-head"><div><h1>Welcome, ${portal.user.clientId}</h1>
<p>Acting for <strong>${portal.participantId}</strong>${participant ? html` — ${participant.name} (${participant.role})` : ''}. Your access follows your URM entities (seed 000 Tables 3 and 4).</p></div></div>
${glance.length ? html`<section class="card" aria-labelledby="glance-title" id="glance" data-live-region><h2 id="glance-title">At a glance</h2><dl class="stats">${glance}</dl></section>` : ''}
<div class="grid">
<section class="card" aria-labelledby="interfaces-title"><h2 id="interfaces-title">IDX interfaces</h2>
<ul class="interfaces">${WEBAPP_PAGES.map((p) => allowed.has(p.id)
    ? html`<li><a href="${p.path}"><strong>${p.label}</strong></a><br><span class="hint">${p.summary}</span></li>`
    : html`<li><strong>${p.label}</strong> <span class="badge badge-neutral">not available</span><br><span class="hint">Needs URM entity <code>${p.entity}</code> (${p.letter}).</span></li>`)}</ul>
</section>
<section class="card" aria-labelledby="entities-title"><h2 id="entities-title">Your URM entities for ${portal.participantId}</h2>
<div class="table-wrap" role="region" aria-label="URM entities" tabindex="0"><table><thead><tr><th scope="col">Entity</th><th scope="col">Rights</th><th scope="col">Description</th></tr></thead>
<tbody>${(Object.entries(entities) as Array<[UrmEntity, string]>).map(([entity, letters]) => html`<tr><td><code>${entity}</code></td><td>${letters}</td><td>${ENTITY_DESCRIPTIONS[entity] ?? ''}</td></tr>`)}</tbody></table></div>
</section></div>`;
}
