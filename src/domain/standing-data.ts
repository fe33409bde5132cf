/**
 * Effective-dated NMI roles (simulated MSATS standing data, spec §11, §12 [D]): the rules a run-time change
 * must keep — one participant per role per day, from ≤ to — and meter churn as a change of roles from a
 * date: the old holder's role ends the day before, the new holder's starts that day. Pure: no SQL.
 */
import type { MarketRole } from './participants.js';

export const MARKET_ROLES: readonly MarketRole[] = ['LNSP', 'MC', 'MDP'];
export const MARKET_DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface RoleSpan {
  role: MarketRole;
  participantId: string;
  /** Market date, inclusive. */
  fromDate: string;
  /** Market date, inclusive; null = open-ended. */
  toDate: string | null;
}

/** A problem with a list of spans, pointing at the span (its index) and field. */
export interface SpanProblem {
  index: number;
  field: 'fromDate' | 'toDate' | 'participantId' | 'role';
  message: string;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export function isMarketDate(text: string): boolean {
  return MARKET_DATE.test(text) && addDays(text, 0) === text;
}

const END_OF_TIME = '9999-12-31';
const overlaps = (a: RoleSpan, b: RoleSpan) => a.fromDate <= (b.toDate ?? END_OF_TIME) && b.fromDate <= (a.toDate ?? END_OF_TIME);
const covers = (s: RoleSpan, date: string) => s.fromDate <= date && (s.toDate === null || s.toDate >= date);

/** Dates in order, and no two spans of one role on the same day. */
export function checkSpans(spans: readonly RoleSpan[]): SpanProblem[] {
  const problems: SpanProblem[] = [];
  spans.forEach((s, index) => {
    if (!isMarketDate(s.fromDate)) problems.push({ index, field: 'fromDate', message: `fromDate ${s.fromDate} is not a date (YYYY-MM-DD)` });
    else if (s.toDate !== null && !isMarketDate(s.toDate)) problems.push({ index, field: 'toDate', message: `toDate ${s.toDate} is not a date (YYYY-MM-DD)` });
    else if (s.toDate !== null && s.toDate < s.fromDate) problems.push({ index, field: 'toDate', message: `toDate ${s.toDate} is before fromDate ${s.fromDate}` });
  });
  if (problems.length) return problems;
  spans.forEach((s, index) => {
    const clash = spans.findIndex((o, j) => j < index && o.role === s.role && overlaps(o, s));
    if (clash >= 0) {
      const o = spans[clash]!;
      problems.push({ index, field: 'fromDate', message: `${s.role} ${s.participantId} from ${s.fromDate} overlaps ${s.role} ${o.participantId} ${o.fromDate}..${o.toDate ?? ''} (one ${s.role} per day)` });
    }
  });
  return problems;
}

/**
 * Meter churn: from `fromDate` the given roles pass to new participants. A span covering `fromDate` ends the
 * day before (or is replaced, when it starts that very day); the new span runs as far as the old one did.
 * A span of a changed role that starts after `fromDate` is a later change already scheduled: refused.
 */
export function churn(spans: readonly RoleSpan[], fromDate: string, changes: Partial<Record<MarketRole, string>>): { spans: RoleSpan[] } | { conflict: string } {
  const out: RoleSpan[] = [];
  for (const s of spans) {
    const newHolder = changes[s.role];
    if (newHolder === undefined) {
      out.push(s);
      continue;
    }
    if (s.fromDate > fromDate) return { conflict: `${s.role} already changes to ${s.participantId} on ${s.fromDate}, after ${fromDate}; change that one instead` };
    if (covers(s, fromDate) && s.fromDate < fromDate) out.push({ ...s, toDate: addDays(fromDate, -1) });
    else if (!covers(s, fromDate)) out.push(s);
  }
  for (const role of MARKET_ROLES) {
    const participantId = changes[role];
    if (participantId === undefined) continue;
    const old = spans.find((s) => s.role === role && covers(s, fromDate));
    out.push({ role, participantId, fromDate, toDate: old?.toDate ?? null });
  }
  return { spans: out };
}
