/**
 * Messages page (seed 000 §3.1.1 b "Download or Delete BPQD payload" in the IDX Web App): the LNSP's BPQD
 * queue as `GET /pqd/v1/bpqd` lists it, with download (a retrieval, as `GET /pqd/v1/bpqd/{id}`: it completes
 * delivery) and delete (as `DELETE /pqd/v1/bpqd/{id}`), through BpqdService.
 */
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { parseMessageContextId } from '../../domain/message-context-id.js';
import type { Crud } from '../../domain/participants.js';
import type { ListQuery, MessageMetadata } from '../../services/bpqd-service.js';
import { html } from '../shared/html.js';
import { may, requireEntity } from './access.js';
import { badge, bytes, input, localInput, pager, query, select, table, when } from './common.js';
import type { WebAppEnv } from './portal.js';

const PAGE_SIZE = 50;
const NOTICES: Record<string, string> = { deleted: 'The message was deleted from your queue.' };

export function messagePages(app: FastifyInstance, env: WebAppEnv): void {
  const { ctx } = env;
  const listSchema = ctx.contract.route('listBpqd').schema.querystring as { properties: Record<string, unknown> };
  // The API's query, plus the notice shown after a delete.
  const querystring = { ...listSchema, properties: { ...listSchema.properties, notice: { enum: Object.keys(NOTICES) } } };
  const deleteLetter = ctx.config.deletePermission as Crud;

  app.get('/webapp/messages', { schema: { querystring } }, async (request, reply) => {
    const portal = env.pagePortal(request, 'messages');
    const q = request.query as ListQuery & { notice?: string };
    const result = ctx.bpqd.list(portal.participantId, { ...q, itemCount: q.itemCount ?? PAGE_SIZE });
    const mayDelete = may(portal.user, portal.participantId, 'PQD_BPQD', deleteLetter);
    const filters = { ...q, cursor: undefined } as Record<string, string | number | undefined>;
    const href = (extra: Record<string, string | undefined>) => `/webapp/messages${query({ ...filters, ...extra })}`;
    const main = html`<div class="page-head"><div><h1>Messages</h1>
<p>BPQD messages waiting in ${portal.participantId}'s queue. Downloading one retrieves it (delivery completed); deleting removes it (spec §4.1).</p></div></div>
<section class="card" aria-labelledby="filter-title"><h2 id="filter-title">Filter</h2>
<form method="get" action="/webapp/messages" role="search" aria-label="Queue filter"><div class="filters">
${select({ name: 'priority', label: 'Priority', value: q.priority, options: [['', 'Any'], ['High', 'High'], ['Medium', 'Medium'], ['Low', 'Low']] })}
${input({ name: 'fromDateTime', label: 'Received from', type: 'datetime-local', value: localInput(q.fromDateTime) })}
${input({ name: 'toDateTime', label: 'Received to', type: 'datetime-local', value: localInput(q.toDateTime) })}
</div><div class="form-actions"><button class="btn btn-primary" type="submit">Filter</button><a class="btn" href="/webapp/messages">Clear</a></div></form></section>
<section id="queue" data-live-region aria-label="Queue">
<dl class="stats"><div class="stat"><dt>Messages in queue</dt><dd data-testid="queue-total">${result.meta.totalRecords}</dd></div></dl>
${table<MessageMetadata>({ label: 'Queued messages', rows: result.data, empty: 'Your queue is empty.', columns: [
    { label: 'Message context ID', className: 'mono', cell: (m) => m.messageContextId },
    { label: 'From', cell: (m) => m.initiatingParticipantId },
    { label: 'Priority', cell: (m) => m.priority },
    { label: 'Received', className: 'nowrap', cell: (m) => when(m.receivedDateTime) },
    { label: 'Retrieved', className: 'nowrap', cell: (m) => (m.retrievedDateTime ? when(m.retrievedDateTime) : badge('delivery_pending', 'not yet')) },
    { label: 'Size', className: 'num', cell: (m) => bytes(m.sizeBytes) },
    { label: 'Transactions', className: 'num', cell: (m) => m.transactionCount },
    { label: 'Actions', className: 'nowrap', cell: (m) => html`<a class="btn btn-small" href="/webapp/messages/${encodeURIComponent(m.messageContextId)}/download" download>Download</a>
${mayDelete ? html` <form method="post" action="/webapp/messages/${encodeURIComponent(m.messageContextId)}/delete" class="inline-form"><input type="hidden" name="_csrf" value="${portal.session.csrfToken}"><button class="btn btn-small btn-danger" type="submit" aria-label="Delete ${m.messageContextId}">Delete</button></form>` : ''}` },
  ] })}
${pager({ shown: result.data.length, total: result.meta.totalRecords, noun: 'messages', nextHref: result.meta.nextCursor ? href({ cursor: result.meta.nextCursor }) : null, firstHref: q.cursor ? href({}) : null })}
</section>`;
    const notice = NOTICES[q.notice ?? ''];
    return env.render(reply, portal, { page: 'messages', title: 'Messages', main: notice ? html`<div class="notice notice-ok" role="status">${notice}</div>${main}` : main });
  });

  app.get('/webapp/messages/:messageContextId/download', async (request, reply) => {
    const portal = env.pagePortal(request, 'messages');
    const item = await ctx.bpqd.retrieve(portal.participantId, contextIdOf(request.params), request.id);
    return reply.type('application/json').header('content-disposition', `attachment; filename="${item.messageContextId}.json"`).send(gunzipSync(item.payloadGzip));
  });

  app.post('/webapp/messages/:messageContextId/delete', async (request, reply) => {
    const portal = env.pagePortal(request, 'messages');
    env.csrf(request, portal);
    requireEntity(portal.user, portal.participantId, 'PQD_BPQD', deleteLetter, 'deleting a message');
    await ctx.bpqd.remove(portal.participantId, contextIdOf(request.params), request.id);
    if (String(request.headers.accept ?? '').includes('application/json')) return reply.code(204).send();
    return reply.redirect('/webapp/messages?notice=deleted', 303);
  });
}

function contextIdOf(params: unknown): string {
  const id = (params as { messageContextId: string }).messageContextId;
  return parseMessageContextId(id).ok ? id : 'pqd~bpqd~l~none~none';
}
