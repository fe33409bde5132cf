/**
 * BPQD completeness ("coverage", issue #10): per NMI and market day, who owed BPQD (the MC, or its MDP on
 * its behalf, in standing data that day — spec §12 [D]), whether it arrived, from whom, whether late
 * (after the end of the due day, IDX_SIM_COVERAGE_DUE_DAYS later) and whether from a party that did not
 * owe it. A partial churn day (a role changes hands that day) is not required of either party
 * (spec §12 [D]: "data for the partial churn day is not required"). Pure: the caller supplies standing
 * data and arrivals.
 */
import type { NmiRolesOnDate } from './bpqd-rules.js';
import { MARKET_ROLES, addDays } from './standing-data.js';

export type CoverageStatus = 'received' | 'late' | 'wrong-party' | 'missing' | 'pending' | 'not-required' | 'no-standing-data';

export interface Arrival {
  nmi: string;
  marketDate: string;
  senderId: string;
  messageContextId: string;
  receivedAt: number;
}

export interface CoverageRow {
  nmi: string;
  marketDate: string;
  status: CoverageStatus;
  /** Owed at all: an LNSP to receive it, and not a partial churn day. */
  required: boolean;
  churnDay: boolean;
  lnsp: string[];
  /** The MC and MDP that day: either may send. */
  owedBy: string[];
  /** The instant after which an arrival is late. */
  dueBy: number;
  arrivals: Array<Arrival & { late: boolean; wrongParty: boolean }>;
}

export interface CoverageInput {
  nmis: readonly string[];
  dates: readonly string[];
  rolesOn: (nmi: string, date: string) => NmiRolesOnDate;
  arrivals: readonly Arrival[];
  dueDays: number;
  now: number;
  /** On a churn day the outgoing MC/MDP may still send (IDX_SIM_CHURN_DAY=either): not the wrong party. */
  outgoingMaySendOnChurnDay?: boolean;
}

/** Market midnight (AEST) at the start of a market date, epoch ms. */
export const marketMidnight = (date: string): number => Date.parse(`${date}T00:00:00.000+10:00`);

export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** A role passes from one holder to another on this date. */
export function isChurnDay(before: NmiRolesOnDate, on: NmiRolesOnDate): boolean {
  return MARKET_ROLES.some((role) => before[role].length > 0 && on[role].length > 0 && before[role].join() !== on[role].join());
}

export function coverage(input: CoverageInput): CoverageRow[] {
  const byKey = new Map<string, Arrival[]>();
  for (const a of input.arrivals) {
    const key = `${a.nmi}|${a.marketDate}`;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(a);
  }
  const rows: CoverageRow[] = [];
  for (const nmi of input.nmis) {
    for (const marketDate of input.dates) {
      const roles = input.rolesOn(nmi, marketDate);
      const before = input.rolesOn(nmi, addDays(marketDate, -1));
      const churnDay = isChurnDay(before, roles);
      const owedBy = [...new Set([...roles.MC, ...roles.MDP])].sort();
      const mayAlsoSend = churnDay && input.outgoingMaySendOnChurnDay ? [...before.MC, ...before.MDP] : [];
      const dueBy = marketMidnight(addDays(marketDate, input.dueDays + 1));
      const arrivals = (byKey.get(`${nmi}|${marketDate}`) ?? []).sort((a, b) => a.receivedAt - b.receivedAt)
        .map((a) => ({ ...a, late: a.receivedAt >= dueBy, wrongParty: !owedBy.includes(a.senderId) && !mayAlsoSend.includes(a.senderId) }));
      const required = roles.LNSP.length > 0 && !churnDay;
      const fromOwed = arrivals.filter((a) => !a.wrongParty);
      let status: CoverageStatus;
      if (fromOwed.some((a) => !a.late)) status = 'received';
      else if (fromOwed.length) status = 'late';
      else if (arrivals.length) status = 'wrong-party';
      else if (roles.LNSP.length === 0) status = 'no-standing-data';
      else if (churnDay) status = 'not-required';
      else if (input.now < dueBy) status = 'pending';
      else status = 'missing';
      rows.push({ nmi, marketDate, status, required, churnDay, lnsp: roles.LNSP, owedBy, dueBy, arrivals });
    }
  }
  return rows;
}

const CSV_COLUMNS = ['nmi', 'marketDate', 'status', 'required', 'churnDay', 'lnsp', 'owedBy', 'senders', 'firstReceivedDateTime', 'late', 'wrongParty', 'messageContextIds'] as const;

const csvCell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** RFC 4180 CSV, one line per NMI and day; lists are `;`-separated within a cell. */
export function coverageCsv(rows: readonly CoverageRow[], formatTime: (ms: number) => string): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push([
      r.nmi, r.marketDate, r.status, String(r.required), String(r.churnDay), r.lnsp.join(';'), r.owedBy.join(';'),
      [...new Set(r.arrivals.map((a) => a.senderId))].join(';'), r.arrivals[0] ? formatTime(r.arrivals[0].receivedAt) : '',
      String(r.arrivals.some((a) => a.late)), String(r.arrivals.some((a) => a.wrongParty)), r.arrivals.map((a) => a.messageContextId).join(';'),
    ].map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
