/**
 * BPQD content and routing rules that a JSON schema cannot express (spec §5.2 validation [D], §11, §12).
 * Pure functions: they take a schema-valid payload and return the problems they find.
 */
import type { BpqdHeader, BpqdPayload, Measurement } from './bpqd-payload.js';
import { bodyProblem, headerProblem, IdxError, type ProblemItem } from './errors.js';
import { MARKET_OFFSET, parseIdxDateTime } from './market-time.js';
import { PRIORITY_WORD, type MessageContextId } from './message-context-id.js';
import { isValidNmiChecksum, nmiChecksum } from './nmi.js';

/** A refusal lists at most this many problems; the detail says how many more there were. */
export const MAX_PROBLEMS_LISTED = 100;

function refuse(code: ConstructorParameters<typeof IdxError>[0], summary: string, problems: ProblemItem[], messageContextId?: string): never {
  const listed = problems.slice(0, MAX_PROBLEMS_LISTED);
  const more = problems.length - listed.length;
  const detail = `${summary}: ${problems[0]!.message}` +
    (problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}${more > 0 ? `, ${more} not listed` : ''})` : '');
  throw new IdxError(code, detail, { errors: listed, messageContextId });
}

const txPointer = (t: number) => `/data/transactions/${t}`;
const nmiPointer = (t: number, n: number) => `${txPointer(t)}/nmiDetails/${n}`;

/** NMI check digits (spec §11). */
export function checkNmiChecksums(payload: BpqdPayload, messageContextId?: string): void {
  const problems: ProblemItem[] = [];
  payload.data.transactions.forEach((tx, t) =>
    tx.nmiDetails.forEach((d, n) => {
      if (!isValidNmiChecksum(d.nmi, d.nmiChecksum)) {
        problems.push(bodyProblem(`${nmiPointer(t, n)}/nmiChecksum`, 'NMI_CHECKSUM',
          `NMI ${d.nmi} has check digit ${nmiChecksum(d.nmi)}, payload says ${d.nmiChecksum}`));
      }
    }));
  if (problems.length) refuse('IDX_ERR_NMI_CHECKSUM', 'NMI checksum is wrong', problems, messageContextId);
}

/** The pointer is built only for a problem: a whole-day payload has thousands of readings and, usually, none. */
function checkMeasurement(m: Measurement, meterPtr: string, i: number, r: number, field: string, problems: ProblemItem[]): void {
  if ((m.min !== undefined && m.min > m.avg) || (m.max !== undefined && m.max < m.avg)) {
    problems.push(bodyProblem(`${meterPtr}/intervals/${i}/readings/${r}/${field}`, 'MEASUREMENT_RANGE', `expected min <= avg <= max, got min ${m.min ?? '-'}, avg ${m.avg}, max ${m.max ?? '-'}`));
  }
}

/**
 * Interval and phase consistency (spec §5.2 [D]): market-time (+10:00) timestamps, end - start equal to
 * intervalLength, starts on an interval boundary, no duplicate interval or phase, readings only for the
 * meter's declared phases, min <= avg <= max. Partial days are accepted (meter churn, spec §12), but a
 * meter's intervals must be contiguous unless `allowGaps`: a missing reading is sent with quality flag N,
 * as in NEM12, not left out (docs/spec-variance.md row 234, IDX_SIM_BPQD_INTERVAL_GAPS).
 */
export function checkContentRules(payload: BpqdPayload, messageContextId?: string, options: { allowGaps?: boolean } = {}): void {
  const problems: ProblemItem[] = [];
  payload.data.transactions.forEach((tx, t) => {
    const seenNmis = new Set<string>();
    tx.nmiDetails.forEach((detail, n) => {
      if (seenNmis.has(detail.nmi)) {
        problems.push(bodyProblem(`${nmiPointer(t, n)}/nmi`, 'NMI_DUPLICATE', `NMI ${detail.nmi} appears more than once in transaction ${tx.transactionId}`));
      }
      seenNmis.add(detail.nmi);
      detail.meters.forEach((meter, m) => {
        const meterPtr = `${nmiPointer(t, n)}/meters/${m}`;
        const lengthMs = meter.intervalLength * 60_000;
        const starts = new Set<number>();
        // The well-formed intervals' starts, in payload order, and whether that order is already ascending
        // (as senders send them): then no sort is needed to look for gaps (issue #13: a whole day is 288
        // intervals per meter, checked on every submission).
        const wellFormed: number[] = [];
        const wellFormedIndex: number[] = [];
        let ascending = true;
        const phases: string[] = [];
        const intervals = meter.intervals;
        for (let i = 0; i < intervals.length; i++) {
          const interval = intervals[i]!;
          // Pointers are built only for a problem: a whole-day payload has hundreds of intervals and, usually, none (issue #13).
          const problemsBefore = problems.length;
          const start = parseIdxDateTime(interval.intervalStartDateTime);
          const end = parseIdxDateTime(interval.intervalEndDateTime);
          if (!interval.intervalStartDateTime.endsWith(MARKET_OFFSET)) {
            problems.push(bodyProblem(`${meterPtr}/intervals/${i}/intervalStartDateTime`, 'INTERVAL_NOT_MARKET_TIME', `intervalStartDateTime ${interval.intervalStartDateTime} must be in market time (+10:00)`));
          }
          if (!interval.intervalEndDateTime.endsWith(MARKET_OFFSET)) {
            problems.push(bodyProblem(`${meterPtr}/intervals/${i}/intervalEndDateTime`, 'INTERVAL_NOT_MARKET_TIME', `intervalEndDateTime ${interval.intervalEndDateTime} must be in market time (+10:00)`));
          }
          if (start === undefined || end === undefined) continue; // the schema pattern already reported the shape
          if (end - start !== lengthMs) {
            problems.push(bodyProblem(`${meterPtr}/intervals/${i}/intervalEndDateTime`, 'INTERVAL_LENGTH_MISMATCH',
              `interval spans ${(end - start) / 60_000} minutes, meter intervalLength is ${meter.intervalLength}`));
          }
          if ((start + 600 * 60_000) % lengthMs !== 0) {
            problems.push(bodyProblem(`${meterPtr}/intervals/${i}/intervalStartDateTime`, 'INTERVAL_NOT_ALIGNED',
              `interval must start on a ${meter.intervalLength}-minute boundary, got ${interval.intervalStartDateTime}`));
          }
          if (starts.has(start)) {
            problems.push(bodyProblem(`${meterPtr}/intervals/${i}/intervalStartDateTime`, 'INTERVAL_DUPLICATE', `interval starting ${interval.intervalStartDateTime} appears more than once for meter ${meter.meterSerialNumber}`));
          }
          starts.add(start);
          // Gaps are looked for among well-formed intervals only: a misshapen one is already reported.
          if (!options.allowGaps && problems.length === problemsBefore) {
            if (wellFormed.length > 0 && start < wellFormed[wellFormed.length - 1]!) ascending = false;
            wellFormed.push(start);
            wellFormedIndex.push(i);
          }
          phases.length = 0;
          const readings = interval.readings;
          for (let r = 0; r < readings.length; r++) {
            const reading = readings[r]!;
            if (!meter.phases.includes(reading.phase)) {
              problems.push(bodyProblem(`${meterPtr}/intervals/${i}/readings/${r}/phase`, 'PHASE_NOT_DECLARED', `phase ${reading.phase} is not in the meter's phases [${meter.phases.join(', ')}]`));
            }
            if (phases.includes(reading.phase)) {
              problems.push(bodyProblem(`${meterPtr}/intervals/${i}/readings/${r}/phase`, 'PHASE_DUPLICATE', `phase ${reading.phase} appears more than once in the interval`));
            }
            phases.push(reading.phase);
            checkMeasurement(reading.voltage, meterPtr, i, r, 'voltage', problems);
            checkMeasurement(reading.current, meterPtr, i, r, 'current', problems);
            checkMeasurement(reading.phaseAngle, meterPtr, i, r, 'phaseAngle', problems);
          }
        }
        // Ascending by start: the payload's own order when it already is (no copy, no sort), else a sorted copy.
        // Starts are distinct here (a duplicate is not well-formed), so any stable order is the same order.
        const sorted = ascending ? undefined : wellFormedIndex.map((i, k) => [wellFormed[k]!, i] as const).sort((a, b) => a[0] - b[0]);
        for (let k = 1; k < wellFormed.length; k++) {
          const gap = sorted ? sorted[k]![0] - sorted[k - 1]![0] : wellFormed[k]! - wellFormed[k - 1]!;
          if (gap > lengthMs) {
            const i = sorted ? sorted[k]![1] : wellFormedIndex[k]!;
            problems.push(bodyProblem(`${meterPtr}/intervals/${i}/intervalStartDateTime`, 'INTERVAL_GAP',
              `${gap / lengthMs - 1} interval(s) missing before ${meter.intervals[i]!.intervalStartDateTime} for meter ${meter.meterSerialNumber}; send missing readings with qualityFlag N`));
          }
        }
      });
    });
  });
  if (problems.length) refuse('IDX_ERR_PAYLOAD_RULE', 'Payload breaks a BPQD content rule', problems, messageContextId);
}

/**
 * The headers, the messageContextId and the payload header must tell the same story (spec §3, §5.2 [D]):
 * same initiating participant, same priority, and a pqd~bpqd context id.
 */
export function checkContextAgreement(context: MessageContextId, initiatingParticipantId: string, payload: { data: { header: Pick<BpqdHeader, 'initiatingParticipantId' | 'priority'> } }): void {
  const header = payload.data.header;
  const problems: ProblemItem[] = [];
  if (header.initiatingParticipantId !== initiatingParticipantId) {
    problems.push(bodyProblem('/data/header/initiatingParticipantId', 'PARTICIPANT_MISMATCH',
      `payload initiatingParticipantId ${header.initiatingParticipantId} differs from x-initiatingParticipantId ${initiatingParticipantId}`));
  }
  if (PRIORITY_WORD[context.priority] !== header.priority) {
    problems.push(bodyProblem('/data/header/priority', 'PRIORITY_MISMATCH',
      `payload priority ${header.priority} differs from the x-messageContextId priority "${context.priority}" (${PRIORITY_WORD[context.priority]})`));
  }
  if (problems.length) refuse('IDX_ERR_CONTEXT_ID_MISMATCH', 'x-messageContextId disagrees with the payload', problems, context.raw);
}

/** Header-level agreement, checked before the body is read. */
export function checkContextHeaders(context: MessageContextId, initiatingParticipantId: string, expected: { businessFunctionId: string; businessFunctionResourceId: string }): void {
  const problems: ProblemItem[] = [];
  if (context.participantId !== initiatingParticipantId) {
    problems.push(headerProblem('x-messageContextId', 'PARTICIPANT_MISMATCH',
      `participant part "${context.participantId.toLowerCase()}" differs from x-initiatingParticipantId ${initiatingParticipantId}`));
  }
  if (context.businessFunctionId !== expected.businessFunctionId || context.businessFunctionResourceId !== expected.businessFunctionResourceId) {
    problems.push(headerProblem('x-messageContextId', 'BUSINESS_FUNCTION_MISMATCH',
      `this endpoint takes ${expected.businessFunctionId}~${expected.businessFunctionResourceId} messages, got ${context.businessFunctionId}~${context.businessFunctionResourceId}`));
  }
  if (problems.length) refuse('IDX_ERR_CONTEXT_ID_MISMATCH', 'x-messageContextId disagrees with the headers', problems, context.raw);
}

/** Participants holding each role for an NMI on one market date (spec §12: simulated MSATS standing data). */
export interface NmiRolesOnDate {
  LNSP: string[];
  MC: string[];
  MDP: string[];
}

/** The standing-data port the routing rules need. */
export interface StandingDataLookup {
  rolesOn(nmi: string, marketDate: string): NmiRolesOnDate;
}

/**
 * How the receivers are checked against standing data (spec §12 [D]; docs/spec-variance.md row 28):
 * `strict` — the receivers are exactly the LNSP(s) of every NMI on every date, so an LNSP never receives
 *            another LNSP's NMIs;
 * `fanout` — every NMI's LNSP must be addressed, and every addressed participant must be the LNSP of at
 *            least one NMI; each receives the whole message;
 * `off`    — receivers are not compared with standing data: any registered LNSP may be addressed.
 */
export const ROUTING_RULES = ['strict', 'fanout', 'off'] as const;
export type RoutingRule = (typeof ROUTING_RULES)[number];

/**
 * Who may send on the day an NMI's MC or MDP changes (seed 000 Table 7: "The MC is not required to provide
 * BPQD for a partial BPQD Period (on the day churn took place)"): `either` the outgoing or the incoming
 * party, or `strict` only the party standing data names for that day (the incoming one).
 */
export const CHURN_DAY_RULES = ['either', 'strict'] as const;
export type ChurnDayRule = (typeof CHURN_DAY_RULES)[number];

export interface RoutingRules {
  routing: RoutingRule;
  churnDay: ChurnDayRule;
  /** Whether a participant is a registered LNSP (the only check on receivers under `off`). */
  isRegisteredLnsp: (participantId: string) => boolean;
}

export const DEFAULT_ROUTING_RULES: RoutingRules = { routing: 'strict', churnDay: 'either', isRegisteredLnsp: () => true };

/** The sender was one of the two parties of a role that changed on that date (a churn day). */
export interface ChurnDaySender {
  nmi: string;
  date: string;
  role: 'MC' | 'MDP';
  party: 'outgoing' | 'incoming';
  outgoing: string[];
  incoming: string[];
}

export interface Routing {
  /** The receiving participants, in the order the payload names them. */
  recipients: string[];
  /** Every NMI and date on which the sender acted as the outgoing or incoming party of a churn. */
  churnDays: ChurnDaySender[];
}

/** The market date before `date` (YYYY-MM-DD); market dates have no daylight saving (spec §3). */
export function previousMarketDate(date: string): string {
  let eve = eves.get(date);
  if (eve === undefined) {
    eve = new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    // Every submission asks for the eve of the days it covers, mostly the same few days: remembered (issue #13).
    if (eves.size >= 4096) eves.clear();
    eves.set(date, eve);
  }
  return eve;
}
const eves = new Map<string, string>();

const SENDER_ROLES = ['MC', 'MDP'] as const;

/**
 * Whether the sender holds the MC or MDP role of an NMI on `date`, or held it the day before when the role
 * changed on `date` (churn day, `either` rule). Standing data dates are inclusive, so on the churn day the
 * incoming party is the one of the day; the outgoing party's role ended the day before.
 */
function senderOnDate(nmi: string, date: string, senderId: string, roles: NmiRolesOnDate, standingData: StandingDataLookup, rule: ChurnDayRule):
  { responsible: boolean; churn?: ChurnDaySender } {
  const holds = SENDER_ROLES.filter((role) => roles[role].includes(senderId));
  if (rule === 'strict') return { responsible: holds.length > 0 };
  const eve = standingData.rolesOn(nmi, previousMarketDate(date));
  const changed = (role: 'MC' | 'MDP') => eve[role].length > 0 && roles[role].length > 0 && eve[role].join() !== roles[role].join();
  const churn = (role: 'MC' | 'MDP', party: 'outgoing' | 'incoming'): ChurnDaySender => ({
    nmi, date, role, party,
    outgoing: eve[role].filter((p) => !roles[role].includes(p)),
    incoming: roles[role].filter((p) => !eve[role].includes(p)),
  });
  const incoming = holds.find((role) => changed(role) && !eve[role].includes(senderId));
  if (incoming) return { responsible: true, churn: churn(incoming, 'incoming') };
  if (holds.length > 0) return { responsible: true };
  const outgoing = SENDER_ROLES.find((role) => changed(role) && eve[role].includes(senderId));
  return outgoing ? { responsible: true, churn: churn(outgoing, 'outgoing') } : { responsible: false };
}

/**
 * Who may send, and who must receive (spec §12 [D]): on every market date that the intervals touch, the
 * sender is the NMI's MC or its MDP (acting for the MC) — on a churn day the outgoing party too, unless
 * the churn-day rule is `strict` — and the receivers follow the routing rule (see ROUTING_RULES). Returns
 * the receiving participants and the churn days the sender acted on.
 */
export function checkRouting(payload: BpqdPayload, senderId: string, standingData: StandingDataLookup, rules: RoutingRules = DEFAULT_ROUTING_RULES, messageContextId?: string): Routing {
  return checkRoutingFacts(routingFacts(payload), senderId, standingData, rules, messageContextId);
}

/** What routing reads of a payload: small enough to hand back from a worker thread instead of the payload itself. */
export interface RoutingFacts {
  /** The header's receivingParticipantId, in order. */
  recipients: string[];
  /** Each NMI detail (transaction t, detail n) with the market dates its intervals start on, sorted. */
  nmis: Array<{ t: number; n: number; nmi: string; dates: string[] }>;
}

export function routingFacts(payload: BpqdPayload): RoutingFacts {
  const nmis: RoutingFacts['nmis'] = [];
  payload.data.transactions.forEach((tx, t) =>
    tx.nmiDetails.forEach((detail, n) => {
      const dates = new Set<string>();
      // checkContentRules has already required +10:00, so the written date is the market date.
      for (const meter of detail.meters) {
        for (const interval of meter.intervals) dates.add(interval.intervalStartDateTime.slice(0, 10));
      }
      nmis.push({ t, n, nmi: detail.nmi, dates: [...dates].sort() });
    }));
  return { recipients: payload.data.header.receivingParticipantId, nmis };
}

/** `checkRouting` over the facts `routingFacts` read from the payload. */
export function checkRoutingFacts(facts: RoutingFacts, senderId: string, standingData: StandingDataLookup, rules: RoutingRules = DEFAULT_ROUTING_RULES, messageContextId?: string): Routing {
  const recipients = facts.recipients;
  const unknown: ProblemItem[] = [];
  const sender: ProblemItem[] = [];
  const recipient: ProblemItem[] = [];
  const servedRecipients = new Set<string>();
  const churnDays: ChurnDaySender[] = [];

  for (const { t, n, nmi, dates } of facts.nmis) {
    const ptr = `${nmiPointer(t, n)}/nmi`;
    for (const date of dates) {
      const roles = standingData.rolesOn(nmi, date);
      if (roles.LNSP.length === 0) {
        unknown.push(bodyProblem(ptr, 'NMI_UNKNOWN', `NMI ${nmi} has no LNSP in standing data on ${date}`));
        continue;
      }
      const acting = senderOnDate(nmi, date, senderId, roles, standingData, rules.churnDay);
      if (acting.churn) churnDays.push(acting.churn);
      if (!acting.responsible) {
        sender.push(bodyProblem(ptr, 'SENDER_NOT_RESPONSIBLE',
          `${senderId} is neither the MC (${roles.MC.join(', ') || 'none'}) nor the MDP (${roles.MDP.join(', ') || 'none'}) of NMI ${nmi} on ${date}`));
      }
      if (rules.routing === 'off') continue;
      for (const lnsp of roles.LNSP) {
        if (!recipients.includes(lnsp)) {
          recipient.push(bodyProblem('/data/header/receivingParticipantId', 'RECIPIENT_MISSING',
            `NMI ${nmi} on ${date} belongs to LNSP ${lnsp}, which is not a receiving participant`));
        }
      }
      recipients.forEach((r, k) => {
        if (roles.LNSP.includes(r)) servedRecipients.add(r);
        else if (rules.routing === 'strict') {
          recipient.push(bodyProblem(`/data/header/receivingParticipantId/${k}`, 'RECIPIENT_NOT_LNSP',
            `${r} is not the LNSP of NMI ${nmi} on ${date} (its LNSP is ${roles.LNSP.join(', ')}; IDX_SIM_ROUTING_RULE=strict)`));
        }
      });
    }
  }

  if (rules.routing === 'fanout') {
    recipients.forEach((r, k) => {
      if (!servedRecipients.has(r)) {
        recipient.push(bodyProblem(`/data/header/receivingParticipantId/${k}`, 'RECIPIENT_NOT_LNSP',
          `${r} is not the LNSP of any NMI in the payload on its dates (IDX_SIM_ROUTING_RULE=fanout delivers to every addressed LNSP that owns at least one NMI)`));
      }
    });
  }
  if (rules.routing === 'off') {
    recipients.forEach((r, k) => {
      if (rules.isRegisteredLnsp(r)) servedRecipients.add(r);
      else recipient.push(bodyProblem(`/data/header/receivingParticipantId/${k}`, 'RECIPIENT_NOT_LNSP', `${r} is not a registered LNSP`));
    });
  }

  if (unknown.length) refuse('IDX_ERR_NMI_UNKNOWN', 'NMI has no standing data for the interval dates', unknown, messageContextId);
  if (sender.length) refuse('IDX_ERR_SENDER_NOT_RESPONSIBLE', 'Sender is not responsible for the NMI', sender, messageContextId);
  if (recipient.length) refuse('IDX_ERR_RECIPIENT_NOT_LNSP', 'Receiving participants do not match the NMI LNSPs', dedupe(recipient), messageContextId);
  return { recipients: recipients.filter((r) => servedRecipients.has(r)), churnDays };
}

/**
 * What the transaction log says about a churn-day message (spec §4.5 `detail`), e.g. "churn day: MDPONE sent
 * as the outgoing MDP of NMI 4102000099 on 2026-07-15 (incoming MDPTWO)"; undefined when there was none.
 */
export function describeChurnDays(senderId: string, churnDays: readonly ChurnDaySender[], max = 5): string | undefined {
  if (churnDays.length === 0) return undefined;
  const parts = churnDays.slice(0, max).map((c) => {
    const other = c.party === 'outgoing' ? c.incoming : c.outgoing;
    return `${c.party} ${c.role} of NMI ${c.nmi} on ${c.date} (${c.party === 'outgoing' ? 'incoming' : 'outgoing'} ${other.join(', ') || 'none'})`;
  });
  const more = churnDays.length > max ? `, and ${churnDays.length - max} more` : '';
  return `churn day: ${senderId} sent as the ${parts.join('; ')}${more}`;
}

function dedupe(items: ProblemItem[]): ProblemItem[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = JSON.stringify(i);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
