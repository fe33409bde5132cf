/** Control API: the request journal (issue #10) — filter, page, clear. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import { formatMarketDateTime } from '../../domain/market-time.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import type { JournalBody } from '../../store/journal-store.js';

const CURSOR_PREFIX = 'journal~';

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith(CURSOR_PREFIX) ? Number(text.slice(CURSOR_PREFIX.length)) : NaN;
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new IdxError('IDX_ERR_CURSOR_INVALID', 'cursor is not one this API issued; pass meta.nextCursor of the previous page',
      { errors: [{ in: 'query', name: 'cursor', code: 'CURSOR', message: 'unknown cursor' }] });
  }
  return id;
}

/** A kept body as the control API (and the simulator console) shows it: whether it was cut. */
export const bodyView = (b: JournalBody | null) => b && { ...b, truncated: b.encoding === 'base64' ? Buffer.from(b.body, 'base64').length < b.bytes : Buffer.byteLength(b.body) < b.bytes };

export async function simJournalRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  contractRoute(app, ctx, auth, 'listJournal', async (request) => {
    const q = request.query as {
      participantId?: string; path?: string; method?: string; operationId?: string; status?: number; code?: string; messageContextId?: string;
      traceId?: string; fromDateTime?: string; toDateTime?: string; faulted?: boolean; itemCount?: number; cursor?: string;
    };
    const itemCount = q.itemCount ?? 100;
    const afterId = q.cursor === undefined ? 0 : decodeCursor(q.cursor);
    const rows = ctx.journal.page({
      participantId: q.participantId, path: q.path, method: q.method, operationId: q.operationId, status: q.status, code: q.code,
      messageContextId: q.messageContextId, traceId: q.traceId, faulted: q.faulted,
      from: q.fromDateTime === undefined ? undefined : Date.parse(q.fromDateTime), to: q.toDateTime === undefined ? undefined : Date.parse(q.toDateTime),
    }, afterId, itemCount + 1);
    const page = rows.slice(0, itemCount);
    return {
      data: page.map((e) => ({ ...e, at: formatMarketDateTime(e.at), request: bodyView(e.request), response: bodyView(e.response) })),
      meta: { itemCount: page.length, nextCursor: rows.length > itemCount ? Buffer.from(`${CURSOR_PREFIX}${page[page.length - 1]!.id}`).toString('base64url') : null },
    };
  });

  contractRoute(app, ctx, auth, 'clearJournal', async (_request, reply) => {
    ctx.journal.clear();
    return reply.code(204).send();
  });
}
