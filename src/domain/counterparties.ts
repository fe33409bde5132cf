/**
 * Virtual counterparties (issue #10): a sender (MC or MDP) that sends BPQD for its NMIs every market day
 * or every N minutes, and an LNSP that drains its queue by a policy. Pure rules: their schedules on the
 * simulated clock, and how much a slow receiver may take. The service (src/services/counterparty-service.ts)
 * does the sending through the real API.
 */
import { INVALID_VARIANTS, MESSAGE_VARIANTS, type InvalidVariant } from './bpqd-dataset.js';
import { formatMarketDateTime, marketDate, MARKET_OFFSET_MINUTES } from './market-time.js';
import type { PriorityLetter } from './message-context-id.js';
import type { Random } from './random.js';

export const LNSP_POLICIES = ['normal', 'get-only', 'slow', 'stopped'] as const;
export type LnspPolicy = (typeof LNSP_POLICIES)[number];

export interface SenderSpec {
  kind: 'sender';
  participantId: string;
  /** NMIs to send for; by default every NMI the participant is MC or MDP of that day. A listed NMI is sent only on the days the participant is responsible for it. */
  nmis?: string[];
  /** `day`: each market day's data at `sendAtMinutes` past the next midnight; or every `everyMinutes` the intervals since the last send. */
  schedule: { every: 'day'; sendAtMinutes?: number } | { everyMinutes: number };
  /** First market day to send (`YYYY-MM-DD`); by default the day the counterparty starts. Earlier days are sent at once. */
  from?: string;
  intervalLength?: 5 | 15 | 30;
  /** Relative weights of the priorities; default all Low. */
  priorityMix?: Partial<Record<PriorityLetter, number>>;
  /** Share (0..1) of messages sent as a named invalid variant instead. */
  invalidShare?: number;
  invalidVariants?: InvalidVariant[];
  seed?: string;
  paused?: boolean;
}

export interface LnspSpec {
  kind: 'lnsp';
  participantId: string;
  policy: LnspPolicy;
  /** `slow`: messages per simulated minute. */
  perMinute?: number;
  paused?: boolean;
}

export type CounterpartySpec = (SenderSpec | LnspSpec) & { id?: string; clientId?: string; clientSecret?: string };

const DAY_MS = 86_400_000;
const OFFSET_MS = MARKET_OFFSET_MINUTES * 60_000;

export const addMarketDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** Epoch ms of market midnight starting `date`. */
export const marketMidnightOf = (date: string): number => Date.parse(`${date}T00:00:00Z`) - OFFSET_MS;

/** Problems with a spec, as `[pointer, message]`; empty when it is usable. */
export function specProblems(spec: CounterpartySpec, knownParticipants: ReadonlyMap<string, string>): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const role = knownParticipants.get(spec.participantId);
  if (!role) problems.push(['/participantId', `unknown participant ${spec.participantId}`]);
  if (spec.kind === 'lnsp') {
    if (role && role !== 'LNSP') problems.push(['/participantId', `${spec.participantId} is an ${role}, not an LNSP`]);
    if (spec.policy === 'slow' && !(spec.perMinute && spec.perMinute > 0)) problems.push(['/perMinute', 'policy slow needs perMinute > 0']);
  } else {
    if (role && role === 'LNSP') problems.push(['/participantId', `${spec.participantId} is an LNSP; a sender is an MC or MDP`]);
    const mix = spec.priorityMix ?? {};
    if (Object.keys(mix).length && Object.values(mix).reduce((a, b) => a + (b ?? 0), 0) <= 0) problems.push(['/priorityMix', 'weights must add up to more than 0']);
    for (const v of spec.invalidVariants ?? []) {
      if (!(MESSAGE_VARIANTS as readonly string[]).includes(v)) {
        problems.push(['/invalidVariants', `${v} cannot be sent by a counterparty (${(INVALID_VARIANTS as readonly string[]).includes(v) ? 'it needs a churn in the standing data' : 'unknown'}); use ${MESSAGE_VARIANTS.join(', ')}`]);
      }
    }
    if ((spec.invalidShare ?? 0) > 0 && !(spec.invalidVariants ?? MESSAGE_VARIANTS).length) problems.push(['/invalidVariants', 'invalidShare needs at least one variant']);
  }
  return problems;
}

/** When a daily sender first sends: the day `from` (default: the start's market day) is sent at `sendAtMinutes` past the following midnight. */
export function firstDailyRun(startedAt: number, from: string | undefined, sendAtMinutes: number): { date: string; dueAt: number } {
  const date = from ?? marketDate(startedAt);
  return { date, dueAt: marketMidnightOf(addMarketDays(date, 1)) + sendAtMinutes * 60_000 };
}

/** Weighted choice of a priority. */
export function pickPriority(random: Random, mix: Partial<Record<PriorityLetter, number>> | undefined): PriorityLetter {
  const entries = (Object.entries(mix ?? {}) as Array<[PriorityLetter, number]>).filter(([, w]) => w > 0);
  if (!entries.length) return 'l';
  const total = entries.reduce((a, [, w]) => a + w, 0);
  let x = random.next() * total;
  for (const [p, w] of entries) {
    if ((x -= w) < 0) return p;
  }
  return entries[entries.length - 1]![0];
}

/** How many messages a `slow` receiver may take by `now`, having taken `taken` since `since`. */
export function slowAllowance(perMinute: number, since: number, now: number, taken: number): number {
  return Math.max(0, Math.floor(((now - since) / 60_000) * perMinute) - taken);
}

/** The interval window an every-N-minutes sender covers at a due time, aligned to the interval length. */
export function minuteWindow(dueAt: number, everyMinutes: number): { from: number; to: number } {
  return { from: dueAt - everyMinutes * 60_000, to: dueAt };
}

export const describeInstant = (ms: number | null): string | null => (ms === null ? null : formatMarketDateTime(ms));

/** A sender sends daily and an LNSP drains normally unless told otherwise. */
export function withDefaults(spec: CounterpartySpec): CounterpartySpec {
  if (spec.kind === 'lnsp') return { ...spec, policy: spec.policy ?? 'normal' };
  return { ...spec, schedule: spec.schedule ?? { every: 'day' } };
}
