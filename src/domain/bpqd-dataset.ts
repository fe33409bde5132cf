/**
 * `idx-sim generate`: a data set of ready-to-send BPQD payloads for N NMIs × D market days, and named
 * invalid variants for negative tests, each with what the hub should answer. Pure and byte-for-byte
 * reproducible from the seed: no clock, no I/O (the CLI gzips, signs and writes).
 *
 * Grouping follows the hub's routing (spec §12 [D], src/domain/bpqd-rules.ts checkRouting): one message
 * per sender per LNSP per market day, split where it would outgrow the size cap of its priority. The
 * sender of an NMI on a day is its MDP that day (else its MC), from the standing data — so a churn moves
 * the NMI to its new party's messages on the churn date.
 */
import type { BpqdPayload, NmiDetail } from './bpqd-payload.js';
import type { ErrorCode } from './errors.js';
import { formatMarketDateTime } from './market-time.js';
import { PRIORITY_WORD, type PriorityLetter } from './message-context-id.js';
import { expandNmis, nmiChecksum } from './nmi.js';
import { meterIntervals, siteProfile, type OverrideLookup } from './pq-model.js';
import { SeededRandom } from './random.js';

export type StandingRole = 'LNSP' | 'MC' | 'MDP';

/** One entry of fixtures/nmi-standing-data.json. */
export interface StandingDataEntry {
  $comment?: string;
  nmis: string;
  roles: Array<{ role: StandingRole; participantId: string; from: string; to?: string }>;
}

export const INVALID_VARIANTS = ['bad-checksum', 'gaps', 'duplicate-intervals', 'out-of-range', 'wrong-lnsp', 'wrong-party-after-churn', 'oversize'] as const;
export type InvalidVariant = (typeof INVALID_VARIANTS)[number];

export interface Expectation {
  status: number;
  code?: ErrorCode;
  /** The `errors[].code` the refusal must list. */
  problem?: string;
  recipients?: string[];
}

/** One file of the data set, as the manifest describes it. */
export interface DatasetFile {
  /** Base name without extension: `<name>.json`, `<name>.json.gz`, `<name>.sig`. */
  name: string;
  sender: string;
  priority: PriorityLetter;
  messageContextId: string;
  marketDate: string;
  /** The header's messageDateTime (also a fixed signingTime for a reproducible signature). */
  messageDateTime: string;
  nmiCount: number;
  expect: Expectation;
  variant?: InvalidVariant;
  about: string;
  /** The uncompressed JSON, exactly the bytes to gzip and sign. */
  json: string;
}

export interface DatasetOptions {
  seed: string;
  nmiCount: number;
  days: number;
  /** First market day, `YYYY-MM-DD`. */
  from: string;
  intervalLength: 5 | 15 | 30;
  standingData: StandingDataEntry[];
  /** Only NMIs this participant sends for (as MDP or MC); otherwise each NMI's MDP (else MC). */
  sender?: string;
  priority: PriorityLetter;
  /** Split a message before its uncompressed JSON would exceed this many bytes. */
  maxPayloadBytes: number;
  /** The hub's refusal threshold (IDX_SIM_MAX_PAYLOAD_BYTES), which `oversize` must exceed. */
  hubMaxPayloadBytes: number;
  variants: readonly InvalidVariant[];
  overrides?: OverrideLookup;
  /** NMIs to use first (e.g. those of a values CSV), in this order. */
  preferredNmis?: string[];
}

export interface Dataset {
  files: DatasetFile[];
  /** Standing data covering every NMI used: the given entries plus the NMIs invented to reach nmiCount. */
  standingData: StandingDataEntry[];
  /** Invented NMIs (not in the given standing data). */
  addedNmis: number;
  /** Variants that could not be made from this standing data, and why. */
  skipped: Array<{ variant: InvalidVariant; reason: string }>;
}

interface RoleRow { nmi: string; role: StandingRole; participantId: string; from: string; to: string | null }

class Standing {
  readonly rows = new Map<string, RoleRow[]>();
  readonly order: string[] = [];
  constructor(entries: StandingDataEntry[]) {
    for (const e of entries) {
      for (const nmi of expandNmis(e.nmis)) {
        if (!this.rows.has(nmi)) {
          this.rows.set(nmi, []);
          this.order.push(nmi);
        }
        for (const r of e.roles) this.rows.get(nmi)!.push({ nmi, role: r.role, participantId: r.participantId, from: r.from, to: r.to ?? null });
      }
    }
  }
  on(nmi: string, role: StandingRole, date: string): string[] {
    return (this.rows.get(nmi) ?? []).filter((r) => r.role === role && r.from <= date && (r.to === null || date <= r.to)).map((r) => r.participantId);
  }
}

const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
/** A day's data is sent at 01:00 the next market day (spec §12 [D]: due by the end of the next day). */
const messageDateTimeOf = (date: string) => formatMarketDateTime(Date.parse(`${addDays(date, 1)}T01:00:00.000+10:00`));

/** NMIs invented to reach the count: per LNSP, the prefix of its first NMI and a 1xxxxx serial, roles copied from a template entry. */
function inventNmis(entries: StandingDataEntry[], standing: Standing, count: number, from: string): StandingDataEntry[] {
  const templates = new Map<string, StandingDataEntry>();
  for (const e of entries) {
    const lnsp = e.roles.find((r) => r.role === 'LNSP' && r.from <= from && !r.to);
    const openSenders = e.roles.filter((r) => r.role !== 'LNSP');
    if (lnsp && openSenders.length && openSenders.every((r) => !r.to) && !templates.has(lnsp.participantId)) templates.set(lnsp.participantId, e);
  }
  if (templates.size === 0) throw new Error('the standing data has no NMI with an open-ended LNSP and sender to copy; add NMIs or pass a values CSV');
  const lnsps = [...templates.keys()];
  const perLnsp = lnsps.map((_, i) => Math.floor(count / lnsps.length) + (i < count % lnsps.length ? 1 : 0));
  return lnsps.flatMap((lnsp, i) => {
    if (perLnsp[i] === 0) return [];
    const template = templates.get(lnsp)!;
    const prefix = expandNmis(template.nmis)[0]!.slice(0, 4);
    let first = Number(`1${'0'.repeat(5)}`);
    // Skip serials the standing data already uses.
    while (standing.rows.has(`${prefix}${first}`) || standing.rows.has(`${prefix}${first + perLnsp[i]! - 1}`)) first += 100_000;
    const last = first + perLnsp[i]! - 1;
    if (last > 999_999) throw new Error(`cannot invent ${perLnsp[i]} NMIs for ${lnsp}: prefix ${prefix} is full`);
    return [{
      $comment: `Invented by idx-sim generate: ${perLnsp[i]} NMIs of ${lnsp}, roles as ${template.nmis}.`,
      nmis: perLnsp[i] === 1 ? `${prefix}${first}` : `${prefix}${first}..${prefix}${last}`,
      roles: template.roles.map((r) => ({ role: r.role, participantId: r.participantId, from: r.from })),
    }];
  });
}

/** Writes a payload around already-serialised NMI details: the same bytes as JSON.stringify of the whole. */
function assemble(skeleton: BpqdPayload, details: string[]): string {
  // Cut around the marker rather than `replace` it: a replacement string (megabytes here) is scanned for `$` patterns.
  const json = JSON.stringify(skeleton);
  const at = json.indexOf('["__NMI_DETAILS__"]');
  return `${json.slice(0, at)}[${details.join(',')}]${json.slice(at + '["__NMI_DETAILS__"]'.length)}`;
}

export function generateDataset(o: DatasetOptions): Dataset {
  if (!Number.isInteger(o.nmiCount) || o.nmiCount < 1) throw new Error('nmiCount must be a positive integer');
  if (!Number.isInteger(o.days) || o.days < 1) throw new Error('days must be a positive integer');
  let standing = new Standing(o.standingData);
  const eligible = (nmi: string) => standing.on(nmi, 'LNSP', o.from).length > 0
    && (o.sender === undefined || standing.on(nmi, 'MDP', o.from).includes(o.sender) || standing.on(nmi, 'MC', o.from).includes(o.sender));
  const preferred = (o.preferredNmis ?? []).filter((n) => standing.rows.has(n));
  const chosen = [...new Set([...preferred, ...standing.order])].filter(eligible).slice(0, o.nmiCount);
  let standingData = o.standingData;
  let addedNmis = 0;
  if (chosen.length < o.nmiCount) {
    const senderEntries = o.sender === undefined ? o.standingData
      : o.standingData.filter((e) => e.roles.some((r) => r.role !== 'LNSP' && r.participantId === o.sender));
    const invented = inventNmis(senderEntries, standing, o.nmiCount - chosen.length, o.from);
    standingData = [...o.standingData, ...invented];
    standing = new Standing(standingData);
    for (const e of invented) chosen.push(...expandNmis(e.nmis));
    addedNmis = invented.reduce((n, e) => n + expandNmis(e.nmis).length, 0);
  }

  const writer = new MessageWriter({ seed: o.seed, intervalLength: o.intervalLength, overrides: o.overrides, hubMaxPayloadBytes: o.hubMaxPayloadBytes });
  const files: DatasetFile[] = [];
  const priorityWord = PRIORITY_WORD[o.priority];
  const firstGroup: { sender: string; lnsp: string; date: string; nmis: string[] } = { sender: '', lnsp: '', date: '', nmis: [] };
  for (let d = 0; d < o.days; d++) {
    const date = addDays(o.from, d);
    const groups = new Map<string, { sender: string; lnsp: string; nmis: string[] }>();
    for (const nmi of chosen) {
      const lnsp = standing.on(nmi, 'LNSP', date)[0];
      const sender = o.sender ?? standing.on(nmi, 'MDP', date)[0] ?? standing.on(nmi, 'MC', date)[0];
      if (!lnsp || !sender) continue;
      if (o.sender !== undefined && !standing.on(nmi, 'MDP', date).includes(sender) && !standing.on(nmi, 'MC', date).includes(sender)) continue;
      const key = `${sender}|${lnsp}`;
      if (!groups.has(key)) groups.set(key, { sender, lnsp, nmis: [] });
      groups.get(key)!.nmis.push(nmi);
    }
    for (const g of groups.values()) {
      if (!firstGroup.sender) Object.assign(firstGroup, { sender: g.sender, lnsp: g.lnsp, date, nmis: g.nmis.slice(0, 3) });
      writer.pack(g.sender, g.lnsp, date, g.nmis, o.priority, o.maxPayloadBytes).forEach((m, i) => files.push({
        ...m,
        name: `valid-${date}-${g.sender.toLowerCase()}-${g.lnsp.toLowerCase()}-${String(i + 1).padStart(3, '0')}`,
        sender: g.sender, priority: o.priority, marketDate: date,
        expect: { status: 200, recipients: [g.lnsp] },
        about: `${m.nmiCount} NMIs of ${g.lnsp} on ${date}, ${o.intervalLength}-minute intervals, ${priorityWord} priority`,
      }));
    }
  }

  const skipped: Dataset['skipped'] = [];
  const lnsps = [...new Set(standingData.flatMap((e) => e.roles.filter((r) => r.role === 'LNSP').map((r) => r.participantId)))];
  for (const variant of o.variants) {
    if (variant === 'wrong-party-after-churn') {
      const churn = findChurn(standing);
      if (!churn) {
        skipped.push({ variant, reason: 'the standing data has no NMI whose MC or MDP changes' });
        continue;
      }
      const recipient = standing.on(churn.nmi, 'LNSP', churn.date)[0]!;
      const m = writer.message(churn.formerParty, [recipient], churn.date, [writer.detail(churn.nmi, churn.date, true)], o.priority);
      files.push({ ...m, name: `invalid-${variant}`, sender: churn.formerParty, priority: o.priority, marketDate: churn.date, variant,
        expect: { status: 422, code: 'IDX_ERR_SENDER_NOT_RESPONSIBLE' },
        about: `${churn.formerParty} was the ${churn.role} of ${churn.nmi} until ${addDays(churn.date, -2)}; it sends ${churn.date}, the day after the churn date` });
      continue;
    }
    if (!firstGroup.sender) {
      skipped.push({ variant, reason: 'no valid message to derive it from' });
      continue;
    }
    const { sender, lnsp, date, nmis } = firstGroup;
    const v = writer.variant(variant, { sender, lnsp, date, nmis, priority: o.priority, otherLnsp: lnsps.find((l) => l !== lnsp) ?? 'NOTLNSP' });
    files.push({ ...v, name: `invalid-${variant}`, sender, marketDate: date, variant });
  }
  return { files, standingData, addedNmis, skipped };
}

/** The first NMI whose MC or MDP changes, with the party that held the role before and the first day it may no longer send. */
function findChurn(standing: Standing): { nmi: string; role: StandingRole; formerParty: string; date: string } | undefined {
  for (const nmi of standing.order) {
    for (const row of standing.rows.get(nmi)!) {
      if (row.role === 'LNSP' || row.to === null) continue;
      // The day after the churn date: on the churn date itself the outgoing party may still send (IDX_SIM_CHURN_DAY=either).
      const date = addDays(row.to, 2);
      const stillSends = standing.on(nmi, 'MC', date).includes(row.participantId) || standing.on(nmi, 'MDP', date).includes(row.participantId);
      if (!stillSends && standing.on(nmi, 'LNSP', date).length) return { nmi, role: row.role, formerParty: row.participantId, date };
    }
  }
  return undefined;
}

export interface ProbeOptions {
  seed: string;
  nmi: string;
  sender: string;
  lnsp: string;
  /** The last market day of data. */
  date: string;
  priority: PriorityLetter;
  /** Largest uncompressed size allowed; `largest` gets as close to it as whole intervals allow. */
  maxBytes: number;
}

/** A small message: one NMI, one hour of 5-minute intervals (the connectivity test's "small payload"). */
export function smallPayload(o: ProbeOptions): string {
  const ids = new SeededRandom(`${o.seed}:probe:small`);
  const detail: NmiDetail = {
    nmi: o.nmi, nmiChecksum: String(nmiChecksum(o.nmi)),
    meters: [{ meterSerialNumber: `M${o.nmi.slice(-6)}1`, intervalLength: 5, phases: ['A'],
      intervals: meterIntervals(o.seed, o.nmi, o.date, 5, { ...siteProfile(o.seed, o.nmi), phases: ['A'], phaseShare: [1] }, undefined, 12) }],
  };
  return JSON.stringify(probeSkeleton(o, ids, [detail]));
}

/**
 * A message as large as the size cap allows (the connectivity test's "maximum-size payload"): one
 * three-phase NMI at 1-minute intervals over as many consecutive days, ending on `date`, as fit.
 */
export function largestPayload(o: ProbeOptions): string {
  const ids = new SeededRandom(`${o.seed}:probe:large`);
  const profile = { ...siteProfile(o.seed, o.nmi), phases: ['A', 'B', 'C'] as Array<'A' | 'B' | 'C'>, phaseShare: [0.34, 0.33, 0.33] };
  const envelope = JSON.stringify(probeSkeleton(o, ids, [{ nmi: o.nmi, nmiChecksum: String(nmiChecksum(o.nmi)),
    meters: [{ meterSerialNumber: `M${o.nmi.slice(-6)}3`, intervalLength: 1, phases: profile.phases, intervals: [] }] }]));
  const budget = o.maxBytes - Buffer.byteLength(envelope) - 16;
  const chunks: string[] = [];
  let size = 0;
  for (let d = 0; size < budget && d < 366; d++) {
    const day = meterIntervals(o.seed, o.nmi, addDays(o.date, -d), 1, profile).map((i) => JSON.stringify(i));
    for (let k = day.length - 1; k >= 0; k--) {
      if (size + day[k]!.length + 1 > budget) {
        size = budget;
        break;
      }
      chunks.push(day[k]!);
      size += day[k]!.length + 1;
    }
  }
  chunks.reverse();
  return envelope.replace('"intervals":[]', `"intervals":[${chunks.join(',')}]`);
}

function probeSkeleton(o: ProbeOptions, ids: SeededRandom, details: NmiDetail[]): BpqdPayload {
  const messageDateTime = messageDateTimeOf(o.date);
  return {
    data: {
      header: {
        initiatingParticipantId: o.sender, receivingParticipantId: [o.lnsp], messageId: ids.uuid(), messageDateTime,
        businessFunctionId: 'pqd', businessFunctionResourceId: 'bpqd', priority: PRIORITY_WORD[o.priority], market: 'NEM',
      },
      transactions: [{ transactionId: `TXN-PROBE-${ids.hex(4)}`, transactionType: 'BasicPowerQualityData', transactionDateTime: messageDateTime, nmiDetails: details }],
    },
  };
}

/** A message as written: the bytes and the identifiers a sender needs to send it. */
export interface WrittenMessage {
  json: string;
  nmiCount: number;
  messageContextId: string;
  messageDateTime: string;
}

/** What a message-level invalid variant is and what the hub answers to it. */
export interface VariantMessage extends WrittenMessage {
  priority: PriorityLetter;
  recipients: string[];
  expect: Expectation;
  about: string;
}

/** Variants that can be made from any sender's message (wrong-party-after-churn needs standing data). */
export const MESSAGE_VARIANTS = INVALID_VARIANTS.filter((v) => v !== 'wrong-party-after-churn');

/**
 * Writes messages: NMI details from the PQ model, headers with identifiers from the seed, packed per
 * sender, LNSP and day below a size cap. Shared by `idx-sim generate` and the virtual senders.
 */
export class MessageWriter {
  private readonly ids: SeededRandom;
  private readonly cache = new Map<string, string>();

  constructor(private readonly o: { seed: string; intervalLength: 1 | 5 | 15 | 30; overrides?: OverrideLookup; hubMaxPayloadBytes: number; idPrefix?: string }) {
    this.ids = new SeededRandom(`${o.seed}:ids`);
  }

  /** One NMI's day as JSON; `singlePhase` for the small messages of variants. */
  detail(nmi: string, date: string, singlePhase = false): string {
    const key = `${nmi}|${date}|${singlePhase}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const site = siteProfile(this.o.seed, nmi);
    const profile = singlePhase ? { ...site, phases: ['A'] as Array<'A' | 'B' | 'C'>, phaseShare: [1] } : site;
    const json = JSON.stringify({
      nmi,
      nmiChecksum: String(nmiChecksum(nmi)),
      meters: [{
        meterSerialNumber: `M${nmi.slice(-6)}${profile.phases.length === 3 ? '3' : '1'}`,
        intervalLength: this.o.intervalLength,
        phases: profile.phases,
        intervals: meterIntervals(this.o.seed, nmi, date, this.o.intervalLength, profile, this.o.overrides),
      }],
    } satisfies NmiDetail);
    // Only the variants re-read details; keep the cache small for big sets.
    if (this.cache.size < 64) this.cache.set(key, json);
    return json;
  }

  contextId(sender: string, priority: PriorityLetter): string {
    return `pqd~bpqd~${priority}~${sender.toLowerCase()}~${this.o.idPrefix ?? 'g'}${this.ids.hex(12)}`;
  }

  message(sender: string, recipients: string[], date: string, details: string[], priority: PriorityLetter): WrittenMessage {
    const messageDateTime = messageDateTimeOf(date);
    const skeleton: BpqdPayload = {
      data: {
        header: {
          initiatingParticipantId: sender, receivingParticipantId: recipients, messageId: this.ids.uuid(), messageDateTime,
          businessFunctionId: 'pqd', businessFunctionResourceId: 'bpqd', priority: PRIORITY_WORD[priority], market: 'NEM',
        },
        transactions: [{
          transactionId: `TXN-${date.replace(/-/g, '')}-${this.ids.hex(4)}`, transactionType: 'BasicPowerQualityData', transactionDateTime: messageDateTime,
          nmiDetails: ['__NMI_DETAILS__' as unknown as NmiDetail],
        }],
      },
    };
    const json = assemble(skeleton, details);
    return { json, nmiCount: details.length, messageContextId: this.contextId(sender, priority), messageDateTime };
  }

  /** The messages of one sender to one LNSP for one day, split below `maxBytes`. */
  pack(sender: string, lnsp: string, date: string, nmis: string[], priority: PriorityLetter, maxBytes: number): WrittenMessage[] {
    const out: WrittenMessage[] = [];
    let details: string[] = [];
    let size = 0;
    // Room for the header and transaction around the details.
    const envelope = 1024;
    for (const nmi of nmis) {
      const json = this.detail(nmi, date);
      if (details.length && size + json.length + 1 + envelope > maxBytes) {
        out.push(this.message(sender, [lnsp], date, details, priority));
        details = [];
        size = 0;
      }
      details.push(json);
      size += json.length + 1;
    }
    if (details.length) out.push(this.message(sender, [lnsp], date, details, priority));
    return out;
  }

  /** A message of `sender` for `nmis` (a few) broken the way `variant` names. */
  variant(variant: Exclude<InvalidVariant, 'wrong-party-after-churn'>, g: { sender: string; lnsp: string; date: string; nmis: string[]; priority: PriorityLetter; otherLnsp: string }): VariantMessage {
    const base = () => g.nmis.map((nmi) => this.detail(nmi, g.date));
    const mutate = (json: string, change: (d: NmiDetail) => void) => {
      const d = JSON.parse(json) as NmiDetail;
      change(d);
      return JSON.stringify(d);
    };
    const make = (details: string[], expect: Expectation, about: string, recipients = [g.lnsp], priority = g.priority): VariantMessage =>
      ({ ...this.message(g.sender, recipients, g.date, details, priority), priority, recipients, expect, about });
    const [first, ...rest] = base();
    switch (variant) {
      case 'bad-checksum': {
        const nmi = g.nmis[0]!;
        const wrong = String((nmiChecksum(nmi) + 1) % 10);
        return make([mutate(first!, (d) => { d.nmiChecksum = wrong; }), ...rest],
          { status: 400, code: 'IDX_ERR_NMI_CHECKSUM', problem: 'NMI_CHECKSUM' }, `NMI ${nmi} with check digit ${wrong} (right: ${nmiChecksum(nmi)})`);
      }
      case 'gaps': {
        let removed = '';
        return make([mutate(first!, (d) => {
          const intervals = d.meters[0]!.intervals;
          const at = Math.floor(intervals.length / 2);
          const count = Math.max(1, Math.min(3, intervals.length - at - 1));
          removed = `${intervals[at]!.intervalStartDateTime}, ${count} interval(s)`;
          intervals.splice(at, count);
        }), ...rest], { status: 400, code: 'IDX_ERR_PAYLOAD_RULE', problem: 'INTERVAL_GAP' }, `intervals missing in the middle of the day (from ${removed})`);
      }
      case 'duplicate-intervals':
        return make([mutate(first!, (d) => {
          const intervals = d.meters[0]!.intervals;
          intervals.splice(2, 0, structuredClone(intervals[1]!));
        }), ...rest], { status: 400, code: 'IDX_ERR_PAYLOAD_RULE', problem: 'INTERVAL_DUPLICATE' }, 'the second interval appears twice');
      case 'out-of-range':
        return make([mutate(first!, (d) => {
          Object.assign(d.meters[0]!.intervals[0]!.readings[0]!.voltage, { avg: 2300, min: 2290, max: 2310 });
        }), ...rest], { status: 400, code: 'IDX_ERR_SCHEMA_INVALID', problem: 'MAXIMUM' }, 'a voltage of 2300 V (a misplaced decimal point), beyond the schema maximum of 1000 V');
      case 'wrong-lnsp':
        return make(base(), { status: 422, code: 'IDX_ERR_RECIPIENT_NOT_LNSP' }, `NMIs of ${g.lnsp} addressed to ${g.otherLnsp}`, [g.otherLnsp]);
      case 'oversize': {
        // Whole days of the first NMIs, repeated past the hub's limit: refused before it is even parsed.
        const unit = base();
        const details: string[] = [];
        for (let i = 0, size = 0; size <= this.o.hubMaxPayloadBytes; i++) {
          details.push(unit[i % unit.length]!);
          size += unit[i % unit.length]!.length + 1;
        }
        return make(details, { status: 413, code: 'IDX_ERR_PAYLOAD_TOO_LARGE' }, `more than ${this.o.hubMaxPayloadBytes} bytes uncompressed (the hub's limit)`, [g.lnsp], 'l');
      }
    }
  }
}
