/** Control API: the BPQD coverage report (issue #10), as JSON or, with `Accept: text/csv` or `?format=csv`, as CSV. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { IdxError } from '../../domain/errors.js';
import { coverageCsv, type CoverageRow } from '../../domain/coverage.js';
import { formatMarketDateTime } from '../../domain/market-time.js';
import { addDays, isMarketDate } from '../../domain/standing-data.js';
import type { Authenticator } from '../../plugins/auth.js';
import { contractRoute } from '../../plugins/contract-routes.js';
import type { CoverageService } from '../../services/coverage-service.js';

/** Most market days one report covers. */
export const MAX_COVERAGE_DAYS = 62;

const rowView = (r: CoverageRow) => ({
  nmi: r.nmi, marketDate: r.marketDate, status: r.status, required: r.required, churnDay: r.churnDay, lnsp: r.lnsp, owedBy: r.owedBy,
  dueBy: formatMarketDateTime(r.dueBy),
  arrivals: r.arrivals.map((a) => ({ senderId: a.senderId, messageContextId: a.messageContextId, receivedDateTime: formatMarketDateTime(a.receivedAt), late: a.late, wrongParty: a.wrongParty })),
});

export async function simCoverageRoutes(app: FastifyInstance, { ctx, auth, coverage }: { ctx: AppContext; auth: Authenticator; coverage: CoverageService }): Promise<void> {
  contractRoute(app, ctx, auth, 'getCoverage', async (request, reply) => {
    const q = request.query as { fromDate: string; toDate?: string; nmi?: string; participantId?: string; status?: string; format?: 'json' | 'csv' };
    const to = q.toDate ?? q.fromDate;
    for (const [name, value] of [['fromDate', q.fromDate], ['toDate', to]] as const) {
      if (!isMarketDate(value)) throw new IdxError('IDX_ERR_QUERY_INVALID', `${name} ${value} is not a date`, { errors: [{ in: 'query', name, code: 'FORMAT', message: 'YYYY-MM-DD' }] });
    }
    if (to < q.fromDate || addDays(q.fromDate, MAX_COVERAGE_DAYS - 1) < to) {
      throw new IdxError('IDX_ERR_QUERY_INVALID', `toDate must be on or after fromDate and at most ${MAX_COVERAGE_DAYS} days on`,
        { errors: [{ in: 'query', name: 'toDate', code: 'RANGE', message: `fromDate..fromDate+${MAX_COVERAGE_DAYS - 1}` }] });
    }
    let rows = coverage.report({ from: q.fromDate, to, nmis: q.nmi?.split(',').filter(Boolean), participantId: q.participantId });
    if (q.status) {
      const statuses = q.status.split(',');
      rows = rows.filter((r) => statuses.includes(r.status));
    }
    const csv = q.format === 'csv' || (q.format === undefined && /text\/csv/.test(String(request.headers.accept ?? '')));
    if (csv) return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="bpqd-coverage-${q.fromDate}-${to}.csv"`).send(coverageCsv(rows, formatMarketDateTime));
    const count = (status: string) => rows.filter((r) => r.status === status).length;
    return {
      data: rows.map(rowView),
      meta: {
        fromDate: q.fromDate, toDate: to, rows: rows.length,
        summary: Object.fromEntries(['received', 'late', 'wrong-party', 'missing', 'pending', 'not-required', 'no-standing-data'].map((s) => [s, count(s)])),
      },
    };
  });
}
