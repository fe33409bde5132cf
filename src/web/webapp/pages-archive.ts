/**
 * Outbound Archive page (spec §4.6; seed 000 Table 7 "Outbound Archive screen — perform filter and advance
 * search actions, view archived outbound messages, download payload"): the Archive API's search, one
 * archived message with its payload, and the copy re-signed by the hub (zip: payload + the hub's detached
 * signature; or the gzip payload), all through ArchiveService.
 */
import type { FastifyInstance } from 'fastify';
import { HUB_BUSINESS_FUNCTIONS } from '../../domain/business-functions.js';
import { parseMessageContextId } from '../../domain/message-context-id.js';
import type { ArchiveListQuery } from '../../services/archive-service.js';
import { html } from '../shared/html.js';
import { bytes, input, localInput, pager, query, select, table, when } from './common.js';
import type { WebAppEnv } from './portal.js';

const PAGE_SIZE = 25;
const PREVIEW_BYTES = 16 * 1024;

export function archivePages(app: FastifyInstance, env: WebAppEnv): void {
  const { ctx } = env;
  const listSchema = ctx.contract.route('listArchivedMessages').schema.querystring as { properties: Record<string, unknown> };
  // The API's query, plus a messageContextId to go straight to one message.
  const querystring = { ...listSchema, properties: { ...listSchema.properties, messageContextId: { type: 'string', maxLength: 200 } } };
  const bfOptions: Array<[string, string]> = [['', 'All'], ...Object.keys(HUB_BUSINESS_FUNCTIONS).map((bf): [string, string] => [bf, bf])];
  const resourceOptions: Array<[string, string]> = [['', 'All'], ...Object.values(HUB_BUSINESS_FUNCTIONS).flatMap((bf) => bf.resources).map((r): [string, string] => [r, r])];

  app.get('/webapp/archive', { schema: { querystring } }, async (request, reply) => {
    const portal = env.pagePortal(request, 'archive');
    const { messageContextId, ...q } = request.query as ArchiveListQuery & { messageContextId?: string };
    if (messageContextId !== undefined) return reply.redirect(`/webapp/archive/messages/${encodeURIComponent(messageContextId.trim())}`, 303);
    const result = ctx.archive.list(portal.participantId, { ...q, itemCount: q.itemCount ?? PAGE_SIZE });
    const filters = { ...q, cursor: undefined } as Record<string, string | number | undefined>;
    const href = (extra: Record<string, string | undefined>) => `/webapp/archive${query({ ...filters, ...extra })}`;
    type Row = (typeof result.data)[number];
    const main = html`<div class="page-head"><div><h1>Outbound Archive</h1>
<p>Messages sent to ${portal.participantId}, kept ${ctx.config.archiveRetentionDays} days and re-signed by the IDX hub on retrieval (spec §4.6).</p></div></div>
<section class="card" aria-labelledby="search-title"><h2 id="search-title">Search</h2>
<form method="get" action="/webapp/archive" role="search" aria-label="Outbound Archive search">
<div class="filters">
${input({ name: 'startDateTime', label: 'Received from', type: 'datetime-local', value: localInput(q.startDateTime) })}
${input({ name: 'endDateTime', label: 'Received to', type: 'datetime-local', value: localInput(q.endDateTime) })}
${select({ name: 'businessFunctionId', label: 'Business function', value: q.businessFunctionId, options: bfOptions })}
</div>
<details class="advanced"${q.businessFunctionResourceId || q.itemCount ? html` open` : ''}><summary>Advanced search</summary>
<div class="filters">
${select({ name: 'businessFunctionResourceId', label: 'Resource', value: q.businessFunctionResourceId, options: resourceOptions })}
${select({ name: 'itemCount', label: 'Rows per page', value: q.itemCount === undefined ? '' : String(q.itemCount), options: [['', String(PAGE_SIZE)], ['10', '10'], ['50', '50'], ['100', '100']] })}
</div></details>
<div class="form-actions"><button class="btn btn-primary" type="submit">Search</button><a class="btn" href="/webapp/archive">Clear</a></div>
</form>
<form method="get" action="/webapp/archive" class="form-actions" aria-label="Open one archived message">
<div class="field"><label for="f-open-id">Open by message context ID</label><input id="f-open-id" name="messageContextId" placeholder="pqd~bpqd~l~mdpone~…" required></div>
<button class="btn" type="submit">Open</button></form>
</section>
<section id="archive-results" data-live-region aria-label="Archived messages">
${table<Row>({ label: 'Archived messages', rows: result.data, empty: 'No archived messages match this search.', columns: [
    { label: 'Message context ID', className: 'mono', cell: (m) => html`<a href="/webapp/archive/messages/${encodeURIComponent(m.messageContextId)}">${m.messageContextId}</a>` },
    { label: 'From', cell: (m) => m.initiatingParticipantId },
    { label: 'Received', className: 'nowrap', cell: (m) => when(m.receivedDateTime) },
    { label: 'Priority', cell: (m) => m.priority },
    { label: 'Size', className: 'num', cell: (m) => bytes(m.sizeBytes) },
    { label: 'Schema', cell: (m) => m.schemaVersion },
    { label: 'Download', cell: (m) => html`<a class="btn btn-small" href="/webapp/archive/messages/${encodeURIComponent(m.messageContextId)}/download.zip" download>Re-signed copy (.zip)</a>` },
  ] })}
${pager({ shown: result.data.length, total: result.meta.totalRecords, noun: 'archived messages', nextHref: result.meta.nextCursor ? href({ cursor: result.meta.nextCursor }) : null, firstHref: q.cursor ? href({}) : null })}
</section>`;
    return env.render(reply, portal, { page: 'archive', title: 'Outbound Archive', main });
  });

  app.get('/webapp/archive/messages/:messageContextId', async (request, reply) => {
    const portal = env.pagePortal(request, 'archive');
    const copy = ctx.archive.retrieve(portal.participantId, contextIdOf(request.params));
    const m = copy.message;
    const text = copy.json.toString('utf8');
    let preview = text.slice(0, PREVIEW_BYTES);
    try {
      preview = JSON.stringify(JSON.parse(text), null, 2).slice(0, PREVIEW_BYTES);
    } catch {
      // Shown as stored.
    }
    const base = `/webapp/archive/messages/${encodeURIComponent(m.messageContextId)}`;
    const main = html`<div class="page-head"><div><p><a href="/webapp/archive">← Outbound Archive</a></p><h1 class="mono">${m.messageContextId}</h1>
<p>Archived copy for ${m.receivingParticipantId}, re-signed by the IDX hub.</p></div>
<div class="page-actions"><a class="btn btn-primary" href="${base}/download.zip" download>Download re-signed copy (.zip)</a><a class="btn" href="${base}/download.json.gz" download>Payload (.json.gz)</a></div></div>
<div class="grid">
<section class="card" aria-labelledby="facts-title"><h2 id="facts-title">Message</h2><dl class="facts">
<dt>Message ID</dt><dd class="mono">${m.messageId}</dd>
<dt>From</dt><dd>${m.initiatingParticipantId}</dd><dt>To</dt><dd>${m.receivingParticipantId}</dd>
<dt>Business function</dt><dd>${m.businessFunctionId} / ${m.businessFunctionResourceId}</dd>
<dt>Priority</dt><dd>${m.priority}</dd><dt>Message time</dt><dd>${m.messageDateTime}</dd><dt>Received</dt><dd>${when(m.receivedDateTime)}</dd>
<dt>Size</dt><dd>${bytes(m.sizeBytes)}</dd><dt>Schema version</dt><dd>${m.schemaVersion}</dd>
</dl></section>
<section class="card" aria-labelledby="sig-title"><h2 id="sig-title">Signatures</h2><dl class="facts">
<dt>Hub signature</dt><dd class="mono">${copy.hubSignature.slice(0, 48)}…</dd>
<dt>Sender's signature</dt><dd class="mono">${copy.originalSignature ? `${copy.originalSignature.slice(0, 48)}…` : 'none'}</dd>
<dt>Signed over</dt><dd>${ctx.config.signatureOver === 'gzip' ? 'the gzip bytes' : 'the JSON bytes'}</dd></dl>
<p class="hint">The .zip holds the payload and the hub's detached CMS signature (.p7s).</p></section></div>
<section class="card" aria-labelledby="payload-title"><h2 id="payload-title">Payload${text.length > PREVIEW_BYTES ? ` (first ${PREVIEW_BYTES / 1024} KB)` : ''}</h2>
<pre class="payload" tabindex="0" aria-label="Payload JSON">${preview}</pre></section>`;
    return env.render(reply, portal, { page: 'archive', title: m.messageContextId, main });
  });

  app.get('/webapp/archive/messages/:messageContextId/download.zip', async (request, reply) => {
    const portal = env.pagePortal(request, 'archive');
    const { fileName, bytes: zip } = ctx.archive.zipOf(ctx.archive.retrieve(portal.participantId, contextIdOf(request.params)));
    return reply.type('application/zip').header('content-disposition', `attachment; filename="${fileName}"`).send(zip);
  });

  app.get('/webapp/archive/messages/:messageContextId/download.json.gz', async (request, reply) => {
    const portal = env.pagePortal(request, 'archive');
    const copy = ctx.archive.retrieve(portal.participantId, contextIdOf(request.params));
    return reply.type('application/gzip').header('content-disposition', `attachment; filename="${copy.message.messageContextId}.json.gz"`)
      .header('x-signature', copy.hubSignature).send(copy.payloadGzip);
  });
}

/** The path's messageContextId when it follows the grammar; anything else is answered like an unknown one. */
function contextIdOf(params: unknown): string {
  const id = (params as { messageContextId: string }).messageContextId;
  return parseMessageContextId(id).ok ? id : 'pqd~bpqd~l~none~none';
}
