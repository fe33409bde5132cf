/**
 * `idx-sim generate`: realistic BPQD for N NMIs × D market days, ready to send (JSON, gzip, x-signature,
 * manifest of expected answers), or straight to a hub. Byte-for-byte reproducible from --seed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { constants, gzipSync } from 'node:zlib';
import { loadConfig } from '../config.js';
import { generateDataset, INVALID_VARIANTS, type DatasetFile, type InvalidVariant, type StandingDataEntry } from '../domain/bpqd-dataset.js';
import type { PriorityLetter } from '../domain/message-context-id.js';
import type { IntervalOverride, OverrideLookup, Phase } from '../domain/pq-model.js';
import { priorityPayloadCap } from '../domain/quotas.js';
import { pkiPaths } from '../pki/dev-ca.js';
import { MessageSigner } from '../security/message-signature.js';
import { UsageError } from './connection.js';

export const GENERATE_USAGE = `usage: idx-sim generate [--nmis N] [--days D] [--seed S] [--out DIR] [options]

Writes realistic BPQD messages for N NMIs × D market days: per-phase voltage around 230 V with
load-driven sag and solar rise, household and small-business load shapes with midday export, phase
angles from the power factor, single- and three-phase meters. One message per sender per LNSP per
market day (split below the priority's size cap), as the hub's routing requires. Same seed, same bytes.

  --nmis N            NMIs (default 10): the standing data's first, then invented ones (written to
                      DIR/nmi-standing-data.json — load it as the hub's fixture to have them accepted)
  --days D            market days (default 1)   --from YYYY-MM-DD  first day (default 2026-07-01)
  --interval M        5|15|30 minutes (default 5)
  --seed S            default 1
  --out DIR           default generated/
  --sender ID         only NMIs this participant sends for (as MDP or MC); default each NMI's MDP
  --priority h|m|l    default l
  --invalid LIST      named invalid variants: all (default), none, or a comma list of
                      ${INVALID_VARIANTS.join(', ')}
  --values FILE.csv   take values from a CSV: nmi,intervalStartDateTime[,phase][,kw][,voltage][,current][,phaseAngle]
                      (kw = the site's net active power, negative when exporting); its NMIs come first
  --standing-data F   default <fixtures-dir>/nmi-standing-data.json
  --fixtures-dir D    --certs-dir D (signing keys; default certs)   --no-sign  (write no .sig)
  --send              then submit everything (idx-sim submit DIR; pass its connection options after --)
  --json              print the summary as JSON

Writes, per message: <name>.json (the bytes to sign), <name>.json.gz (the body), <name>.sig (the
x-signature value, over the JSON or the gzip per IDX_SIM_SIGNATURE_OVER), and manifest.json: sender,
priority, messageContextId and what the hub should answer (status, code) for each.
`;

export interface GenerateResult {
  dir: string;
  files: number;
  valid: number;
  invalid: number;
  addedNmis: number;
  skipped: Array<{ variant: string; reason: string }>;
  bytes: number;
}

/** Reads the values CSV into a lookup; the header names the columns. */
export function readValuesCsv(text: string): { lookup: OverrideLookup; nmis: string[] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (!lines.length) throw new UsageError('the values CSV is empty');
  const columns = lines[0]!.split(',').map((c) => c.trim());
  for (const required of ['nmi', 'intervalStartDateTime']) if (!columns.includes(required)) throw new UsageError(`the values CSV needs a "${required}" column; it has ${columns.join(', ')}`);
  const known = ['nmi', 'intervalStartDateTime', 'phase', 'kw', 'voltage', 'current', 'phaseAngle'];
  const unknown = columns.filter((c) => !known.includes(c));
  if (unknown.length) throw new UsageError(`the values CSV has unknown columns ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const table = new Map<string, IntervalOverride>();
  const nmis: string[] = [];
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',').map((c) => c.trim());
    const row = Object.fromEntries(columns.map((c, k) => [c, cells[k] ?? '']));
    const where = `values CSV line ${i + 2}`;
    if (!/^[A-Z0-9]{10}$/.test(row.nmi!)) throw new UsageError(`${where}: nmi "${row.nmi}" is not 10 characters A-Z 0-9 (no check digit)`);
    const start = Date.parse(row.intervalStartDateTime!);
    if (Number.isNaN(start)) throw new UsageError(`${where}: intervalStartDateTime "${row.intervalStartDateTime}" is not a date-time`);
    const values: IntervalOverride = {};
    for (const field of ['kw', 'voltage', 'current', 'phaseAngle'] as const) {
      const cell = row[field];
      if (cell === undefined || cell === '') continue;
      const n = Number(cell);
      if (!Number.isFinite(n)) throw new UsageError(`${where}: ${field} "${cell}" is not a number`);
      values[field] = n;
    }
    if (row.phase && !['A', 'B', 'C'].includes(row.phase)) throw new UsageError(`${where}: phase "${row.phase}" is not A, B or C`);
    table.set(`${row.nmi}|${start}${row.phase ? `|${row.phase}` : ''}`, values);
    if (!nmis.includes(row.nmi!)) nmis.push(row.nmi!);
  });
  const lookup: OverrideLookup = (nmi, intervalStart, phase?: Phase) => table.get(`${nmi}|${Date.parse(intervalStart)}${phase ? `|${phase}` : ''}`);
  return { lookup, nmis };
}

function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer, got "${raw}"`);
  return n;
}

export function parseVariants(raw: string | undefined): InvalidVariant[] {
  if (raw === undefined || raw === 'all') return [...INVALID_VARIANTS];
  if (raw === 'none' || raw === '') return [];
  const names = raw.split(',').map((s) => s.trim());
  const bad = names.filter((n) => !(INVALID_VARIANTS as readonly string[]).includes(n));
  if (bad.length) throw new UsageError(`--invalid: unknown variant ${bad.join(', ')}; known: all, none, ${INVALID_VARIANTS.join(', ')}`);
  return names as InvalidVariant[];
}

export interface GenerateArgs {
  nmis: number; days: number; from: string; interval: 5 | 15 | 30; seed: string; out: string; sender?: string; priority: PriorityLetter;
  variants: InvalidVariant[]; valuesCsv?: string; standingDataPath: string; certsDir: string; sign: boolean;
}

/** Generates and writes a data set; returns what it wrote. */
export function writeDataset(a: GenerateArgs): GenerateResult {
  const config = loadConfig({ certsDir: a.certsDir });
  let standing: { nmis: StandingDataEntry[] };
  try {
    standing = JSON.parse(readFileSync(a.standingDataPath, 'utf8')) as { nmis: StandingDataEntry[] };
  } catch (err) {
    throw new UsageError(`cannot read standing data ${a.standingDataPath}: ${(err as Error).message}`);
  }
  const values = a.valuesCsv === undefined ? undefined : readValuesCsv(readFileSync(a.valuesCsv, 'utf8'));
  const cap = Math.min(priorityPayloadCap(config, a.priority), config.maxPayloadBytes);
  const dataset = generateDataset({
    seed: a.seed, nmiCount: a.nmis, days: a.days, from: a.from, intervalLength: a.interval, standingData: standing.nmis,
    sender: a.sender, priority: a.priority, maxPayloadBytes: cap, hubMaxPayloadBytes: config.maxPayloadBytes, variants: a.variants,
    ...(values ? { overrides: values.lookup, preferredNmis: values.nmis } : {}),
  });
  mkdirSync(a.out, { recursive: true });
  const paths = pkiPaths(config.certsDir);
  const signers = new Map<string, MessageSigner | undefined>();
  const signerFor = (participantId: string) => {
    if (!signers.has(participantId)) {
      const cert = paths.participantCert(participantId, 'primary');
      const key = paths.participantKey(participantId, 'primary');
      signers.set(participantId, existsSync(cert) && existsSync(key)
        ? new MessageSigner({ certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') }) : undefined);
    }
    return signers.get(participantId);
  };
  let bytes = 0;
  const entries = dataset.files.map((f: DatasetFile) => {
    const json = Buffer.from(f.json, 'utf8');
    // The fastest level: ~4x faster than the default 6 (most of the generator's time went there), files ~40%
    // larger; they are for rehearsing against a local hub. Fixed, so the output stays reproducible byte for byte.
    const gzip = gzipSync(json, { level: constants.Z_BEST_SPEED });
    writeFileSync(join(a.out, `${f.name}.json`), json);
    writeFileSync(join(a.out, `${f.name}.json.gz`), gzip);
    bytes += json.length;
    let signature: string | undefined;
    const signer = a.sign ? signerFor(f.sender) : undefined;
    if (signer) {
      // A fixed signingTime (the message's own date-time) keeps the output reproducible.
      signature = signer.sign(config.signatureOver === 'gzip' ? gzip : json, { signingTime: new Date(Date.parse(f.messageDateTime)) });
      writeFileSync(join(a.out, `${f.name}.sig`), `${signature}\n`);
    }
    return {
      file: `${f.name}.json`, gzip: `${f.name}.json.gz`, ...(signature ? { signature: `${f.name}.sig` } : {}),
      sender: f.sender, priority: f.priority, messageContextId: f.messageContextId, marketDate: f.marketDate, nmis: f.nmiCount,
      ...(f.variant ? { variant: f.variant } : {}), expect: f.expect, about: f.about,
    };
  });
  const unsigned = [...signers].filter(([, s]) => !s).map(([p]) => p);
  writeFileSync(join(a.out, 'manifest.json'), `${JSON.stringify({
    $comment: 'Written by idx-sim generate. Each entry: the files of one message, who sends it, and what the hub should answer. `idx-sim submit <this folder>` sends them and checks.',
    generator: { seed: a.seed, nmis: a.nmis, days: a.days, from: a.from, intervalLength: a.interval, priority: a.priority, sender: a.sender ?? null, signatureOver: config.signatureOver },
    ...(dataset.skipped.length ? { skipped: dataset.skipped } : {}),
    payloads: entries,
  }, null, 2)}\n`);
  writeFileSync(join(a.out, 'nmi-standing-data.json'), `${JSON.stringify({
    $comment: `Standing data for every NMI in this folder${dataset.addedNmis ? ` (${dataset.addedNmis} invented by idx-sim generate)` : ''}: use it as the hub's fixtures/nmi-standing-data.json.`,
    nmis: dataset.standingData,
  }, null, 2)}\n`);
  if (unsigned.length && a.sign) process.stderr.write(`idx-sim generate: no certificate for ${unsigned.join(', ')} under ${config.certsDir}; their messages have no .sig (idx-sim submit signs as it sends)\n`);
  const invalid = dataset.files.filter((f) => f.variant).length;
  return { dir: a.out, files: dataset.files.length, valid: dataset.files.length - invalid, invalid, addedNmis: dataset.addedNmis, skipped: dataset.skipped, bytes };
}

export interface GenerateCommandResult { code: number; result?: GenerateResult; send: boolean; rest: string[]; json: boolean }

export function generateCommand(args: string[], out: (text: string) => void): GenerateCommandResult {
  const dash = args.indexOf('--');
  const rest = dash >= 0 ? args.slice(dash + 1) : [];
  const { values } = parseArgs({
    args: dash >= 0 ? args.slice(0, dash) : args,
    options: {
      nmis: { type: 'string' }, days: { type: 'string' }, from: { type: 'string' }, interval: { type: 'string' }, seed: { type: 'string' },
      out: { type: 'string' }, sender: { type: 'string' }, priority: { type: 'string' }, invalid: { type: 'string' }, values: { type: 'string' },
      'standing-data': { type: 'string' }, 'fixtures-dir': { type: 'string' }, 'certs-dir': { type: 'string' }, 'no-sign': { type: 'boolean', default: false },
      send: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    out(GENERATE_USAGE);
    return { code: 0, send: false, rest, json: false };
  }
  const from = values.from ?? '2026-07-01';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || Number.isNaN(Date.parse(from))) throw new UsageError(`--from must be a date YYYY-MM-DD, got "${from}"`);
  const interval = Number(values.interval ?? 5);
  if (![5, 15, 30].includes(interval)) throw new UsageError(`--interval must be 5, 15 or 30, got "${values.interval}"`);
  const priority = values.priority ?? 'l';
  if (!['h', 'm', 'l'].includes(priority)) throw new UsageError(`--priority must be h, m or l, got "${priority}"`);
  const config = loadConfig({ fixturesDir: values['fixtures-dir'], certsDir: values['certs-dir'] });
  const result = writeDataset({
    nmis: positiveInt('nmis', values.nmis, 10), days: positiveInt('days', values.days, 1), from, interval: interval as 5 | 15 | 30,
    seed: values.seed ?? '1', out: resolve(values.out ?? 'generated'), sender: values.sender, priority: priority as PriorityLetter,
    variants: parseVariants(values.invalid), valuesCsv: values.values, standingDataPath: values['standing-data'] ?? join(config.fixturesDir, 'nmi-standing-data.json'),
    certsDir: config.certsDir, sign: !values['no-sign'],
  });
  if (values.json) out(`${JSON.stringify(result)}\n`);
  else {
    out(`wrote ${result.files} messages to ${result.dir}: ${result.valid} valid, ${result.invalid} invalid variants (${(result.bytes / 1e6).toFixed(1)} MB of JSON)\n`);
    if (result.addedNmis) out(`  ${result.addedNmis} NMIs are not in the standing data: load ${join(result.dir, 'nmi-standing-data.json')} as the hub's standing data\n`);
    for (const s of result.skipped) out(`  skipped ${s.variant}: ${s.reason}\n`);
    out(`  manifest: ${join(result.dir, 'manifest.json')}   send: idx-sim submit ${result.dir}\n`);
  }
  return { code: 0, result, send: values.send, rest, json: values.json };
}
