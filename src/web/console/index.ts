/**
 * The simulator console at /console/ (issue #12): the simulator's own tool — not part of AEMO's IDX Web
 * App — for testers and operators who would rather look than read JSON. Sign in with the control API's
 * admin key; every page reads, and every form acts, through the control API (./control.ts), so the
 * console shows exactly what `idx-sim` commands and CI scripts see, and refuses what they are refused.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { ERROR_CATALOGUE, IdxError } from '../../domain/errors.js';
import { formatMarketDateTime } from '../../domain/market-time.js';
import { bodyView } from '../../routes/sim-admin/journal.js';
import { sameSecret } from '../../security/same-secret.js';
import type { JournalFilter } from '../../store/journal-store.js';
import { html, raw, type SafeHtml } from '../shared/html.js';
import { addSecurityHeaders, checkCsrf, errorBody, field, readCookies, registerFormParser, sessionCookie, webErrorHandler } from '../shared/http.js';
import { page } from '../shared/layout.js';
import { WebSessions, type WebSession } from '../shared/sessions.js';
import { Control, type Problem } from './control.js';
import { churnBody, clockBody, counterpartyBody, counterpartyPatch, faultBody, FormProblem, outageBody, type Form } from './forms.js';
import {
  clockChip, clockPage, CONSOLE_NAV, counterpartiesPage, faultsPage, JOURNAL_FILTERS, journalPage, journalRow, participantsPage, reportsPage,
  signInPage, type Certificate, type Clock, type Counterparty, type FaultRule, type JournalEntry, type JournalQuery, type NmiRole, type Outage,
  type Participant, type Refusal,
} from './pages.js';
import { listRuns, REPORT_FILES, reportPath, type ReportFile } from './reports.js';

export const SESSION_COOKIE = 'idx_sim_console';
/** Holds the sign-in form's CSRF token before there is a session (double submit). */
export const SIGN_IN_COOKIE = 'idx_sim_console_signin';
/** Real time a console session stays signed in without use: real, not simulated — advancing the clock a week must not sign the operator out. */
export const CONSOLE_IDLE_MS = 8 * 3600_000;
const PAGE_SIZE = 50;
/** Beside the name on every page: this is not AEMO's application. */
const NOTE = "Simulator tool — not part of AEMO's IDX Web App";

interface ConsoleState {
  /** One line shown on the next page (after a redirect). */
  flash?: string;
}

type Session = WebSession<ConsoleState>;

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: Session;
  }
}

/** Report files are someone else's HTML (the scenario runner's): a sandboxed, unique origin that cannot reach the console's cookies or forms. */
const REPORT_CSP = "sandbox allow-scripts allow-popups; default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'";

const PUBLIC = new Set(['/console/sign-in']);

export async function consoleRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  const sessions = new WebSessions<ConsoleState>(() => CONSOLE_IDLE_MS);
  const realNow = () => performance.now();
  const control = new Control(app, ctx);
  registerFormParser(app);
  app.setErrorHandler(webErrorHandler(ctx, (request, err) => raw(page({
    title: err.title, appName: 'idx-sim console', appHref: '/console/', appNote: NOTE, brandMark: 'SIM', nav: [], main: errorBody(request, err),
  }))));

  const render = (request: FastifyRequest, reply: FastifyReply, title: string, current: string, main: SafeHtml, clock?: Clock) => {
    const s = request.consoleSession;
    const account = s ? html`${clock ? clockChip(clock) : ''}<form method="post" action="/console/sign-out" class="inline-form">
      <input type="hidden" name="_csrf" value="${s.csrfToken}"><button type="submit" class="btn btn-small">Sign out</button></form>` : undefined;
    return reply.type('text/html; charset=utf-8').send(page({
      title, appName: 'idx-sim console', appHref: '/console/', appNote: NOTE, brandMark: 'SIM',
      nav: s ? CONSOLE_NAV : [], current, ...(account ? { account } : {}), main, scripts: ['/web-assets/console.js'], data: { app: 'console' },
    }));
  };

  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.url.startsWith('/console')) return payload;
    if (reply.getHeader('content-security-policy') === undefined) addSecurityHeaders(reply);
    return payload;
  });

  // Who may pass: the sign-in page for everyone; everything else with a live session, and a POST with its CSRF token too.
  app.addHook('preHandler', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (!path.startsWith('/console/') || PUBLIC.has(path)) return;
    const session = sessions.touch(readCookies(request.headers.cookie)[SESSION_COOKIE], realNow());
    if (!session) {
      if (request.method === 'GET') return reply.redirect(`/console/sign-in?next=${encodeURIComponent(request.url)}`, 303);
      throw new IdxError('IDX_ERR_WEB_SIGN_IN_REQUIRED', 'sign in to the simulator console with the admin key first (/console/sign-in)');
    }
    request.consoleSession = session;
    if (request.method === 'POST') checkCsrf(request, session);
  });

  /** After an action: back to the page with a note (post/redirect/get, so a reload does not repeat it). */
  const done = (request: FastifyRequest, reply: FastifyReply, to: string, flash: string) => {
    request.consoleSession!.data.flash = flash;
    return reply.redirect(to, 303);
  };
  const takeFlash = (request: FastifyRequest) => {
    const data = request.consoleSession!.data;
    const flash = data.flash;
    delete data.flash;
    return flash;
  };
  const formProblem = (request: FastifyRequest, p: FormProblem): Problem => ({
    status: 400, code: 'IDX_ERR_FORM_INVALID', title: ERROR_CATALOGUE.IDX_ERR_FORM_INVALID.title, detail: p.message, traceId: request.id, errors: [p.item()],
  });
  /** Runs a form's conversion; a FormProblem becomes a refusal shown on the page like the control API's. */
  const convert = <T>(request: FastifyRequest, f: () => T): T | Problem => {
    try {
      return f();
    } catch (err) {
      if (err instanceof FormProblem) return formProblem(request, err);
      throw err;
    }
  };
  const isProblem = (v: unknown): v is Problem => typeof v === 'object' && v !== null && 'code' in v && 'traceId' in v;

  const clock = () => control.read<Clock>('/clock');
  const participants = () => control.read<Participant[]>('/participants');

  // ------------------------------------------------------------------------------------- sign in / out
  app.get('/console', async (_request, reply) => reply.redirect('/console/', 302));

  app.get('/console/sign-in', async (request, reply) => {
    const kept = readCookies(request.headers.cookie)[SIGN_IN_COOKIE];
    const token = kept && /^[0-9a-f]{64}$/.test(kept) ? kept : randomToken();
    const next = safeNext((request.query as { next?: string }).next);
    reply.header('set-cookie', sessionCookie(request, SIGN_IN_COOKIE, token, '/console'));
    return render(request, reply, 'Sign in', '/console/sign-in', signInPage(token, undefined, next));
  });

  app.post('/console/sign-in', async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const pre = readCookies(request.headers.cookie)[SIGN_IN_COOKIE];
    // Double submit: the token of the form must be the one this browser was given with it (and never the empty one).
    if (!pre || !/^[0-9a-f]{64}$/.test(pre)) {
      throw new IdxError('IDX_ERR_CSRF_TOKEN', 'sign in from the sign-in page of this console (/console/sign-in): the form token is missing',
        { errors: [{ in: 'form', name: '_csrf', code: 'CSRF', message: 'no sign-in form token' }] });
    }
    checkCsrf(request, { csrfToken: pre });
    const next = safeNext(field(form, 'next'));
    if (!sameSecret(field(form, 'key'), ctx.config.adminKey)) {
      request.log.warn({ controlAction: 'refused', url: request.url, remoteAddress: request.ip, reason: field(form, 'key') ? 'wrong key' : 'no key' }, 'simulator console: sign-in refused');
      const err = new IdxError('IDX_ERR_ADMIN_KEY', 'that is not the admin key of this simulator (IDX_SIM_ADMIN_KEY)', { errors: [{ in: 'form', name: 'key', code: 'ADMIN_KEY', message: field(form, 'key') ? 'wrong key' : 'missing' }] });
      reply.code(401);
      return render(request, reply, 'Sign in', '/console/sign-in', signInPage(pre, { status: 401, code: err.code, title: err.title, detail: err.detail, traceId: request.id }, next));
    }
    const session = sessions.create({}, realNow());
    request.log.info({ controlAction: 'console sign-in', remoteAddress: request.ip }, 'simulator console: signed in');
    reply.header('set-cookie', [sessionCookie(request, SESSION_COOKIE, session.id, '/console'), sessionCookie(request, SIGN_IN_COOKIE, '', '/console', true)]);
    return reply.redirect(next, 303);
  });

  app.post('/console/sign-out', async (request, reply) => {
    sessions.destroy(request.consoleSession!.id);
    reply.header('set-cookie', sessionCookie(request, SESSION_COOKIE, '', '/console', true));
    return reply.redirect('/console/sign-in', 303);
  });

  // ------------------------------------------------------------------------------------- clock
  const showClock = async (request: FastifyRequest, reply: FastifyReply, refusal?: Refusal) => {
    const [c, ps, roles, cps, faults, outages] = await Promise.all([clock(), participants(), control.read<NmiRole[]>('/nmis'),
      control.read<Counterparty[]>('/counterparties'), control.read<FaultRule[]>('/faults'), control.read<Outage[]>('/outages')]);
    if (refusal) reply.code(refusal.problem.status);
    return render(request, reply, 'Clock', '/console/', clockPage({
      clock: c, csrf: request.consoleSession!.csrfToken, flash: takeFlash(request), refusal,
      counts: { participants: ps.length, nmis: new Set(roles.map((r) => r.nmi)).size, counterparties: cps.length, activeFaults: faults.filter((f) => f.active).length, outages: outages.filter((o) => o.state !== 'ended').length },
    }), c);
  };
  app.get('/console/', async (request, reply) => showClock(request, reply));
  app.post('/console/clock', async (request, reply) => {
    const form = request.body as Form;
    const body = convert(request, () => clockBody(form));
    if (isProblem(body)) return showClock(request, reply, { form: 'clock', values: form, problem: body });
    const r = await control.call<Clock & { expiredMessages: number }>('PUT', '/clock', body, request);
    if (!r.ok) return showClock(request, reply, { form: 'clock', values: form, problem: r.problem });
    const what = form.action === 'freeze' ? 'Clock frozen' : form.action === 'unfreeze' ? 'Clock running again' : form.action === 'set' ? 'Clock set' : `Clock advanced by ${form.duration}`;
    const expired = r.data.expiredMessages ? `; ${r.data.expiredMessages} queued messages expired` : '';
    return done(request, reply, '/console/', `${what}: now ${r.data.now.slice(0, 19).replace('T', ' ')} AEST${expired}.`);
  });

  // ------------------------------------------------------------------------------------- participants and NMIs
  const showParticipants = async (request: FastifyRequest, reply: FastifyReply, refusal?: Refusal) => {
    const [c, ps, roles] = await Promise.all([clock(), participants(), control.read<NmiRole[]>('/nmis')]);
    const certificates = new Map(await Promise.all(ps.map(async (p) => [p.participantId, await control.read<Certificate[]>(`/participants/${p.participantId}/certificates`)] as const)));
    if (refusal) reply.code(refusal.problem.status);
    return render(request, reply, 'Participants and NMIs', '/console/participants', participantsPage({
      clock: c, csrf: request.consoleSession!.csrfToken, flash: takeFlash(request), refusal, participants: ps, certificates, roles,
    }), c);
  };
  app.get('/console/participants', async (request, reply) => showParticipants(request, reply));
  app.post('/console/churn', async (request, reply) => {
    const form = request.body as Form;
    const converted = convert(request, () => churnBody(form));
    if (isProblem(converted)) return showParticipants(request, reply, { form: 'churn', values: form, problem: converted });
    const r = await control.call('POST', `/nmis/${encodeURIComponent(converted.nmi)}/churn`, converted.body, request);
    if (!r.ok) return showParticipants(request, reply, { form: 'churn', values: form, problem: r.problem });
    const roles = Object.entries(converted.body).filter(([k]) => k !== 'fromDate').map(([k, v]) => `${k} → ${v}`).join(', ');
    return done(request, reply, '/console/participants#nmis', `NMI ${converted.nmi} churned from ${String(converted.body.fromDate)}: ${roles}.`);
  });

  // ------------------------------------------------------------------------------------- counterparties
  const showCounterparties = async (request: FastifyRequest, reply: FastifyReply, refusal?: Refusal) => {
    const [c, ps, cps] = await Promise.all([clock(), participants(), control.read<Counterparty[]>('/counterparties')]);
    if (refusal) reply.code(refusal.problem.status);
    return render(request, reply, 'Counterparties', '/console/counterparties', counterpartiesPage({
      csrf: request.consoleSession!.csrfToken, flash: takeFlash(request), refusal, counterparties: cps, participants: ps,
    }), c);
  };
  app.get('/console/counterparties', async (request, reply) => showCounterparties(request, reply));
  app.post('/console/counterparties', async (request, reply) => {
    const form = request.body as Form;
    const r = await control.call<Counterparty>('POST', '/counterparties', counterpartyBody(form), request);
    if (!r.ok) return showCounterparties(request, reply, { form: 'counterparty', values: form, problem: r.problem });
    return done(request, reply, '/console/counterparties', `Counterparty ${r.data.id} started.`);
  });
  app.post('/console/counterparties/tick', async (request, reply) => {
    const r = await control.call<Counterparty[]>('POST', '/counterparties/tick', undefined, request);
    if (!r.ok) return showCounterparties(request, reply, { form: 'counterparty:tick', values: {}, problem: r.problem });
    return done(request, reply, '/console/counterparties', 'Ran what was due.');
  });
  app.post('/console/counterparties/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = request.body as Form;
    const path = `/counterparties/${encodeURIComponent(id)}`;
    if (form.action === 'remove') {
      const r = await control.call('DELETE', path, undefined, request);
      if (!r.ok) return showCounterparties(request, reply, { form: `counterparty:${id}`, values: form, problem: r.problem });
      return done(request, reply, '/console/counterparties', `Counterparty ${id} stopped and removed.`);
    }
    const patch = convert(request, () => counterpartyPatch(form));
    if (isProblem(patch)) return showCounterparties(request, reply, { form: `counterparty:${id}`, values: form, problem: patch });
    const r = await control.call<Counterparty>('PATCH', path, patch, request);
    if (!r.ok) return showCounterparties(request, reply, { form: `counterparty:${id}`, values: form, problem: r.problem });
    const what = form.action === 'pause' ? 'stopped (paused)' : form.action === 'resume' ? 'started again' : `now ${r.data.spec.policy}`;
    return done(request, reply, '/console/counterparties', `Counterparty ${id} ${what}.`);
  });

  // ------------------------------------------------------------------------------------- faults and outages
  const showFaults = async (request: FastifyRequest, reply: FastifyReply, refusal?: Refusal) => {
    const [c, ps, faults, outages] = await Promise.all([clock(), participants(), control.read<FaultRule[]>('/faults'), control.read<Outage[]>('/outages')]);
    if (refusal) reply.code(refusal.problem.status);
    return render(request, reply, 'Faults and outages', '/console/faults', faultsPage({
      clock: c, csrf: request.consoleSession!.csrfToken, flash: takeFlash(request), refusal, faults, outages, participants: ps,
    }), c);
  };
  app.get('/console/faults', async (request, reply) => showFaults(request, reply));
  app.post('/console/faults', async (request, reply) => {
    const form = request.body as Form;
    const r = await control.call<FaultRule>('POST', '/faults', faultBody(form), request);
    if (!r.ok) return showFaults(request, reply, { form: 'fault', values: form, problem: r.problem });
    return done(request, reply, '/console/faults', `Fault rule ${r.data.id} (${r.data.kind}) injected${r.data.active ? ' and in force' : ''}.`);
  });
  app.post('/console/faults/clear', async (request, reply) => {
    const r = await control.call('DELETE', '/faults', undefined, request);
    if (!r.ok) return showFaults(request, reply, { form: 'fault', values: {}, problem: r.problem });
    return done(request, reply, '/console/faults', 'Every fault rule removed.');
  });
  app.post('/console/faults/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = request.body as Form;
    const path = `/faults/${encodeURIComponent(id)}`;
    const r = form.action === 'remove' ? await control.call('DELETE', path, undefined, request)
      : await control.call('PATCH', path, { enabled: form.action === 'enable' }, request);
    if (!r.ok) return showFaults(request, reply, { form: 'fault', values: {}, problem: r.problem });
    return done(request, reply, '/console/faults', `Fault rule ${id} ${form.action === 'remove' ? 'removed' : form.action === 'enable' ? 'switched on' : 'switched off'}.`);
  });
  app.post('/console/outages', async (request, reply) => {
    const form = request.body as Form;
    const r = await control.call<Outage>('POST', '/outages', outageBody(form), request);
    if (!r.ok) return showFaults(request, reply, { form: 'outage', values: form, problem: r.problem });
    return done(request, reply, '/console/faults', `Outage ${r.data.id} announced (${r.data.state}).`);
  });

  // ------------------------------------------------------------------------------------- journal
  /** The journal's filters from the query string; a status that is not a number is reported, not guessed. */
  const journalFilter = (q: JournalQuery): { filter: JournalFilter; problem?: string } => {
    const filter: JournalFilter = {};
    let problem: string | undefined;
    for (const key of JOURNAL_FILTERS) {
      const v = q[key]?.trim();
      if (!v) continue;
      if (key === 'status') {
        if (/^\d{1,3}$/.test(v)) filter.status = Number(v);
        else problem = `status "${v}" is not an HTTP status; the filter was left out`;
      } else filter[key] = v;
    }
    return { filter, ...(problem ? { problem } : {}) };
  };
  const entryView = (e: ReturnType<AppContext['journal']['page']>[number]): JournalEntry => ({
    ...e, at: formatMarketDateTime(e.at),
    request: bodyView(e.request), response: bodyView(e.response),
  });
  app.get('/console/journal', async (request, reply) => {
    const q = request.query as JournalQuery;
    const { filter, problem } = journalFilter(q);
    const before = /^\d{1,15}$/.test(q.before ?? '') ? Number(q.before) : 0;
    const rows = ctx.journal.latest(filter, before, PAGE_SIZE + 1);
    const entries = rows.slice(0, PAGE_SIZE);
    const [c, ps] = await Promise.all([clock(), participants()]);
    return render(request, reply, 'Request journal', '/console/journal', journalPage({
      query: q, entries: entries.map(entryView), olderCursor: rows.length > PAGE_SIZE ? entries[entries.length - 1]!.id : null, participants: ps, ...(problem ? { problem } : {}),
    }), c);
  });
  /** The live tail: rows after the newest one the page shows, newest first, as table rows. */
  app.get('/console/journal/rows', async (request, reply) => {
    const q = request.query as JournalQuery & { after?: string };
    const after = /^\d{1,15}$/.test(q.after ?? '') ? Number(q.after) : 0;
    const rows = ctx.journal.page(journalFilter(q).filter, after, PAGE_SIZE).reverse();
    return reply.type('text/html; charset=utf-8').send(html`${rows.map((e) => journalRow(entryView(e)))}`.value);
  });

  // ------------------------------------------------------------------------------------- scenario reports
  app.get('/console/reports', async (request, reply) => {
    const c = await clock();
    return render(request, reply, 'Scenario reports', '/console/reports', reportsPage({ dir: shownPath(ctx.config.reportsDir), runs: listRuns(ctx.config.reportsDir) }), c);
  });
  app.get('/console/reports/:run/:file', async (request, reply) => {
    const { run, file } = request.params as { run: string; file: string };
    const path = reportPath(ctx.config.reportsDir, run, file);
    if (!path) throw new IdxError('IDX_ERR_ROUTE_NOT_FOUND', `no ${file} in a scenario run named ${run} under IDX_SIM_REPORTS_DIR; /console/reports lists them`);
    reply.header('content-security-policy', REPORT_CSP).header('x-content-type-options', 'nosniff').header('cache-control', 'no-store');
    return reply.type(REPORT_FILES[file as ReportFile]).send(readFileSync(path));
  });
}

const randomToken = () => randomBytes(32).toString('hex');

/** Where to go after signing in: a console page only (never another site: no open redirect). */
function safeNext(next: string | undefined): string {
  return next && /^\/console\/[A-Za-z0-9/_?=&%.~+-]*$/.test(next) && !next.startsWith('//') && !next.includes('..') ? next : '/console/';
}

/** A directory as the operator configured it: relative to the working directory when inside it. */
function shownPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dir;
}
