/**
 * Flow Control page (spec §4.2 watermark semantics, MP-FlowControl; seed 000 Table 7 "Flow Control screen —
 * display message count and check ability to turn on and off manual stop"): per business function the
 * queue count against the Low/Warn/High watermarks, drawn over time (the sampled series of
 * QueueCountSeries), the status, breach timestamps, and the manual stop switch — through FlowControlService,
 * counted against the same quota as `PATCH /fctrl/v1/businessFunctions/{id}` (2 per business function per day).
 */
import type { FastifyInstance } from 'fastify';
import { HUB_BUSINESS_FUNCTIONS } from '../../domain/business-functions.js';
import { IdxError } from '../../domain/errors.js';
import { formatMarketDateTime } from '../../domain/market-time.js';
import { html } from '../shared/html.js';
import { field } from '../shared/http.js';
import { may, requireEntity } from './access.js';
import { badge, table, when } from './common.js';
import type { Portal, WebAppEnv } from './portal.js';

const MARKET = 'NEM';
const DAY_MS = 86_400_000;
/** Status-history events that are breaches or switches, shown beside the chart. */
const BREACH_EVENTS = new Set(['QUEUE_WARN', 'QUEUE_FULL', 'QUEUE_RESUMED', 'INSUFFICIENT_DELETE_RATE', 'MANUAL_STOP', 'MANUAL_START']);
const PATCH_QUOTA = 'fctrl-patch-requests-per-day';

const NOTICES: Record<string, string> = {
  Stopped: 'Outbound delivery is now switched off (manual stop).',
  Started: 'Outbound delivery is now switched on again.',
};

export function flowControlPages(app: FastifyInstance, env: WebAppEnv): void {
  const { ctx } = env;
  const businessFunctions = Object.keys(HUB_BUSINESS_FUNCTIONS).filter((bf) => HUB_BUSINESS_FUNCTIONS[bf]!.market === MARKET);

  const switchSubject = (participantId: string, businessFunctionId: string) => ({
    participantId, operationId: 'manageOutboundDelivery', route: `PATCH /fctrl/v1/businessFunctions/${businessFunctionId}`, params: { businessFunctionId },
  });

  function state(portal: Portal) {
    const now = ctx.clock.now();
    return businessFunctions.map((bf) => {
      const info = ctx.flowControl.information(portal.participantId, bf, MARKET, true);
      const history = ctx.flowControl.history({ participantId: portal.participantId, businessFunctionId: bf, market: MARKET, from: now - 7 * DAY_MS, itemCount: 1000 }).data;
      return {
        ...info,
        switchesLeft: ctx.quotas.requests.remaining(PATCH_QUOTA, switchSubject(portal.participantId, bf), now),
        switchesPerDay: ctx.config.fctrlPatchRequestsPerDay,
        breaches: history.filter((h) => BREACH_EVENTS.has(h.event)).slice(-12).reverse(),
        series: env.series.samples(portal.participantId, bf),
      };
    });
  }

  app.get('/webapp/flow-control', { schema: { querystring: { type: 'object', properties: { switched: { enum: Object.keys(NOTICES) } }, additionalProperties: false } } }, async (request, reply) => {
    const portal = env.pagePortal(request, 'flow-control');
    const mayUpdate = may(portal.user, portal.participantId, 'FCTRL_FCTRL', 'U');
    const notice = NOTICES[(request.query as Record<string, string> | undefined)?.switched ?? ''];
    const cards = state(portal).map((bf) => {
      const w = bf.watermarks!;
      const next = bf.outboundDelivery === 'Stopped' ? 'Started' : 'Stopped';
      return html`<section class="card" aria-labelledby="bf-${bf.businessFunctionId}">
<div class="page-head"><h2 id="bf-${bf.businessFunctionId}">Business function <code>${bf.businessFunctionId}</code></h2>${badge(bf.messageStatus)}</div>
<div id="fc-${bf.businessFunctionId}-state" data-live-region>
<dl class="stats">
<div class="stat"><dt>Queue count</dt><dd data-testid="count-${bf.businessFunctionId}">${bf.messageCount}</dd></div>
<div class="stat"><dt>Held</dt><dd>${bf.heldCount}</dd></div>
<div class="stat"><dt>Low / Warn / High</dt><dd>${w.low} / ${w.warn} / ${w.high}</dd></div>
<div class="stat"><dt>Outbound delivery</dt><dd>${badge(bf.outboundDelivery)}</dd></div>
<div class="stat"><dt>In breach since</dt><dd class="hint">${when(bf.messageBreachedTimestamp)}</dd></div>
</dl>
<div class="switch-row">
${mayUpdate ? html`<form method="post" action="/webapp/flow-control/${bf.businessFunctionId}/delivery" class="inline-form">
<input type="hidden" name="_csrf" value="${portal.session.csrfToken}"><input type="hidden" name="outboundDelivery" value="${next}">
<button class="btn ${next === 'Stopped' ? 'btn-danger' : 'btn-primary'}" type="submit"${bf.switchesLeft === 0 ? html` disabled` : ''}>${next === 'Stopped' ? 'Stop outbound delivery (manual stop)' : 'Restart outbound delivery'}</button></form>`
    : html`<span class="hint">Switching needs URM entity <code>FCTRL_FCTRL</code> with update (U).</span>`}
<span data-testid="switches-left">${bf.switchesLeft} of ${bf.switchesPerDay} switches left today</span><span class="hint">(resets at AEST midnight)</span>
</div>
<h3>Breaches and switches (last 7 days)</h3>
${table({ label: `Breaches of ${bf.businessFunctionId}`, rows: bf.breaches, empty: 'No breach or switch in the last 7 days.', columns: [
    { label: 'When', className: 'nowrap', cell: (h) => when(h.recordedDateTime) },
    { label: 'Event', cell: (h) => h.event.replace(/_/g, ' ') },
    { label: 'Status', cell: (h) => badge(h.messageStatus) },
    { label: 'Count', className: 'num', cell: (h) => h.messageCount ?? '—' },
    { label: 'Detail', className: 'detail', cell: (h) => h.detail ?? '' },
  ] })}
</div>
<h3>Queue count over time</h3>
<div class="chart" id="chart-${bf.businessFunctionId}" data-chart="${bf.businessFunctionId}" role="img" aria-label="Queue count of ${bf.businessFunctionId} over time against the Low ${w.low}, Warn ${w.warn} and High ${w.high} watermarks"></div>
<p class="legend-note">Sampled whenever the count changes (simulated time, AEST). Dashed lines: Low, Warn and High watermarks.</p>
</section>`;
    });
    const main = html`<div class="page-head"><div><h1>Flow Control</h1>
<p>${portal.participantId}'s outbound queues: delivery stops at the High watermark and restarts below Low (spec §4.2).</p></div></div>
${notice ? html`<div class="notice notice-ok" role="status">${notice}</div>` : ''}
${cards}`;
    return env.render(reply, portal, { page: 'flow-control', title: 'Flow Control', main, scripts: ['/web-assets/uplot/uPlot.iife.min.js', '/web-assets/webapp-flow.js'], styles: ['/web-assets/uplot/uPlot.min.css'] });
  });

  app.get('/webapp/flow-control/data.json', async (request, reply) => {
    const portal = env.pagePortal(request, 'flow-control');
    const now = ctx.clock.now();
    return reply.send({
      participantId: portal.participantId,
      now: formatMarketDateTime(now),
      nowMs: now,
      businessFunctions: state(portal).map(({ breaches: _breaches, series, ...bf }) => ({ ...bf, series: series.map((s) => ({ ...s, atDateTime: formatMarketDateTime(s.at) })) })),
    });
  });

  app.post('/webapp/flow-control/:businessFunctionId/delivery', async (request, reply) => {
    const portal = env.pagePortal(request, 'flow-control');
    env.csrf(request, portal);
    requireEntity(portal.user, portal.participantId, 'FCTRL_FCTRL', 'U', 'switching outbound delivery');
    const { businessFunctionId } = request.params as { businessFunctionId: string };
    const outboundDelivery = field(request.body, 'outboundDelivery');
    if (outboundDelivery !== 'Stopped' && outboundDelivery !== 'Started') {
      throw new IdxError('IDX_ERR_FORM_INVALID', 'outboundDelivery must be Stopped or Started',
        { errors: [{ in: 'form', name: 'outboundDelivery', code: 'ENUM', message: 'Stopped or Started' }] });
    }
    // The same daily quota as the API: the page is another way to make the same switch (spec §4.2).
    ctx.quotas.requests.admit([PATCH_QUOTA], switchSubject(portal.participantId, businessFunctionId.toLowerCase()), ctx.clock.now());
    const result = ctx.flowControl.manage(portal.participantId, businessFunctionId, MARKET, outboundDelivery, request.id);
    if (String(request.headers.accept ?? '').includes('application/json')) return reply.send({ data: result });
    return reply.redirect(`/webapp/flow-control?switched=${result.outboundDelivery}`, 303);
  });
}
