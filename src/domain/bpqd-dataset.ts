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
  const marker = '"__NMI_DETAILS__"';
  return JSON.stringify(skeleton).replace(`[${marker}]`, `[${details.join(',')}]`);
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

  const ids = new SeededRandom(`${o.seed}:ids`);
  const files: DatasetFile[] = [];
  const priorityWord = PRIORITY_WORD[o.priority];
  const detailJson = new Map<string, string>();
  const detailFor = (nmi: string, date: string): string => {
    const key = `${nmi}|${date}`;
    let json = detailJson.get(key);
    if (json === undefined) {
      const profile = siteProfile(o.seed, nmi);
      const detail: NmiDetail = {
        nmi,
        nmiChecksum: String(nmiChecksum(nmi)),
        meters: [{
          meterSerialNumber: `M${nmi.slice(-6)}${profile.phases.length === 3 ? '3' : '1'}`,
          intervalLength: o.intervalLength,
          phases: profile.phases,
          intervals: meterIntervals(o.seed, nmi, date, o.intervalLength, profile, o.overrides),
        }],
      };
      json = JSON.stringify(detail);
      // Only the variants re-read details; keep the cache small for big sets.
      if (detailJson.size < 64) detailJson.set(key, json);
    }
    return json;
  };
  const contextId = (sender: string, priority: PriorityLetter) => `pqd~bpqd~${priority}~${sender.toLowerCase()}~g${ids.hex(12)}`;
  const skeleton = (sender: string, recipients: string[], date: string, priority: PriorityLetter): BpqdPayload => {
    const messageDateTime = messageDateTimeOf(date);
    return {
      data: {
        header: {
          initiatingParticipantId: sender, receivingParticipantId: recipients, messageId: ids.uuid(), messageDateTime,
          businessFunctionId: 'pqd', businessFunctionResourceId: 'bpqd', priority: PRIORITY_WORD[priority], market: 'NEM',
        },
        transactions: [{
          transactionId: `TXN-${date.replace(/-/g, '')}-${ids.hex(4)}`, transactionType: 'BasicPowerQualityData', transactionDateTime: messageDateTime,
          nmiDetails: ['__NMI_DETAILS__' as unknown as NmiDetail],
        }],
      },
    };
  };

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
      let part = 0;
      let details: string[] = [];
      let size = 0;
      const flush = () => {
        if (!details.length) return;
        part += 1;
        const json = assemble(skeleton(g.sender, [g.lnsp], date, o.priority), details);
        files.push({
          name: `valid-${date}-${g.sender.toLowerCase()}-${g.lnsp.toLowerCase()}-${String(part).padStart(3, '0')}`,
          sender: g.sender, priority: o.priority, messageContextId: contextId(g.sender, o.priority), marketDate: date, messageDateTime: messageDateTimeOf(date), nmiCount: details.length,
          expect: { status: 200, recipients: [g.lnsp] },
          about: `${details.length} NMIs of ${g.lnsp} on ${date}, ${o.intervalLength}-minute intervals, ${priorityWord} priority`,
          json,
        });
        details = [];
        size = 0;
      };
      // Room for the header and transaction around the details.
      const envelope = 1024;
      for (const nmi of g.nmis) {
        const json = detailFor(nmi, date);
        if (details.length && size + json.length + 1 + envelope > o.maxPayloadBytes) flush();
        details.push(json);
        size += json.length + 1;
      }
      flush();
    }
  }

  const skipped: Dataset['skipped'] = [];
  const variantFile = (variant: InvalidVariant, sender: string, recipients: string[], date: string, details: string[], expect: Expectation, about: string, priority = o.priority) => {
    files.push({
      name: `invalid-${variant}`, sender, priority, messageContextId: contextId(sender, priority), marketDate: date, messageDateTime: messageDateTimeOf(date), nmiCount: details.length,
      expect, variant, about, json: assemble(skeleton(sender, recipients, date, priority), details),
    });
  };
  const mutate = (json: string, change: (d: NmiDetail) => void) => {
    const d = JSON.parse(json) as NmiDetail;
    change(d);
    return JSON.stringify(d);
  };
  const base = () => firstGroup.nmis.map((nmi) => detailFor(nmi, firstGroup.date));
  const lnsps = [...new Set(standingData.flatMap((e) => e.roles.filter((r) => r.role === 'LNSP').map((r) => r.participantId)))];
  for (const variant of o.variants) {
    if (!firstGroup.sender) {
      skipped.push({ variant, reason: 'no valid message to derive it from' });
      continue;
    }
    const { sender, lnsp, date } = firstGroup;
    switch (variant) {
      case 'bad-checksum': {
        const [first, ...rest] = base();
        const nmi = firstGroup.nmis[0]!;
        const wrong = String((nmiChecksum(nmi) + 1) % 10);
        variantFile(variant, sender, [lnsp], date, [mutate(first!, (d) => { d.nmiChecksum = wrong; }), ...rest],
          { status: 400, code: 'IDX_ERR_NMI_CHECKSUM', problem: 'NMI_CHECKSUM' }, `NMI ${nmi} with check digit ${wrong} (right: ${nmiChecksum(nmi)})`);
        break;
      }
      case 'gaps': {
        const [first, ...rest] = base();
        let removed = '';
        variantFile(variant, sender, [lnsp], date, [mutate(first!, (d) => {
          const intervals = d.meters[0]!.intervals;
          const at = Math.floor(intervals.length / 2);
          removed = `${intervals[at]!.intervalStartDateTime}, ${Math.min(3, intervals.length - at - 1)} intervals`;
          intervals.splice(at, Math.min(3, intervals.length - at - 1));
        }), ...rest], { status: 400, code: 'IDX_ERR_PAYLOAD_RULE', problem: 'INTERVAL_GAP' }, `intervals missing in the middle of the day (from ${removed})`);
        break;
      }
      case 'duplicate-intervals': {
        const [first, ...rest] = base();
        variantFile(variant, sender, [lnsp], date, [mutate(first!, (d) => {
          const intervals = d.meters[0]!.intervals;
          intervals.splice(2, 0, structuredClone(intervals[1]!));
        }), ...rest], { status: 400, code: 'IDX_ERR_PAYLOAD_RULE', problem: 'INTERVAL_DUPLICATE' }, 'the second interval appears twice');
        break;
      }
      case 'out-of-range': {
        const [first, ...rest] = base();
        variantFile(variant, sender, [lnsp], date, [mutate(first!, (d) => {
          const v = d.meters[0]!.intervals[0]!.readings[0]!.voltage;
          Object.assign(v, { avg: 2300, min: 2290, max: 2310 });
        }), ...rest], { status: 400, code: 'IDX_ERR_SCHEMA_INVALID', problem: 'MAXIMUM' }, 'a voltage of 2300 V (a misplaced decimal point), beyond the schema maximum of 1000 V');
        break;
      }
      case 'wrong-lnsp': {
        const other = lnsps.find((l) => l !== lnsp) ?? 'NOTLNSP';
        variantFile(variant, sender, [other], date, base(), { status: 422, code: 'IDX_ERR_RECIPIENT_NOT_LNSP' },
          `NMIs of ${lnsp} addressed to ${other}`);
        break;
      }
      case 'wrong-party-after-churn': {
        const churn = findChurn(standing);
        if (!churn) {
          skipped.push({ variant, reason: 'the standing data has no NMI whose MC or MDP changes' });
          break;
        }
        const recipient = standing.on(churn.nmi, 'LNSP', churn.date)[0]!;
        const detail = JSON.stringify({
          nmi: churn.nmi, nmiChecksum: String(nmiChecksum(churn.nmi)),
          meters: [{ meterSerialNumber: `M${churn.nmi.slice(-6)}1`, intervalLength: o.intervalLength, phases: ['A'],
            intervals: meterIntervals(o.seed, churn.nmi, churn.date, o.intervalLength, { ...siteProfile(o.seed, churn.nmi), phases: ['A'], phaseShare: [1] }, o.overrides) }],
        } satisfies NmiDetail);
        variantFile(variant, churn.formerParty, [recipient], churn.date, [detail], { status: 422, code: 'IDX_ERR_SENDER_NOT_RESPONSIBLE' },
          `${churn.formerParty} was the ${churn.role} of ${churn.nmi} until ${addDays(churn.date, -1)}; it sends the churn date ${churn.date}`);
        break;
      }
      case 'oversize': {
        // Whole days of the first NMIs, repeated past the hub's limit: refused before it is even parsed.
        const unit = base();
        const details: string[] = [];
        let size = 0;
        for (let i = 0; size <= o.hubMaxPayloadBytes; i++) {
          const next = unit[i % unit.length]!;
          details.push(next);
          size += next.length + 1;
        }
        variantFile(variant, sender, [lnsp], date, details, { status: 413, code: 'IDX_ERR_PAYLOAD_TOO_LARGE' },
          `more than ${o.hubMaxPayloadBytes} bytes uncompressed (the hub's limit)`, 'l');
        break;
      }
    }
  }
  return { files, standingData, addedNmis, skipped };
}

/** The first NMI whose MC or MDP changes, with the party that held the role before and the date it stopped. */
function findChurn(standing: Standing): { nmi: string; role: StandingRole; formerParty: string; date: string } | undefined {
  for (const nmi of standing.order) {
    for (const row of standing.rows.get(nmi)!) {
      if (row.role === 'LNSP' || row.to === null) continue;
      const date = addDays(row.to, 1);
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
