/**
 * The simulator console's pages (issue #12): server-rendered HTML from what the control API answers.
 * Every interpolation goes through the escaping `html` template (src/web/shared/html.ts); scripts are
 * files (src/web/assets/console.js), never inline.
 */
import type { components } from '../../contract/types/sim-admin.js';
import { html, type SafeHtml } from '../shared/html.js';
import type { NavItem } from '../shared/layout.js';
import type { Problem, ProblemItem } from './control.js';
import { localMarketValue, type Form } from './forms.js';
import type { ReportRun } from './reports.js';

type S = components['schemas'];
export type Clock = S['Clock'];
export type Participant = S['Participant'];
export type Certificate = S['Certificate'];
export type NmiRole = S['NmiRole'];
export type Counterparty = S['Counterparty'];
export type FaultRule = S['FaultRule'];
export type Outage = S['Outage'];
export type JournalEntry = S['JournalEntry'];

export const CONSOLE_NAV: readonly NavItem[] = [
  { href: '/console/', label: 'Clock' },
  { href: '/console/participants', label: 'Participants & NMIs' },
  { href: '/console/counterparties', label: 'Counterparties' },
  { href: '/console/faults', label: 'Faults & outages' },
  { href: '/console/journal', label: 'Request journal' },
  { href: '/console/reports', label: 'Scenario reports' },
];

export const MARKET_ROLES = ['MC', 'MDP', 'LNSP'] as const;
export const IDX_APIS = ['oauth', 'pqd', 'fctrl', 'events', 'translog', 'archive', 'bfinfo'] as const;
export const FAULT_KINDS = ['error', 'latency', 'reset', 'ws-close', 'ws-silence', 'fc-stop', 'bad-signature', 'truncated-gzip'] as const;
const LNSP_POLICIES = ['normal', 'get-only', 'slow', 'stopped'] as const;

/** What a refused form brings back to its page: the values typed, and the refusal. */
export interface Refusal {
  form: string;
  values: Form;
  problem: Problem;
}

// ------------------------------------------------------------------------------------------ pieces

/** `2026-07-02T09:00:00.000+10:00` → `2026-07-02 09:00:00`, the market time the console shows (labelled AEST). */
export const shortTime = (iso: string | null | undefined): string => (iso ? iso.slice(0, 19).replace('T', ' ') : '—');

/** The field a problem item points at: `/fromDate` → fromDate, `/roles/0/participantId` → participantId. */
function fieldOf(item: ProblemItem): string | undefined {
  if (item.pointer) return item.pointer.split('/').filter(Boolean).pop();
  return item.name;
}

/** Inline errors of one form: a summary (role=alert) and a message per field. */
class FormErrors {
  private readonly byField = new Map<string, string[]>();
  constructor(readonly refusal: Refusal | undefined) {
    for (const item of refusal?.problem.errors ?? []) {
      const f = fieldOf(item);
      if (f) this.byField.set(f, [...(this.byField.get(f) ?? []), item.message]);
    }
  }
  value(name: string, fallback = ''): string {
    return this.refusal?.values[name] ?? fallback;
  }
  has(name: string): boolean {
    return this.byField.has(name);
  }
  /** aria attributes of an input: invalid and described by its message. */
  attrs(id: string, name: string): SafeHtml {
    return this.has(name) ? html` aria-invalid="true" aria-describedby="${id}-error"` : html``;
  }
  message(id: string, name: string): SafeHtml {
    const messages = this.byField.get(name);
    return messages ? html`<p class="field-error" id="${id}-error">${messages.join('; ')}</p>` : html``;
  }
  summary(): SafeHtml {
    const p = this.refusal?.problem;
    if (!p) return html``;
    return html`<div class="notice notice-bad" role="alert">
  <p><strong>Refused — ${p.title}.</strong> ${p.detail}</p>
  <p class="meta"><code>${p.status} ${p.code}</code> · trace id <code>${p.traceId}</code></p>
</div>`;
  }
}

const errorsFor = (refusal: Refusal | undefined, form: string) => new FormErrors(refusal?.form === form ? refusal : undefined);

function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

function options(values: readonly string[], selected: string, labels: (v: string) => string = (v) => v): SafeHtml {
  return html`${values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${labels(v)}</option>`)}`;
}

function badge(text: string, tone: 'ok' | 'warn' | 'bad' | 'neutral' | 'info'): SafeHtml {
  return html`<span class="badge badge-${tone}">${text}</span>`;
}

/** A flash line after a successful action (status, polite). */
export function flashNotice(flash: string | undefined): SafeHtml {
  return flash ? html`<div class="notice notice-ok" role="status">${flash}</div>` : html``;
}

function pageHead(title: string, intro: string | SafeHtml, flash?: string): SafeHtml {
  return html`<div class="page-head"><h1>${title}</h1><p class="lede">${intro}</p></div>${flashNotice(flash)}`;
}

/** The simulated clock as the header shows it on every page (ticking in the browser while not frozen). */
export function clockChip(clock: Clock): SafeHtml {
  return html`<span class="sim-clock" data-sim-clock data-now="${String(Date.parse(clock.now))}" data-frozen="${String(clock.frozen)}">
  <span class="sim-clock-label">Simulated</span> <time class="sim-clock-time" datetime="${clock.now}">${shortTime(clock.now)}</time> <span class="sim-clock-zone">AEST</span>
  ${clock.frozen ? badge('frozen', 'info') : badge('running', 'ok')}</span>`;
}

// ------------------------------------------------------------------------------------------ sign in

export function signInPage(csrf: string, refused?: Problem, next = '/console/'): SafeHtml {
  return html`<section class="card sign-in" aria-labelledby="sign-in-title">
  <h1 id="sign-in-title">Simulator console</h1>
  <p class="lede">Drive idx-sim itself — its clock, participants and NMIs, virtual counterparties, faults and request journal.
  This is the simulator's own tool, <strong>not part of AEMO's IDX Web App</strong>; participants' screens are at <a href="/webapp/">/webapp/</a>.</p>
  ${refused ? html`<div class="notice notice-bad" role="alert"><p><strong>${refused.title}.</strong> ${refused.detail}</p><p class="meta"><code>${refused.status} ${refused.code}</code> · trace id <code>${refused.traceId}</code></p></div>` : ''}
  <form method="post" action="/console/sign-in" class="stack">
    ${csrfField(csrf)}
    <input type="hidden" name="next" value="${next}">
    <div class="field">
      <label for="key">Admin key</label>
      <input id="key" name="key" type="password" autocomplete="current-password" required${refused ? html` aria-invalid="true"` : ''} aria-describedby="key-help">
      <p class="hint" id="key-help">The control API key, <code>IDX_SIM_ADMIN_KEY</code>. On a loopback host without one configured it is <code>idx-sim-admin</code>;
      otherwise the hub printed it at first start and keeps it in <code>&lt;data dir&gt;/admin-key</code>.</p>
    </div>
    <button type="submit" class="btn btn-primary">Sign in</button>
  </form>
</section>`;
}

// ------------------------------------------------------------------------------------------ clock

export function clockPage(o: { clock: Clock; csrf: string; flash?: string; refusal?: Refusal; counts: { participants: number; nmis: number; counterparties: number; activeFaults: number; outages: number } }): SafeHtml {
  const e = errorsFor(o.refusal, 'clock');
  const c = o.clock;
  return html`${pageHead('Simulated clock', 'Every deadline of the hub — queue expiry, daily quotas, certificate validity, outages, counterparty schedules — reads this clock. Moving it runs whatever falls due at once.', o.flash)}
${e.summary()}
<section class="card clock-card" aria-labelledby="clock-now-title">
  <h2 id="clock-now-title" class="visually-hidden">Now</h2>
  <div class="clock-face" data-sim-clock data-now="${String(Date.parse(c.now))}" data-frozen="${String(c.frozen)}">
    <time class="clock-big sim-clock-time" datetime="${c.now}">${shortTime(c.now)}</time>
    <span class="clock-zone">AEST (UTC+10, market time)</span>
    ${c.frozen ? badge('Frozen — moves only when told to', 'info') : badge('Running with real time', 'ok')}
  </div>
  <div class="clock-actions">
  <form method="post" action="/console/clock" aria-label="Advance quickly">
    ${csrfField(o.csrf)}
    <input type="hidden" name="action" value="advance">
    <button type="submit" name="duration" value="PT1H" class="btn">+1 hour</button>
    <button type="submit" name="duration" value="P1D" class="btn">+1 day</button>
    <button type="submit" name="duration" value="P10D" class="btn">+10 days <span class="muted">(queue expiry)</span></button>
  </form>
  <form method="post" action="/console/clock">
    ${csrfField(o.csrf)}
    ${c.frozen
      ? html`<button type="submit" name="action" value="unfreeze" class="btn">Unfreeze</button>`
      : html`<button type="submit" name="action" value="freeze" class="btn">Freeze</button>`}
  </form>
  </div>
</section>
<div class="grid-2">
  <section class="card" aria-labelledby="advance-title">
    <h2 id="advance-title">Advance by a duration</h2>
    <form method="post" action="/console/clock" class="stack">
      ${csrfField(o.csrf)}
      <input type="hidden" name="action" value="advance">
      <div class="field">
        <label for="duration">ISO 8601 duration</label>
        <input id="duration" name="duration" value="${e.value('duration')}" placeholder="PT90M" required autocomplete="off" spellcheck="false"${e.attrs('duration', 'duration')} aria-describedby="duration-help">
        <p class="hint" id="duration-help">e.g. <code>PT90M</code>, <code>P2D</code>, <code>P1DT6H</code>; a leading <code>-</code> goes back.</p>
        ${e.message('duration', 'duration')}
      </div>
      <button type="submit" class="btn btn-primary">Advance</button>
    </form>
  </section>
  <section class="card" aria-labelledby="set-title">
    <h2 id="set-title">Set the clock</h2>
    <form method="post" action="/console/clock" class="stack">
      ${csrfField(o.csrf)}
      <input type="hidden" name="action" value="set">
      <div class="field">
        <label for="dateTime">Market date and time (AEST)</label>
        <input id="dateTime" name="dateTime" type="datetime-local" step="1" value="${e.value('dateTime', localMarketValue(c.now))}" required${e.attrs('dateTime', 'dateTime')}>
        ${e.message('dateTime', 'dateTime')}
      </div>
      <button type="submit" class="btn btn-primary">Set</button>
    </form>
  </section>
</div>
<section class="card" aria-labelledby="state-title">
  <h2 id="state-title">The simulator now</h2>
  <dl class="stats">
    <div class="stat"><dt>Participants</dt><dd><a href="/console/participants">${o.counts.participants}</a></dd></div>
    <div class="stat"><dt>NMIs with standing data</dt><dd><a href="/console/participants#nmis">${o.counts.nmis}</a></dd></div>
    <div class="stat"><dt>Virtual counterparties</dt><dd><a href="/console/counterparties">${o.counts.counterparties}</a></dd></div>
    <div class="stat"><dt>Fault rules in force</dt><dd><a href="/console/faults">${o.counts.activeFaults}</a></dd></div>
    <div class="stat"><dt>Outages active or scheduled</dt><dd><a href="/console/faults#outages-title">${o.counts.outages}</a></dd></div>
  </dl>
</section>`;
}

// ------------------------------------------------------------------------------------------ participants and NMIs

function certificateCell(certs: Certificate[], now: string): SafeHtml {
  const current = certs.filter((c) => c.current);
  if (!current.length) return html`<span class="muted">none registered</span>`;
  return html`<ul class="plain">${current.map((c) => {
    const expired = Date.parse(c.validTo) <= Date.parse(now);
    const state = c.revoked ? badge('revoked', 'bad') : expired ? badge('expired', 'bad') : c.active ? badge('active', 'ok') : badge('standby', 'neutral');
    return html`<li><span class="slot">${c.slot}</span> ${state} <span class="muted">to ${c.validTo.slice(0, 10)}</span></li>`;
  })}</ul>`;
}

interface NmiGroup {
  nmis: string[];
  roles: NmiRole[];
}

/** NMIs whose role spans are the same (a fixture range) shown as one group: `4102000001 … 4102000010`. */
export function groupNmis(roles: NmiRole[]): NmiGroup[] {
  const byNmi = new Map<string, NmiRole[]>();
  for (const r of roles) byNmi.set(r.nmi, [...(byNmi.get(r.nmi) ?? []), r]);
  const groups = new Map<string, NmiGroup>();
  for (const [nmi, spans] of [...byNmi].sort(([a], [b]) => a.localeCompare(b))) {
    const key = spans.map((s) => `${s.role}:${s.participantId}:${s.fromDate}:${s.toDate}`).sort().join('|');
    const g = groups.get(key);
    if (g) g.nmis.push(nmi);
    else groups.set(key, { nmis: [nmi], roles: spans });
  }
  return [...groups.values()];
}

const DAY = 86_400_000;
const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** One row's bar in the timeline: an SVG in percentages of the shown range (no inline style: the CSP forbids it). */
function timelineBar(span: NmiRole, range: { from: number; to: number }, today: number): SafeHtml {
  const width = range.to - range.from;
  const start = Math.max(dayOf(span.fromDate), range.from);
  const end = Math.min(span.toDate ? dayOf(span.toDate) + DAY : range.to, range.to);
  const x = ((start - range.from) / width) * 100;
  const w = Math.max(0.5, ((end - start) / width) * 100);
  const t = ((today - range.from) / width) * 100;
  return html`<svg class="role-timeline" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
  <rect class="rt-track" x="0" y="2" width="100" height="6" rx="0"></rect>
  <rect class="rt-span role-${span.role.toLowerCase()}${span.toDate ? '' : ' open-ended'}" x="${x.toFixed(2)}" y="2" width="${w.toFixed(2)}" height="6"></rect>
  ${t >= 0 && t <= 100 ? html`<line class="rt-today" x1="${t.toFixed(2)}" x2="${t.toFixed(2)}" y1="0" y2="10"></line>` : ''}
</svg>`;
}

export function participantsPage(o: {
  clock: Clock; csrf: string; flash?: string; refusal?: Refusal; participants: Participant[]; certificates: Map<string, Certificate[]>; roles: NmiRole[];
}): SafeHtml {
  const e = errorsFor(o.refusal, 'churn');
  const today = dayOf(o.clock.now.slice(0, 10));
  const groups = groupNmis(o.roles);
  const dates = o.roles.flatMap((r) => [dayOf(r.fromDate), ...(r.toDate ? [dayOf(r.toDate) + DAY] : [])]);
  // From the earliest span to two months past the later of today and the last change.
  const range = { from: Math.min(...dates, today - 30 * DAY), to: Math.max(...dates, today) + 60 * DAY };
  const axis = [0, 0.25, 0.5, 0.75, 1].map((f) => new Date(range.from + f * (range.to - range.from)).toISOString().slice(0, 10));
  const nmis = [...new Set(o.roles.map((r) => r.nmi))].sort();
  const byRole = (role: string) => o.participants.filter((p) => p.role === role).map((p) => p.participantId);
  return html`${pageHead('Participants and NMIs', 'Who is registered, what their certificates look like on the simulated clock, and which participant holds each NMI role on which days. Routing (spec §12) reads the same standing data on every submission.', o.flash)}
<section class="card" aria-labelledby="participants-title">
  <h2 id="participants-title">Participants</h2>
  <div class="table-wrap"><table>
    <caption class="visually-hidden">Participants, their market role and certificates</caption>
    <thead><tr><th scope="col">Participant</th><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Certificates</th><th scope="col">Source</th></tr></thead>
    <tbody>${o.participants.map((p) => html`<tr>
      <th scope="row"><code>${p.participantId}</code></th><td>${p.name}</td><td>${badge(p.role, 'info')}</td>
      <td>${certificateCell(o.certificates.get(p.participantId) ?? [], o.clock.now)}</td><td class="muted">${p.source}</td></tr>`)}</tbody>
  </table></div>
</section>
<section class="card" aria-labelledby="churn-title">
  <h2 id="churn-title">Churn a meter</h2>
  <p class="hint">From the date given, the chosen roles pass to new participants; the old spans end the day before. Leave a role unchanged to keep its holder.</p>
  ${e.summary()}
  <form method="post" action="/console/churn" class="form-grid">
    ${csrfField(o.csrf)}
    <div class="field">
      <label for="churn-nmi">NMI</label>
      <select id="churn-nmi" name="nmi" required${e.attrs('churn-nmi', 'nmi')}>${options(nmis, e.value('nmi', nmis[0] ?? ''))}</select>
      ${e.message('churn-nmi', 'nmi')}
    </div>
    <div class="field">
      <label for="churn-from">From market date</label>
      <input id="churn-from" name="fromDate" type="date" required value="${e.value('fromDate', o.clock.now.slice(0, 10))}"${e.attrs('churn-from', 'fromDate')}>
      ${e.message('churn-from', 'fromDate')}
    </div>
    ${MARKET_ROLES.map((role) => html`<div class="field">
      <label for="churn-${role}">New ${role}</label>
      <select id="churn-${role}" name="${role}"${e.attrs(`churn-${role}`, role)}><option value="">— unchanged —</option>${options(byRole(role), e.value(role))}</select>
      ${e.message(`churn-${role}`, role)}
    </div>`)}
    <div class="field field-submit"><button type="submit" class="btn btn-primary">Add churn</button></div>
  </form>
</section>
<section class="card" aria-labelledby="nmis-title" id="nmis">
  <h2 id="nmis-title">NMIs and their roles</h2>
  <p class="hint">NMIs with the same roles are grouped. Bars run from the first to the last day of each role (inclusive); an open end runs off the right edge; the line is today (simulated).</p>
  <p class="rt-legend" aria-hidden="true"><span class="lg-mc">MC</span><span class="lg-mdp">MDP</span><span class="lg-lnsp">LNSP</span><span class="lg-today">today (simulated)</span></p>
  <p class="rt-axis" aria-hidden="true">${axis.map((d) => html`<span>${d}</span>`)}</p>
  ${groups.map((g) => html`<div class="nmi-group">
    <h3>${g.nmis.length === 1 ? html`<code>${g.nmis[0]}</code>` : html`<code>${g.nmis[0]}</code> … <code>${g.nmis[g.nmis.length - 1]}</code> <span class="muted">(${g.nmis.length} NMIs)</span>`}</h3>
    <div class="table-wrap"><table class="roles-table">
      <caption class="visually-hidden">Role spans of ${g.nmis.join(', ')}</caption>
      <thead><tr><th scope="col">Role</th><th scope="col">Participant</th><th scope="col">From</th><th scope="col">To</th><th scope="col" class="rt-col">Timeline</th></tr></thead>
      <tbody>${[...g.roles].sort((a, b) => MARKET_ROLES.indexOf(a.role) - MARKET_ROLES.indexOf(b.role) || a.fromDate.localeCompare(b.fromDate)).map((r) => html`<tr>
        <td>${badge(r.role, 'info')}</td><td><code>${r.participantId}</code></td><td>${r.fromDate}</td><td>${r.toDate ?? html`<span class="muted">open</span>`}</td>
        <td class="rt-col">${timelineBar(r, range, today)}</td></tr>`)}</tbody>
    </table></div>
  </div>`)}
</section>`;
}

// ------------------------------------------------------------------------------------------ counterparties

function counterpartyWhat(c: Counterparty): string {
  const s = c.spec;
  if (s.kind === 'lnsp') return `LNSP, ${s.policy ?? 'normal'}${s.policy === 'slow' ? ` (${s.perMinute}/min)` : ''}`;
  const every = s.schedule?.everyMinutes ? `every ${s.schedule.everyMinutes} min` : 'daily';
  return `sender, ${every}${s.invalidShare ? `, ${Math.round(s.invalidShare * 100)}% invalid` : ''}`;
}

function counterpartyStats(c: Counterparty): string {
  const t = c.stats;
  return c.spec.kind === 'lnsp'
    ? `${t.retrieved} retrieved · ${t.deleted} deleted${t.failed ? ` · ${t.failed} failed` : ''}${t.errors ? ` · ${t.errors} errors` : ''}`
    : `${t.sent} sent · ${t.accepted} accepted · ${t.refused} refused${t.errors ? ` · ${t.errors} errors` : ''}`;
}

export function counterpartiesPage(o: { csrf: string; flash?: string; refusal?: Refusal; counterparties: Counterparty[]; participants: Participant[] }): SafeHtml {
  const e = errorsFor(o.refusal, 'counterparty');
  const eRow = o.refusal?.form.startsWith('counterparty:') ? new FormErrors(o.refusal) : undefined;
  const kind = e.value('kind', 'lnsp');
  return html`${pageHead('Virtual counterparties', 'Senders (MC, MDP) that post BPQD for their NMIs on the simulated clock, and LNSPs that drain their queues by a policy — through the real IDX API, with their own certificates and tokens.', o.flash)}
${eRow?.summary() ?? ''}
<section class="card" aria-labelledby="cp-list-title">
  <div class="card-head"><h2 id="cp-list-title">Running and paused</h2>
  <form method="post" action="/console/counterparties/tick">${csrfField(o.csrf)}<button class="btn" type="submit">Run what is due now</button></form></div>
  ${o.counterparties.length === 0 ? html`<p class="empty">No counterparties yet. Start one below: an LNSP that drains its queue, or a sender that posts daily BPQD.</p>` : html`<div class="table-wrap"><table>
    <caption class="visually-hidden">Virtual counterparties</caption>
    <thead><tr><th scope="col">Id</th><th scope="col">Participant</th><th scope="col">Does</th><th scope="col">State</th><th scope="col">So far</th><th scope="col">Next run</th><th scope="col">Actions</th></tr></thead>
    <tbody>${o.counterparties.map((c) => html`<tr>
      <th scope="row"><code>${c.id}</code></th><td><code>${c.spec.participantId}</code></td><td>${counterpartyWhat(c)}</td>
      <td>${c.state === 'running' ? badge('running', 'ok') : badge('paused', 'neutral')}</td>
      <td>${counterpartyStats(c)}${c.recent.length ? html`<details class="recent"><summary>${c.recent.length === 1 ? 'Last action' : `Last ${Math.min(5, c.recent.length)} actions`}</summary><ul class="plain">${c.recent.slice(-5).reverse().map((a) => html`<li><span class="muted">${shortTime(a.at)}</span> ${a.action}${a.status ? html` → ${a.status}` : ''}${a.code ? html` <code>${a.code}</code>` : ''} ${a.detail ?? ''}</li>`)}</ul></details>` : ''}</td>
      <td>${c.spec.kind === 'sender' ? shortTime(c.nextDueAt) : html`<span class="muted">every tick</span>`}</td>
      <td class="actions">
        <form method="post" action="/console/counterparties/${c.id}" class="inline-form">${csrfField(o.csrf)}
          ${c.state === 'running'
            ? html`<button class="btn btn-small" type="submit" name="action" value="pause" aria-label="Stop ${c.id}">Stop</button>`
            : html`<button class="btn btn-small" type="submit" name="action" value="resume" aria-label="Start ${c.id}">Start</button>`}</form>
        ${c.spec.kind === 'lnsp' ? html`<form method="post" action="/console/counterparties/${c.id}" class="inline-form">${csrfField(o.csrf)}
          <input type="hidden" name="action" value="policy">
          <label class="visually-hidden" for="policy-${c.id}">Policy of ${c.id}</label>
          <select id="policy-${c.id}" name="policy" class="small">${options(LNSP_POLICIES, c.spec.policy ?? 'normal')}</select>
          <button class="btn btn-small" type="submit" aria-label="Apply the policy to ${c.id}">Apply</button></form>` : ''}
        <form method="post" action="/console/counterparties/${c.id}" class="inline-form">${csrfField(o.csrf)}
          <button class="btn btn-small btn-danger" type="submit" name="action" value="remove" aria-label="Remove ${c.id}">Remove</button></form>
      </td></tr>`)}</tbody>
  </table></div>`}
</section>
<section class="card" aria-labelledby="cp-new-title">
  <h2 id="cp-new-title">Start a counterparty</h2>
  ${e.summary()}
  <form method="post" action="/console/counterparties" class="form-grid">
    ${csrfField(o.csrf)}
    <div class="field">
      <label for="cp-kind">Kind</label>
      <select id="cp-kind" name="kind"${e.attrs('cp-kind', 'kind')}>${options(['lnsp', 'sender'], kind, (v) => (v === 'lnsp' ? 'LNSP (drains its queue)' : 'Sender (MC or MDP)'))}</select>
      ${e.message('cp-kind', 'kind')}
    </div>
    <div class="field">
      <label for="cp-participant">Participant</label>
      <select id="cp-participant" name="participantId" required${e.attrs('cp-participant', 'participantId')}>${o.participants.map((p) => html`<option value="${p.participantId}"${p.participantId === e.value('participantId', 'LNSPNORTH') ? html` selected` : ''}>${p.participantId} (${p.role})</option>`)}</select>
      ${e.message('cp-participant', 'participantId')}
    </div>
    <div class="field" data-for-kind="lnsp">
      <label for="cp-policy">LNSP policy</label>
      <select id="cp-policy" name="policy"${e.attrs('cp-policy', 'policy')}>${options(LNSP_POLICIES, e.value('policy', 'normal'))}</select>
      ${e.message('cp-policy', 'policy')}
    </div>
    <div class="field" data-for-kind="lnsp">
      <label for="cp-per-minute">Slow: messages per minute</label>
      <input id="cp-per-minute" name="perMinute" inputmode="numeric" value="${e.value('perMinute')}"${e.attrs('cp-per-minute', 'perMinute')}>
      ${e.message('cp-per-minute', 'perMinute')}
    </div>
    <div class="field" data-for-kind="sender">
      <label for="cp-every">Sender: every N minutes</label>
      <input id="cp-every" name="everyMinutes" inputmode="numeric" value="${e.value('everyMinutes')}" aria-describedby="cp-every-help"${e.attrs('cp-every', 'everyMinutes')}>
      <p class="hint" id="cp-every-help">Empty: once a day, the previous market day's data.</p>
      ${e.message('cp-every', 'everyMinutes')}
    </div>
    <div class="field" data-for-kind="sender">
      <label for="cp-invalid">Sender: share of invalid messages</label>
      <input id="cp-invalid" name="invalidShare" inputmode="decimal" placeholder="0.1" value="${e.value('invalidShare')}"${e.attrs('cp-invalid', 'invalidShare')}>
      ${e.message('cp-invalid', 'invalidShare')}
    </div>
    <div class="field field-submit"><button type="submit" class="btn btn-primary">Start</button></div>
  </form>
</section>`;
}

// ------------------------------------------------------------------------------------------ faults and outages

function faultTarget(f: FaultRule): string {
  const parts = [f.api ? `API ${f.api}` : 'every API', f.operationId ? `operation ${f.operationId}` : '', f.participantId ? `for ${f.participantId}` : 'for everyone'];
  return parts.filter(Boolean).join(', ');
}

function faultEffect(f: FaultRule): string {
  switch (f.kind) {
    case 'error': return `answers ${f.status}`;
    case 'latency': return `waits ${f.latencyMs}${f.latencyMaxMs ? `–${f.latencyMaxMs}` : ''} ms`;
    default: return f.kind;
  }
}

export function faultsPage(o: { clock: Clock; csrf: string; flash?: string; refusal?: Refusal; faults: FaultRule[]; outages: Outage[]; participants: Participant[] }): SafeHtml {
  const e = errorsFor(o.refusal, 'fault');
  const eo = errorsFor(o.refusal, 'outage');
  const ids = o.participants.map((p) => p.participantId);
  const start = localMarketValue(o.clock.now).slice(0, 16);
  return html`${pageHead('Faults and outages', 'Make the hub misbehave the way a real one will — slow answers, 5xx, dropped connections, silent event sockets, forced flow-control stops, corrupted downloads — and announce outages, so participants prove their systems cope.', o.flash)}
<section class="card" aria-labelledby="faults-title">
  <div class="card-head"><h2 id="faults-title">Fault rules</h2>
  ${o.faults.length ? html`<form method="post" action="/console/faults/clear">${csrfField(o.csrf)}<button class="btn btn-danger" type="submit" data-confirm="Remove every fault rule?">Clear all</button></form>` : ''}</div>
  ${o.faults.length === 0 ? html`<p class="empty">No fault rules: the hub behaves. Inject one below.</p>` : html`<div class="table-wrap"><table>
    <caption class="visually-hidden">Fault rules, in the order they are tried</caption>
    <thead><tr><th scope="col">#</th><th scope="col">Effect</th><th scope="col">Applies to</th><th scope="col">Share</th><th scope="col">Window (AEST)</th><th scope="col">State</th><th scope="col">Hits</th><th scope="col">Actions</th></tr></thead>
    <tbody>${o.faults.map((f) => html`<tr>
      <th scope="row">${f.id}</th><td><strong>${faultEffect(f)}</strong>${f.description ? html`<br><span class="muted">${f.description}</span>` : ''}</td><td>${faultTarget(f)}</td>
      <td>${Math.round(f.share * 100)}%</td><td>${f.from || f.to ? `${shortTime(f.from)} → ${f.to ? shortTime(f.to) : 'open'}` : html`<span class="muted">always</span>`}</td>
      <td>${f.active ? badge('in force', 'warn') : f.enabled ? badge('waiting', 'neutral') : badge('off', 'neutral')}</td><td>${f.hits}</td>
      <td class="actions"><form method="post" action="/console/faults/${f.id}" class="inline-form">${csrfField(o.csrf)}
        ${f.enabled ? html`<button class="btn btn-small" name="action" value="disable" type="submit" aria-label="Switch off rule ${f.id}">Switch off</button>`
          : html`<button class="btn btn-small" name="action" value="enable" type="submit" aria-label="Switch on rule ${f.id}">Switch on</button>`}
        <button class="btn btn-small btn-danger" name="action" value="remove" type="submit" aria-label="Remove rule ${f.id}">Remove</button></form></td></tr>`)}</tbody>
  </table></div>`}
</section>
<section class="card" aria-labelledby="fault-new-title">
  <h2 id="fault-new-title">Inject a fault</h2>
  ${e.summary()}
  <form method="post" action="/console/faults" class="form-grid">
    ${csrfField(o.csrf)}
    <div class="field"><label for="f-kind">Kind</label>
      <select id="f-kind" name="kind"${e.attrs('f-kind', 'kind')}>${options(FAULT_KINDS, e.value('kind', 'error'))}</select>${e.message('f-kind', 'kind')}</div>
    <div class="field"><label for="f-status">Error: status</label>
      <select id="f-status" name="status"${e.attrs('f-status', 'status')}><option value="">—</option>${options(['500', '502', '503', '504'], e.value('status', '503'))}</select>${e.message('f-status', 'status')}</div>
    <div class="field"><label for="f-latency">Latency: ms</label>
      <input id="f-latency" name="latencyMs" inputmode="numeric" value="${e.value('latencyMs')}"${e.attrs('f-latency', 'latencyMs')}>${e.message('f-latency', 'latencyMs')}</div>
    <div class="field"><label for="f-api">API</label>
      <select id="f-api" name="api"${e.attrs('f-api', 'api')}><option value="">every API</option>${options(IDX_APIS, e.value('api'))}</select>${e.message('f-api', 'api')}</div>
    <div class="field"><label for="f-op">Operation</label>
      <input id="f-op" name="operationId" placeholder="submitBpqd" value="${e.value('operationId')}" spellcheck="false"${e.attrs('f-op', 'operationId')}>${e.message('f-op', 'operationId')}</div>
    <div class="field"><label for="f-participant">Participant</label>
      <select id="f-participant" name="participantId"${e.attrs('f-participant', 'participantId')}><option value="">everyone</option>${options(ids, e.value('participantId'))}</select>${e.message('f-participant', 'participantId')}</div>
    <div class="field"><label for="f-share">Share of requests (0–1)</label>
      <input id="f-share" name="share" inputmode="decimal" placeholder="1" value="${e.value('share')}"${e.attrs('f-share', 'share')}>${e.message('f-share', 'share')}</div>
    <div class="field"><label for="f-from">From (AEST)</label>
      <input id="f-from" name="from" type="datetime-local" value="${e.value('from')}"${e.attrs('f-from', 'from')}>${e.message('f-from', 'from')}</div>
    <div class="field"><label for="f-to">Until (AEST)</label>
      <input id="f-to" name="to" type="datetime-local" value="${e.value('to')}"${e.attrs('f-to', 'to')}>${e.message('f-to', 'to')}</div>
    <div class="field field-wide"><label for="f-description">Description</label>
      <input id="f-description" name="description" value="${e.value('description')}" placeholder="gateway flaps during the morning run"${e.attrs('f-description', 'description')}>${e.message('f-description', 'description')}</div>
    <div class="field field-submit"><button type="submit" class="btn btn-primary">Inject</button></div>
  </form>
</section>
<section class="card" aria-labelledby="outages-title">
  <h2 id="outages-title">Outages</h2>
  <p class="hint">While the simulated clock is inside a window, the named APIs answer the participants concerned 503 with <code>Retry-After</code>; they get an OUTAGE event and a Participant Status row when it is announced. An outage ends with its window.</p>
  ${o.outages.length === 0 ? html`<p class="empty">No outages announced.</p>` : html`<div class="table-wrap"><table>
    <caption class="visually-hidden">Outages</caption>
    <thead><tr><th scope="col">#</th><th scope="col">Window (AEST)</th><th scope="col">Description</th><th scope="col">Participants</th><th scope="col">APIs</th><th scope="col">State</th></tr></thead>
    <tbody>${o.outages.map((x) => html`<tr><th scope="row">${x.id}</th><td>${shortTime(x.outageStart)} → ${shortTime(x.outageEnd)}</td><td>${x.description}</td>
      <td>${x.participantIds?.join(', ') ?? html`<span class="muted">everyone</span>`}</td><td>${x.apis?.join(', ') ?? html`<span class="muted">every API</span>`}</td>
      <td>${x.state === 'active' ? badge('active', 'bad') : x.state === 'scheduled' ? badge('scheduled', 'info') : badge('ended', 'neutral')}</td></tr>`)}</tbody>
  </table></div>`}
  <h3>Announce an outage</h3>
  ${eo.summary()}
  <form method="post" action="/console/outages" class="form-grid">
    ${csrfField(o.csrf)}
    <div class="field"><label for="o-start">Start (AEST)</label>
      <input id="o-start" name="outageStart" type="datetime-local" required value="${eo.value('outageStart', start)}"${eo.attrs('o-start', 'outageStart')}>${eo.message('o-start', 'outageStart')}</div>
    <div class="field"><label for="o-end">End (AEST)</label>
      <input id="o-end" name="outageEnd" type="datetime-local" required value="${eo.value('outageEnd')}"${eo.attrs('o-end', 'outageEnd')}>${eo.message('o-end', 'outageEnd')}</div>
    <div class="field field-wide"><label for="o-description">Description</label>
      <input id="o-description" name="description" required value="${eo.value('description')}" placeholder="Planned maintenance of the PQD API"${eo.attrs('o-description', 'description')}>${eo.message('o-description', 'description')}</div>
    <div class="field"><label for="o-participants">Participants</label>
      <input id="o-participants" name="participantIds" value="${eo.value('participantIds')}" placeholder="everyone" aria-describedby="o-participants-help" spellcheck="false"${eo.attrs('o-participants', 'participantIds')}>
      <p class="hint" id="o-participants-help">Ids separated by commas; empty for everyone.</p>${eo.message('o-participants', 'participantIds')}</div>
    <div class="field"><label for="o-apis">APIs</label>
      <input id="o-apis" name="apis" value="${eo.value('apis')}" placeholder="every API" aria-describedby="o-apis-help" spellcheck="false"${eo.attrs('o-apis', 'apis')}>
      <p class="hint" id="o-apis-help">${IDX_APIS.join(', ')}; empty for every one.</p>${eo.message('o-apis', 'apis')}</div>
    <div class="field field-submit"><button type="submit" class="btn btn-primary">Announce</button></div>
  </form>
</section>`;
}

// ------------------------------------------------------------------------------------------ journal

export interface JournalQuery {
  participantId?: string;
  path?: string;
  method?: string;
  status?: string;
  code?: string;
  traceId?: string;
  before?: string;
}

export const JOURNAL_FILTERS = ['participantId', 'path', 'method', 'status', 'code', 'traceId'] as const;

function statusTone(status: number): 'ok' | 'warn' | 'bad' | 'neutral' {
  if (status === 0) return 'bad';
  if (status < 300) return 'ok';
  if (status < 500) return 'warn';
  return 'bad';
}

function bodyBlock(label: string, b: JournalEntry['request']): SafeHtml {
  if (!b) return html``;
  const text = b.encoding === 'base64' ? `(${b.bytes} bytes, binary: base64) ${b.body}` : b.body;
  return html`<div class="body-block"><h4>${label} <span class="muted">${b.bytes} bytes${b.truncated ? ', cut (IDX_SIM_JOURNAL_BODY_BYTES)' : ''}</span></h4><pre>${text}</pre></div>`;
}

/** One journal row (also what the live tail fetches). */
export function journalRow(e: JournalEntry): SafeHtml {
  return html`<tr data-id="${String(e.id)}">
  <td class="nowrap">${shortTime(e.at)}</td>
  <td>${e.participantId ? html`<a href="/console/journal?participantId=${encodeURIComponent(e.participantId)}"><code>${e.participantId}</code></a>` : html`<span class="muted">—</span>`}</td>
  <td class="request-cell"><span class="method">${e.method}</span> <code class="path">${e.path}</code>${e.query ? html`<code class="muted">?${e.query}</code>` : ''}
    ${e.request || e.response ? html`<details><summary>Bodies</summary>${bodyBlock('Request', e.request)}${bodyBlock('Response', e.response)}</details>` : ''}</td>
  <td>${badge(e.status === 0 ? 'no answer' : String(e.status), statusTone(e.status))}${e.faultRuleId !== null ? html` <span class="badge badge-warn" title="changed by fault rule ${e.faultRuleId}">fault ${e.faultRuleId}</span>` : ''}</td>
  <td>${e.code ? html`<code>${e.code}</code>` : ''}</td>
  <td class="num">${e.durationMs.toFixed(1)} ms</td>
  <td><a href="/console/journal?traceId=${encodeURIComponent(e.traceId)}" class="trace"><code>${e.traceId}</code></a></td>
</tr>`;
}

export function journalPage(o: { query: JournalQuery; entries: JournalEntry[]; olderCursor: number | null; participants: Participant[]; problem?: string }): SafeHtml {
  const q = o.query;
  const filtered = JOURNAL_FILTERS.some((f) => q[f]);
  const keep = new URLSearchParams(Object.entries(q).filter(([k, v]) => k !== 'before' && v) as Array<[string, string]>);
  const older = o.olderCursor === null ? undefined : `/console/journal?${new URLSearchParams([...keep, ['before', String(o.olderCursor)]])}`;
  return html`${pageHead('Request journal', 'Every IDX request a participant system made and the answer it got, newest first. The control API, the console and the docs are not journalled.')}
<section class="card" aria-labelledby="filter-title">
  <h2 id="filter-title" class="visually-hidden">Filter</h2>
  <form method="get" action="/console/journal" class="form-grid filters" role="search" aria-label="Filter the journal">
    <div class="field"><label for="j-participant">Participant</label>
      <select id="j-participant" name="participantId"><option value="">any</option>${options(o.participants.map((p) => p.participantId), q.participantId ?? '')}</select></div>
    <div class="field"><label for="j-path">Path (or prefix)</label><input id="j-path" name="path" value="${q.path ?? ''}" placeholder="/pqd/v1/bpqd" spellcheck="false"></div>
    <div class="field"><label for="j-method">Method</label>
      <select id="j-method" name="method"><option value="">any</option>${options(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], (q.method ?? '').toUpperCase())}</select></div>
    <div class="field"><label for="j-status">Status</label><input id="j-status" name="status" value="${q.status ?? ''}" inputmode="numeric" placeholder="400"></div>
    <div class="field"><label for="j-code">Error code</label><input id="j-code" name="code" value="${q.code ?? ''}" placeholder="IDX_ERR_…" spellcheck="false"></div>
    <div class="field"><label for="j-trace">Trace id</label><input id="j-trace" name="traceId" value="${q.traceId ?? ''}" spellcheck="false"></div>
    <div class="field field-submit"><button type="submit" class="btn btn-primary">Filter</button>${filtered ? html` <a class="btn" href="/console/journal">Clear</a>` : ''}</div>
  </form>
  ${o.problem ? html`<div class="notice notice-bad" role="alert">${o.problem}</div>` : ''}
</section>
<section class="card" aria-labelledby="journal-title">
  <div class="card-head"><h2 id="journal-title">${filtered ? 'Matching requests' : 'Latest requests'}</h2>
  ${q.before ? '' : html`<label class="toggle"><input type="checkbox" id="live-tail" data-live-tail="/console/journal/rows?${String(keep)}"> Live tail</label>`}</div>
  <p class="visually-hidden" aria-live="polite" id="live-status"></p>
  ${o.entries.length === 0 ? html`<p class="empty journal-empty">${filtered ? 'No request matches these filters.' : 'No requests yet. Every call of a participant system to the IDX APIs appears here, with its answer.'}</p>` : ''}
  <div class="table-wrap"><table class="journal${o.entries.length === 0 ? ' is-empty' : ''}">
    <caption class="visually-hidden">Journal entries, newest first</caption>
    <thead><tr><th scope="col">Simulated time</th><th scope="col">Participant</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Code</th><th scope="col">Took</th><th scope="col">Trace id</th></tr></thead>
    <tbody id="journal-rows">${o.entries.map(journalRow)}</tbody>
  </table></div>
  <nav class="pager" aria-label="Journal pages">
    ${q.before ? html`<a class="btn" href="/console/journal?${String(keep)}">Newest</a>` : ''}
    ${older ? html`<a class="btn" href="${older}">Older</a>` : ''}
  </nav>
</section>`;
}

// ------------------------------------------------------------------------------------------ reports

export function reportsPage(o: { dir: string; runs: ReportRun[] }): SafeHtml {
  return html`${pageHead('Scenario reports', html`Runs of the scenario runner found in <code>${o.dir}</code> (<code>IDX_SIM_REPORTS_DIR</code>), newest first.`)}
<section class="card" aria-labelledby="runs-title">
  <h2 id="runs-title" class="visually-hidden">Runs</h2>
  ${o.runs.length === 0 ? html`<div class="empty"><p>No scenario runs yet.</p><p>Each run the scenario runner writes as a folder under this directory, with <code>results.json</code> and <code>report.html</code>, appears here.</p></div>` : html`<div class="table-wrap"><table>
    <caption class="visually-hidden">Scenario runs</caption>
    <thead><tr><th scope="col">Run</th><th scope="col">Finished</th><th scope="col">Result</th><th scope="col">High priority</th><th scope="col">Open defects</th><th scope="col">Files</th></tr></thead>
    <tbody>${o.runs.map((r) => {
      const s = r.result?.summary;
      const base = `/console/reports/${encodeURIComponent(r.name)}`;
      return html`<tr>
      <th scope="row"><code>${r.name}</code></th>
      <td>${r.result ? shortTime(r.result.finishedAt) : html`<span class="muted">—</span>`}</td>
      <td>${s ? html`${s.failed ? badge(`${s.failed} failed`, 'bad') : badge('all passed', 'ok')} <span class="muted">${s.passed}/${s.total} passed${s.notRun ? `, ${s.notRun} not run` : ''}</span>` : r.unreadable ? html`<span class="muted">results.json unreadable: ${r.unreadable}</span>` : html`<span class="muted">no results.json</span>`}</td>
      <td>${s ? `${s.highPriority.passed}/${s.highPriority.total}` : ''}</td>
      <td>${s ? String(s.openDefects) : ''}</td>
      <td>${r.files.map((f) => html`<a href="${base}/${f}">${f}</a> `)}</td></tr>`;
    })}</tbody>
  </table></div>`}
</section>`;
}
