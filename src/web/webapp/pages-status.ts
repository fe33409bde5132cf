/**
 * Participant Status page (spec §4.3; seed 000 Table 3 "Displays the current and historical operational
 * status of all business functions and resources", Table 7 "Participant status screen — display message
 * status and corresponding details"): the current status of every business function and resource, outages,
 * and the status history on a timeline — FlowControlService's participantStatus and history, as the API.
 * FCTRL_STATUS reads any participant's status (counts and states only, as `GET /fctrl/v1/participants`).
 */
import type { FastifyInstance } from 'fastify';
import { IdxError } from '../../domain/errors.js';
import { formatMarketDateTime } from '../../domain/market-time.js';
import { html } from '../shared/html.js';
import { badge, select, table, when } from './common.js';
import type { WebAppEnv } from './portal.js';

const MARKET = 'NEM';
const DAY_MS = 86_400_000;
const HISTORY_ITEMS = 50;

const TONE: Record<string, string> = {
  QUEUE_FULL: 'tl-bad', OUTAGE: 'tl-bad', MANUAL_STOP: 'tl-bad', INSUFFICIENT_DELETE_RATE: 'tl-warn', QUEUE_WARN: 'tl-warn', QUEUE_RESUMED: 'tl-ok', MANUAL_START: 'tl-ok',
};

export function statusPages(app: FastifyInstance, env: WebAppEnv): void {
  const { ctx } = env;
  app.get('/webapp/status', { schema: { querystring: { type: 'object', properties: { participantId: { type: 'string', pattern: '^[A-Z0-9]{1,10}$' } }, additionalProperties: false } } }, async (request, reply) => {
    const portal = env.pagePortal(request, 'status');
    const asked = (request.query as { participantId?: string }).participantId ?? portal.participantId;
    if (ctx.participants.participant(asked) === undefined) {
      throw new IdxError('IDX_ERR_PARTICIPANT_NOT_FOUND', `no participant ${asked} is registered on this hub`,
        { errors: [{ in: 'query', name: 'participantId', code: 'UNKNOWN', message: 'unknown participant' }] });
    }
    const now = ctx.clock.now();
    const current = ctx.flowControl.participantStatus(asked, undefined, MARKET);
    const rows = current.flatMap((bf) => (bf.resources ?? []).map((r) => ({ ...bf, resource: r.businessFunctionResourceId, resourceCount: r.messageCount })));
    // The newest HISTORY_ITEMS of the last 30 days: pages are oldest first, so read them all and keep the tail.
    const history: ReturnType<typeof ctx.flowControl.history>['data'] = [];
    let cursor: string | undefined;
    do {
      const page = ctx.flowControl.history({ participantId: asked, market: MARKET, from: now - 30 * DAY_MS, cursor, itemCount: 500 });
      history.push(...page.data);
      if (history.length > 1000) history.splice(0, history.length - HISTORY_ITEMS);
      cursor = page.meta.nextCursor ?? undefined;
    } while (cursor);
    const recent = history.slice(-HISTORY_ITEMS).reverse();
    const outage = current.find((bf) => bf.outage)?.outage ?? null;
    const participants = ctx.participants.participants();
    type Row = (typeof rows)[number];
    const main = html`<div class="page-head"><div><h1>Participant Status</h1>
<p>Current and historical operational status of every business function and resource (spec §4.3).</p></div>
<form method="get" action="/webapp/status" class="form-actions" aria-label="Choose a participant">
${select({ name: 'participantId', label: 'Participant', value: asked, options: participants.map((p): [string, string] => [p.participantId, `${p.participantId} (${p.role})`]) })}
<button class="btn" type="submit">Show</button></form></div>
<div id="status-current" data-live-region>
${outage ? html`<div class="notice notice-bad" role="status"><strong>Outage in progress</strong>: ${outage.description} — ${when(outage.outageStart)} to ${when(outage.outageEnd)}</div>` : ''}
<section class="card" aria-labelledby="current-title"><h2 id="current-title">Current status of ${asked}</h2>
${table<Row>({ label: `Current status of ${asked}`, rows, empty: 'No business functions.', columns: [
    { label: 'Business function', cell: (r) => html`<code>${r.businessFunctionId}</code>` },
    { label: 'Resource', cell: (r) => html`<code>${r.resource}</code>` },
    { label: 'Availability', cell: (r) => (r.outage ? badge('Outage') : badge('Available')) },
    { label: 'Message status', cell: (r) => html`<span data-testid="status-${r.businessFunctionId}">${badge(r.messageStatus)}</span>` },
    { label: 'Outbound delivery', cell: (r) => badge(r.outboundDelivery) },
    { label: 'Queue count', className: 'num', cell: (r) => html`<span data-testid="status-count-${r.businessFunctionId}">${r.messageCount}</span>` },
    { label: 'Held', className: 'num', cell: (r) => r.heldCount ?? 0 },
    { label: 'Last breach', className: 'nowrap', cell: (r) => when(r.messageBreachedTimestamp) },
  ] })}
<p class="hint">As at ${when(formatMarketDateTime(now))} (simulated clock).</p>
</section>
<section class="card" aria-labelledby="history-title"><h2 id="history-title">History (last 30 days, newest first)</h2>
${recent.length ? html`<ol class="timeline" data-testid="status-history">${recent.map((h) => html`<li class="${TONE[h.event] ?? ''}">${when(h.recordedDateTime)}
<strong>${h.event.replace(/_/g, ' ')}</strong>${h.businessFunctionId ? html` · <code>${h.businessFunctionId}</code>` : ' · all business functions'}
${h.messageStatus ? html` ${badge(h.messageStatus)}` : ''}${h.messageCount !== null ? html` <span class="hint">count ${h.messageCount}</span>` : ''}
${h.detail ? html`<br><span class="hint">${h.detail}</span>` : ''}</li>`)}</ol>` : html`<p class="empty">No status changes in the last 30 days.</p>`}
</section></div>`;
    return env.render(reply, portal, { page: 'status', title: 'Participant Status', main });
  });
}
