/**
 * Outages and planned maintenance windows of the IDX hub (spec §4.7 "outage notifications"): which
 * requests one refuses and for how long. A window is half-open, [start, end), on the simulated clock, so
 * a window scheduled ahead starts refusing the moment the clock reaches it and stops at its end.
 */
import { IdxError } from './errors.js';
import { formatMarketDateTime } from './market-time.js';

/** The IDX APIs an outage can take down, by the first segment of their base path (`/pqd/v1` → `pqd`). */
export const IDX_APIS = ['oauth', 'pqd', 'fctrl', 'events', 'translog', 'archive', 'bfinfo'] as const;
export type IdxApi = (typeof IDX_APIS)[number];

export interface OutageWindow {
  id: number;
  outageStart: number;
  outageEnd: number;
  description: string;
  /** null = every participant. */
  participantIds: string[] | null;
  /** null = every IDX API. */
  apis: string[] | null;
}

export type OutageState = 'scheduled' | 'active' | 'ended';

export function outageState(o: Pick<OutageWindow, 'outageStart' | 'outageEnd'>, now: number): OutageState {
  return now < o.outageStart ? 'scheduled' : now < o.outageEnd ? 'active' : 'ended';
}

/** The API of a request path, or undefined for a path outside the IDX APIs (docs, control API). */
export function apiOfPath(path: string): IdxApi | undefined {
  const segment = path.split('/')[1] ?? '';
  return (IDX_APIS as readonly string[]).includes(segment) ? (segment as IdxApi) : undefined;
}

/** The active windows that cover this participant and API. */
export function outagesCovering(outages: readonly OutageWindow[], participantId: string, api: IdxApi, now: number): OutageWindow[] {
  return outages.filter((o) => outageState(o, now) === 'active'
    && (o.participantIds === null || o.participantIds.includes(participantId))
    && (o.apis === null || o.apis.includes(api)));
}

/**
 * 503 while an outage covers the request (RFC 9110 §15.6.4: "temporary overload or scheduled maintenance"),
 * with Retry-After in whole seconds until the last covering window ends, at least 1.
 */
export function checkNoOutage(outages: readonly OutageWindow[], participantId: string, api: IdxApi, now: number): void {
  const covering = outagesCovering(outages, participantId, api, now);
  if (covering.length === 0) return;
  const last = covering.reduce((a, b) => (b.outageEnd > a.outageEnd ? b : a));
  const retryAfter = Math.max(1, Math.ceil((last.outageEnd - now) / 1000));
  throw new IdxError('IDX_ERR_SERVICE_UNAVAILABLE',
    `the IDX ${api} API is unavailable to ${participantId} until ${formatMarketDateTime(last.outageEnd)}: ${last.description} (outage ${last.id}); retry after ${retryAfter} s`,
    { headers: { 'retry-after': String(retryAfter) } });
}
