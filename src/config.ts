/**
 * One validated configuration object. Every setting has a name, an environment variable, a default and
 * a description; the README's configuration table is generated from SETTINGS (`idx-sim config`), so the
 * two cannot drift. Precedence: built-in default < environment < explicit overrides (CLI flags, tests).
 */
import { resolve } from 'node:path';
import type { SlotRule } from './domain/certificate-rules.js';

type Parser<T> = (raw: string) => T;

interface Setting<T> {
  env: string;
  default: T;
  description: string;
  parse: Parser<T>;
}

const str: Parser<string> = (raw) => raw;
const int = (min: number, max: number): Parser<number> => (raw) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`expected an integer in ${min}..${max}, got "${raw}"`);
  return n;
};
const oneOf = <T extends string>(...values: T[]): Parser<T> => (raw) => {
  if (!(values as string[]).includes(raw)) throw new Error(`expected one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
};
const bool: Parser<boolean> = (raw) => {
  if (!/^(true|false|1|0)$/.test(raw)) throw new Error(`expected true or false, got "${raw}"`);
  return raw === 'true' || raw === '1';
};
const list: Parser<string[]> = (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean);
const optionalInstant: Parser<string | undefined> = (raw) => {
  if (raw === '') return undefined;
  if (Number.isNaN(Date.parse(raw))) throw new Error(`expected an ISO 8601 date-time, got "${raw}"`);
  return raw;
};

function setting<T>(env: string, def: T, parse: Parser<T>, description: string): Setting<T> {
  return { env, default: def, parse, description };
}

export const SETTINGS = {
  host: setting('IDX_SIM_HOST', '127.0.0.1', str, 'Interface the HTTPS server listens on.'),
  port: setting('IDX_SIM_PORT', 8443, int(0, 65535), 'HTTPS port (0 picks a free one).'),
  dataDir: setting('IDX_SIM_DATA_DIR', 'data', str, 'Directory of the SQLite database `idx-sim.db`.'),
  certsDir: setting('IDX_SIM_CERTS_DIR', 'certs', str, 'Directory of the dev CA, server and participant certificates (generated on first start).'),
  fixturesDir: setting('IDX_SIM_FIXTURES_DIR', 'fixtures', str, 'Directory of participants, URM users and NMI standing data loaded on start.'),
  logLevel: setting('IDX_SIM_LOG_LEVEL', 'info', oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), 'pino log level.'),
  seed: setting('IDX_SIM_SEED', '', str, 'Seed for every random identifier (trace ids, token ids, message ids); empty = drawn from the OS and logged.'),
  clockStart: setting('IDX_SIM_CLOCK_START', undefined as string | undefined, optionalInstant, 'Start the simulated clock at this instant (ISO 8601) instead of now.'),
  clockFrozen: setting('IDX_SIM_CLOCK_FROZEN', false, (raw) => raw === 'true' || raw === '1', 'Freeze the simulated clock (it then moves only when told to).'),
  sqliteSynchronous: setting('IDX_SIM_SQLITE_SYNC', 'NORMAL' as 'NORMAL' | 'FULL', oneOf('NORMAL', 'FULL'),
    'SQLite `synchronous` with WAL: NORMAL survives a killed process, FULL also a power loss.'),
  maxPayloadBytes: setting('IDX_SIM_MAX_PAYLOAD_BYTES', 10 * 1024 * 1024, int(1024, 512 * 1024 * 1024), 'Largest uncompressed BPQD payload (spec §8: 10 MB).'),
  schemaVersions: setting('IDX_SIM_SCHEMA_VERSIONS', ['1.0.0'], list, 'BPQD schema versions accepted in `x-schemaVersion`; the last is the default.'),
  pageSizeDefault: setting('IDX_SIM_PAGE_SIZE_DEFAULT', 100, int(1, 500), 'itemCount of `GET /pqd/v1/bpqd` when none is given.'),
  pageSizeMax: setting('IDX_SIM_PAGE_SIZE_MAX', 500, int(1, 10_000), 'Largest itemCount of `GET /pqd/v1/bpqd`.'),
  deletePermission: setting('IDX_SIM_DELETE_PERMISSION', 'R' as 'R' | 'D', oneOf('R', 'D'), 'CRUD letter of PQD_BPQD that DELETE needs (AEMO lists only R and C).'),
  tokenLifetimeSeconds: setting('IDX_SIM_TOKEN_LIFETIME', 3599, int(1, 86_400), 'Access-token lifetime (spec §4.8: 3599 s).'),
  tokenIssuer: setting('IDX_SIM_TOKEN_ISSUER', 'https://idx-sim.local/oauth/v1', str, 'JWT `iss`.'),
  tokenAudience: setting('IDX_SIM_TOKEN_AUDIENCE', 'idx', str, 'JWT `aud`.'),
  tokenClockSkewSeconds: setting('IDX_SIM_TOKEN_SKEW', 60, int(0, 3600), 'Clock skew tolerated on `exp`, `nbf` and `iat`.'),
  certificateEnvironment: setting('IDX_SIM_CERT_ENVIRONMENT', 'NonProd' as 'NonProd' | 'Prod', oneOf('NonProd', 'Prod'),
    'Which CN suffix is accepted: idx-sim stands in for pre-production, so `-NonProd` (spec §6).'),
  signatureRequired: setting('IDX_SIM_SIGNATURE_REQUIRED', true, bool,
    '`POST /pqd/v1/bpqd` without `x-signature` is refused (spec §3: required); `false` accepts unsigned messages. A signature that is sent is always verified.'),
  signatureOver: setting('IDX_SIM_SIGNATURE_OVER', 'json' as 'json' | 'gzip', oneOf('json', 'gzip'),
    'What `x-signature` signs: the uncompressed JSON bytes (`json`) or the gzip bytes as sent (`gzip`); AEMO does not say (spec §6, §13.3).'),
  tlsCertificateSlots: setting('IDX_SIM_TLS_CERT_SLOTS', 'both' as SlotRule, oneOf('both', 'active'),
    "Which of a participant's registered certificates mTLS accepts: `both` (primary and secondary) or `active` (only the slot it rotated to)."),
  signatureCertificateSlots: setting('IDX_SIM_SIGNATURE_CERT_SLOTS', 'both' as SlotRule, oneOf('both', 'active'),
    "Which of a participant's registered certificates may sign `x-signature`: `both` or `active` (spec §13.2: either may sign)."),
} as const;

export type Settings = typeof SETTINGS;
export type Config = { -readonly [K in keyof Settings]: Settings[K]['default'] };

export interface ResolvedConfig extends Config {
  /** Absolute path of the SQLite file. */
  databasePath: string;
}

/** Builds the configuration: defaults, then environment, then overrides. Throws naming the bad setting. */
export function loadConfig(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ResolvedConfig {
  const config = {} as Record<string, unknown>;
  for (const [key, s] of Object.entries(SETTINGS) as [keyof Config, Setting<unknown>][]) {
    const raw = env[s.env];
    try {
      config[key] = raw === undefined ? s.default : s.parse(raw);
    } catch (err) {
      throw new Error(`${s.env}: ${(err as Error).message}`);
    }
  }
  Object.assign(config, Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)));
  const c = config as Config;
  if (c.pageSizeDefault > c.pageSizeMax) throw new Error('IDX_SIM_PAGE_SIZE_DEFAULT must not exceed IDX_SIM_PAGE_SIZE_MAX');
  if (c.schemaVersions.length === 0) throw new Error('IDX_SIM_SCHEMA_VERSIONS must name at least one version');
  for (const key of ['dataDir', 'certsDir', 'fixturesDir'] as const) c[key] = resolve(cwd, c[key]);
  return { ...c, databasePath: resolve(c.dataDir, 'idx-sim.db') };
}

/** The configuration table of the README, as Markdown. */
export function settingsTable(): string {
  const rows = Object.entries(SETTINGS).map(([key, s]) => {
    const def = Array.isArray(s.default) ? s.default.join(',') : s.default === undefined ? '' : String(s.default);
    return `| \`${s.env}\` | \`${key}\` | ${def === '' ? '_(none)_' : `\`${def}\``} | ${s.description} |`;
  });
  return ['| Environment variable | Setting | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}
