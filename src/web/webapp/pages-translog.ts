/**
 * Transaction Log page (spec §4.5; seed 000 Table 7 "TransLog screen — perform filter, sorting and advance
 * search actions; view and download the message"): the search of the Transaction Logging API — every one of
 * its query fields, sort and keyset paging — a message's history across its receivers, its payload and the
 * CSV export, all through TranslogService.
 */
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { TranslogQuery } from '../../services/translog-service.js';
import { html } from '../shared/html.js';
import { badge, bytes, input, localInput, pager, query, select, table, when, type Column } from './common.js';
import type { WebAppEnv } from './portal.js';
import type { TranslogRecord } from '../../domain/translog.js';

const PAGE_SIZE = 50;
const STATUSES: Array<[string, string]> = [['', 'Any status'], ['delivery_pending', 'Delivery pending'], ['completed', 'Completed'], ['removed', 'Removed'], ['message_rejected', 'Rejected'], ['message_acked', 'Acked']];
const SORTS: Array<[string, string]> = [
  ['', 'Received, oldest first'], ['-receivedDateTime', 'Received, newest first'], ['statusDateTime', 'Status time, oldest first'], ['-statusDateTime', 'Status time, newest first'],
  ['messageContextId', 'Message context ID'], ['fromParticipant', 'From participant'], ['toParticipant', 'To participant'], ['messageStatus', 'Status'],
];
const MESSAGE_ID = /^[A-Za-z0-9._~-]{1,64}$/;

export function translogPages(app: FastifyInstance, env: WebAppEnv): void {
  const { ctx } = env;
  const querystring = ctx.contract.route('listTransactionLog').schema.querystring;
  const exportQuerystring = ctx.contract.route('exportTransactionLog').schema.querystring;

  app.get('/webapp/translog', { schema: { querystring } }, async (request, reply) => {
    const portal = env.pagePortal(request, 'translog');
    const q = request.query as TranslogQuery;
    const result = ctx.translog.list(portal.participantId, { ...q, itemCount: q.itemCount ?? PAGE_SIZE }, undefined);
    const filters = { ...q, cursor: undefined } as Record<string, string | number | boolean | undefined>;
    const href = (extra: Record<string, string | number | undefined>) => `/webapp/translog${query({ ...filters, ...extra })}`;
    const advancedOpen = ['messageId', 'messageType', 'isArchived', 'sort', 'itemCount'].some((k) => (q as Record<string, unknown>)[k] !== undefined);
    const columns: Array<Column<TranslogRecord>> = [
      { label: 'Message context ID', sort: 'messageContextId', className: 'mono', cell: (r) => r.messageId ? html`<a href="/webapp/translog/messages/${r.messageId}">${r.messageContextId ?? r.messageId}</a>` : (r.messageContextId ?? html`<span class="hint">(no id)</span>`) },
      { label: 'From', sort: 'fromParticipant', cell: (r) => r.fromParticipant ?? '—' },
      { label: 'To', sort: 'toParticipant', cell: (r) => r.toParticipant ?? '—' },
      { label: 'Status', sort: 'messageStatus', cell: (r) => badge(r.messageStatus) },
      { label: 'Received', sort: 'receivedDateTime', className: 'nowrap', cell: (r) => when(r.receivedDateTime) },
      { label: 'Status time', sort: 'statusDateTime', className: 'nowrap', cell: (r) => when(r.statusDateTime) },
      { label: 'Priority', cell: (r) => r.priority ?? '—' },
      { label: 'Archived', cell: (r) => (r.isArchived ? 'Yes' : 'No') },
      { label: 'Reason', className: 'reason', cell: (r) => r.reasonCode ? html`<span title="${r.detail ?? ''}">${r.reasonCode.replace(/^IDX_ERR_/, '')}</span>` : '—' },
    ];
    const main = html`<div class="page-head"><div><h1>Transaction Log</h1>
<p>Messages ${portal.participantId} sent or received, with their status — the Transaction Logging API's search (spec §4.5).</p></div>
<div class="page-actions"><a class="btn" href="/webapp/translog/export.csv${query({ ...filters, itemCount: undefined })}" download>Export CSV</a></div></div>
<section class="card" aria-labelledby="search-title"><h2 id="search-title">Search</h2>
<form method="get" action="/webapp/translog" role="search" aria-label="Transaction Log search">
<div class="filters">
${input({ name: 'messageContextId', label: 'Message context ID', value: q.messageContextId, placeholder: 'pqd~bpqd~l~…' })}
${input({ name: 'fromParticipant', label: 'From participant', value: q.fromParticipant, placeholder: 'e.g. MDPONE' })}
${input({ name: 'toParticipant', label: 'To participant', value: q.toParticipant, placeholder: 'e.g. LNSPNORTH' })}
${select({ name: 'messageStatus', label: 'Status', value: q.messageStatus, options: STATUSES })}
${input({ name: 'startDateTime', label: 'Received from', type: 'datetime-local', value: localInput(q.startDateTime) })}
${input({ name: 'endDateTime', label: 'Received to', type: 'datetime-local', value: localInput(q.endDateTime) })}
</div>
<details class="advanced"${advancedOpen ? html` open` : ''}><summary>Advanced search</summary>
<div class="filters">
${input({ name: 'messageId', label: 'Message ID', value: q.messageId, placeholder: 'MSG-…' })}
${select({ name: 'messageType', label: 'Message type', value: q.messageType, options: [['', 'Any type'], ['message', 'message'], ['tack', 'tack']] })}
${select({ name: 'isArchived', label: 'Archived', value: q.isArchived === undefined ? '' : String(q.isArchived), options: [['', 'Either'], ['true', 'Archived'], ['false', 'Not archived']] })}
${select({ name: 'sort', label: 'Sort by', value: q.sort, options: SORTS })}
${select({ name: 'itemCount', label: 'Rows per page', value: q.itemCount === undefined ? '' : String(q.itemCount), options: [['', String(PAGE_SIZE)], ['10', '10'], ['25', '25'], ['100', '100'], ['500', '500']] })}
</div></details>
<div class="form-actions"><button class="btn btn-primary" type="submit">Search</button><a class="btn" href="/webapp/translog">Clear</a></div>
</form></section>
<section id="translog-results" data-live-region aria-labelledby="results-title"><h2 id="results-title" class="visually-hidden">Results</h2>
${table({ label: 'Transaction Log records', rows: result.data, columns, empty: 'No records match this search.', sort: q.sort ?? 'receivedDateTime', sortHref: (sort) => href({ sort }) })}
${pager({ shown: result.data.length, total: result.meta.totalRecords, noun: 'records', nextHref: result.meta.nextCursor ? href({ cursor: result.meta.nextCursor }) : null, firstHref: q.cursor ? href({}) : null })}
</section>`;
    return env.render(reply, portal, { page: 'translog', title: 'Transaction Log', main });
  });

  app.get('/webapp/translog/export.csv', { schema: { querystring: exportQuerystring } }, async (request, reply) => {
    const portal = env.pagePortal(request, 'translog');
    const csv = ctx.translog.exportCsv(portal.participantId, request.query as TranslogQuery, undefined);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${csv.filename}"`)
      .header('x-total-count', String(csv.totalRecords)).send(Readable.from(csv.chunks));
  });

  app.get('/webapp/translog/messages/:messageId', async (request, reply) => {
    const portal = env.pagePortal(request, 'translog');
    const d = ctx.translog.detail(portal.participantId, messageIdOf(request.params), undefined);
    const downloadable = d.payload !== null && d.isArchived;
    const main = html`<div class="page-head"><div><p><a href="/webapp/translog">← Transaction Log</a></p><h1 class="mono">${d.messageContextId ?? d.messageId}</h1>
<p>Message ${d.messageId}: its record for each receiver you may see, and every status change.</p></div>
<div class="page-actions">${downloadable ? html`<a class="btn btn-primary" href="/webapp/translog/messages/${d.messageId}/payload" download>Download payload</a>` : html`<span class="hint">Payload ${d.payload ? `released at ${d.archivedUntilDateTime}` : 'not stored'}</span>`}</div></div>
<div class="grid">
<section class="card" aria-labelledby="facts-title"><h2 id="facts-title">Message</h2>
<dl class="facts">
<dt>Message ID</dt><dd class="mono">${d.messageId}</dd>
<dt>Business function</dt><dd>${d.businessFunctionId ?? '—'} / ${d.businessFunctionResourceId ?? '—'}</dd>
<dt>Type</dt><dd>${d.messageType}</dd>
<dt>Priority</dt><dd>${d.priority ?? '—'}</dd>
<dt>From</dt><dd>${d.fromParticipant ?? '—'}</dd>
<dt>Received</dt><dd>${when(d.receivedDateTime)}</dd>
<dt>Archived until</dt><dd>${when(d.archivedUntilDateTime)}</dd>
</dl></section>
<section class="card" aria-labelledby="payload-title"><h2 id="payload-title">Payload</h2>
${d.payload ? html`<dl class="facts"><dt>Size</dt><dd>${bytes(d.payload.sizeBytes)} (gzip ${bytes(d.payload.gzipSizeBytes)})</dd>
<dt>Schema version</dt><dd>${d.payload.schemaVersion}</dd><dt>Transactions</dt><dd>${d.payload.transactionCount}</dd>
<dt>Signed by sender</dt><dd>${d.payload.signed ? 'Yes' : 'No'}</dd></dl>` : html`<p class="hint">No payload is stored for this record.</p>`}
</section></div>
<section class="card" aria-labelledby="receivers-title" id="receivers" data-live-region><h2 id="receivers-title">Receivers</h2>
${table({ label: 'Records per receiver', rows: d.records, empty: 'No records.', columns: [
    { label: 'To', cell: (r) => r.toParticipant ?? '—' },
    { label: 'Status', cell: (r) => badge(r.messageStatus) },
    { label: 'Status time', cell: (r) => when(r.statusDateTime) },
    { label: 'Reason', cell: (r) => r.reasonCode ?? '—' },
    { label: 'Trace id', className: 'mono', cell: (r) => r.traceId },
  ] })}
<h3>History</h3>
<ol class="timeline">${d.events.map((e) => html`<li class="${e.messageStatus === 'message_rejected' ? 'tl-bad' : e.messageStatus === 'completed' ? 'tl-ok' : ''}">${when(e.eventDateTime)}
${badge(e.messageStatus)} ${e.fromParticipant ?? ''}${e.toParticipant ? html` → ${e.toParticipant}` : ''}${e.reasonCode ? html` <code>${e.reasonCode}</code>` : ''}${e.detail ? html`<br><span class="hint">${e.detail}</span>` : ''}</li>`)}</ol>
</section>`;
    return env.render(reply, portal, { page: 'translog', title: `Message ${d.messageId}`, main });
  });

  app.get('/webapp/translog/messages/:messageId/payload', async (request, reply) => {
    const portal = env.pagePortal(request, 'translog');
    const stored = ctx.translog.payload(portal.participantId, messageIdOf(request.params), undefined);
    return reply.type('application/json').header('content-disposition', `attachment; filename="${stored.messageContextId}.json"`)
      .send(gunzipSync(stored.payloadGzip));
  });
}

function messageIdOf(params: unknown): string {
  const id = (params as { messageId: string }).messageId;
  // Anything else cannot be a message id: answered like an unknown one (the service's 404).
  return MESSAGE_ID.test(id) ? id : 'MSG-none';
}
