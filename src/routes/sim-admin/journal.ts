/** Control API: the request journal (issue #10) — filter, page, clear. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { decodeCursor, encodeCursor, isInteger } from '../../domain/cursor.js';
import { formatMarketDateTime } from '../../domain/market-time.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import type { JournalBody } from '../../store/journal-store.js';

/** The journal's page cursor: the shared codec (src/domain/cursor.ts), the last row id shown. */
const JOURNAL_CURSOR = 'journal';
const isRowId = (value: unknown): value is number => isInteger(value) && value >= 0;

/** A kept body as the control API (and the simulator console) shows it: whether it was cut. */
export const bodyView = (b: JournalBody | null) => b && { ...b, truncated: b.encoding === 'base64' ? Buffer.from(b.body, 'base64').length < b.bytes : Buffer.byteLength(b.body) < b.bytes };

export async function simJournalRoutes(app: FastifyInstance, { ctx, auth }: { ctx: AppContext; auth: Authenticator }): Promise<void> {
  contractRoute(app, ctx, auth, 'listJournal', async (request) => {
    const q = request.query as {
      participantId?: string; path?: string; method?: string; operationId?: string; status?: number; code?: string; messageContextId?: string;
      traceId?: string; fromDateTime?: string; toDateTime?: string; faulted?: boolean; itemCount?: number; cursor?: string;
    };
    const itemCount = q.itemCount ?? 100;
    const afterId = q.cursor === undefined ? 0 : decodeCursor(JOURNAL_CURSOR, q.cursor, [isRowId])[0] as number;
    const rows = ctx.journal.page({
      participantId: q.participantId, path: q.path, method: q.method, operationId: q.operationId, status: q.status, code: q.code,
      messageContextId: q.messageContextId, traceId: q.traceId, faulted: q.faulted,
      from: q.fromDateTime === undefined ? undefined : Date.parse(q.fromDateTime), to: q.toDateTime === undefined ? undefined : Date.parse(q.toDateTime),
    }, afterId, itemCount + 1);
    const page = rows.slice(0, itemCount);
    return {
      data: page.map((e) => ({ ...e, at: formatMarketDateTime(e.at), request: bodyView(e.request), response: bodyView(e.response) })),
      meta: { itemCount: page.length, nextCursor: rows.length > itemCount ? encodeCursor(JOURNAL_CURSOR, [page[page.length - 1]!.id]) : null },
    };
  });

  contractRoute(app, ctx, auth, 'clearJournal', async (_request, reply) => {
    ctx.journal.clear();
    return reply.code(204).send();
  });
}
