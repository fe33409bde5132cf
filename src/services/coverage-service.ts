/**
 * The BPQD coverage report (issue #10): standing data from the participant store, arrivals from the
 * accepted messages' payloads (the NMIs and market dates their intervals cover), put together by the pure
 * rules of src/domain/coverage.ts.
 */
import { gunzipSync } from 'node:zlib';
import type { BpqdPayload } from '../domain/bpqd-payload.js';
import type { StandingDataLookup } from '../domain/bpqd-rules.js';
import type { Clock } from '../domain/clock.js';
import { coverage, datesBetween, marketMidnight, type Arrival, type CoverageRow } from '../domain/coverage.js';
import { addDays } from '../domain/standing-data.js';
import type { CoverageStore } from '../store/coverage-store.js';

export interface CoverageQuery {
  from: string;
  to: string;
  nmis?: string[];
  /** Only rows where this participant is the LNSP, owes the data, or sent some. */
  participantId?: string;
}

export class CoverageService {
  constructor(
    private readonly store: CoverageStore,
    private readonly standingData: StandingDataLookup,
    private readonly listNmis: (range: { from: string; to: string }) => string[],
    private readonly clock: Clock,
    private readonly dueDays: number,
    private readonly outgoingMaySendOnChurnDay = true,
  ) {}

  report(q: CoverageQuery): CoverageRow[] {
    const now = this.clock.now();
    const wanted = q.nmis ? new Set(q.nmis) : undefined;
    const arrivals: Arrival[] = [];
    // Data for a day cannot be sent before the day starts; anything up to now may be late data for it.
    for (const m of this.store.receivedBetween(marketMidnight(q.from), Math.max(now, marketMidnight(addDays(q.to, 1))))) {
      for (const { nmi, marketDate } of coveredBy(m.payloadGzip)) {
        if (marketDate < q.from || marketDate > q.to || (wanted && !wanted.has(nmi))) continue;
        arrivals.push({ nmi, marketDate, senderId: m.senderId, messageContextId: m.messageContextId, receivedAt: m.receivedAt });
      }
    }
    const nmis = [...new Set([...(q.nmis ?? this.listNmis({ from: q.from, to: q.to })), ...arrivals.map((a) => a.nmi)])]
      .filter((n) => !wanted || wanted.has(n)).sort();
    const rows = coverage({
      nmis, dates: datesBetween(q.from, q.to), rolesOn: (nmi, date) => this.standingData.rolesOn(nmi, date), arrivals, dueDays: this.dueDays, now, outgoingMaySendOnChurnDay: this.outgoingMaySendOnChurnDay,
    });
    const p = q.participantId;
    return p ? rows.filter((r) => r.lnsp.includes(p) || r.owedBy.includes(p) || r.arrivals.some((a) => a.senderId === p)) : rows;
  }
}

/** The (NMI, market date) pairs a stored payload's intervals cover; nothing for a payload that cannot be read. */
function coveredBy(payloadGzip: Buffer): Array<{ nmi: string; marketDate: string }> {
  let payload: BpqdPayload;
  try {
    payload = JSON.parse(gunzipSync(payloadGzip).toString('utf8')) as BpqdPayload;
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const out: Array<{ nmi: string; marketDate: string }> = [];
  for (const tx of payload.data?.transactions ?? []) {
    for (const detail of tx.nmiDetails ?? []) {
      for (const meter of detail.meters ?? []) {
        for (const interval of meter.intervals ?? []) {
          // Accepted intervals are in market time (+10:00), so the written date is the market date.
          const key = `${detail.nmi}|${interval.intervalStartDateTime.slice(0, 10)}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({ nmi: detail.nmi, marketDate: interval.intervalStartDateTime.slice(0, 10) });
        }
      }
    }
  }
  return out;
}
