/**
 * One validated configuration object. Every setting has a name, an environment variable, a default and
 * a description; the README's configuration table is generated from SETTINGS (`idx-sim config`), so the
 * two cannot drift. Precedence: built-in default < environment < explicit overrides (CLI flags, tests).
 */
import { resolve } from 'node:path';
import { CHURN_DAY_RULES, ROUTING_RULES, type ChurnDayRule, type RoutingRule } from './domain/bpqd-rules.js';
import type { SlotRule } from './domain/certificate-rules.js';
import { isIP } from 'node:net';
import { isSimulatedInstant } from './domain/clock.js';
import { DEFAULT_SERVER_HOSTS } from './pki/dev-ca.js';
import { DEFAULT_ADMIN_KEY, isLoopbackHost } from './security/admin-key.js';
import { SIGNATURE_ALGORITHM_NAMES, type SignatureAlgorithmNames } from './security/message-signature.js';

type Parser<T> = (raw: string) => T;

interface Setting<T> {
  env: string;
  /** The default under the `aemo` profile (and the only default of a setting the profile does not change). */
  default: T;
  /** The default under the `ci` profile, for the limits that profile relaxes. */
  ciDefault?: T;
  description: string;
  parse: Parser<T>;
}

/**
 * Limits profiles (IDX_SIM_PROFILE): `aemo` enforces every published quota and rate limit (spec §8);
 * `ci` relaxes the request and message quotas so suites and benchmarks are not throttled. A profile
 * only chooses defaults: an explicit environment value or override of a limit always wins.
 */
export const PROFILES = ['aemo', 'ci'] as const;
export type Profile = (typeof PROFILES)[number];
/** What `ci` allows of every relaxed quota: in effect unlimited, yet still counted. */
export const CI_QUOTA = 1_000_000_000;

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
/** Host names (RFC 1123) and IP addresses, at least one: what the server certificate names. */
const hostList: Parser<string[]> = (raw) => {
  const hosts = list(raw);
  if (hosts.length === 0) throw new Error('expected at least one host name or IP address');
  const bad = hosts.filter((h) => !isIP(h) && !/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(h));
  if (bad.length) throw new Error(`not a host name or IP address: ${bad.join(', ')}`);
  return hosts;
};
const optionalInstant: Parser<string | undefined> = (raw) => {
  if (raw === '') return undefined;
  if (Number.isNaN(Date.parse(raw))) throw new Error(`expected an ISO 8601 date-time, got "${raw}"`);
  if (!isSimulatedInstant(Date.parse(raw))) throw new Error(`expected an instant from 2000 until 2100, got "${raw}"`);
  return raw;
};

const optionalPostgresUrl: Parser<string | undefined> = (raw) => {
  if (raw === '') return undefined;
  if (!/^postgres(ql)?:\/\/./i.test(raw)) throw new Error('expected a postgres:// or postgresql:// URL');
  return raw;
};

function setting<T>(env: string, def: T, parse: Parser<T>, description: string): Setting<T> {
  return { env, default: def, parse, description };
}

/** A setting whose default depends on IDX_SIM_PROFILE. */
function profiled<T>(env: string, defaults: Record<Profile, T>, parse: Parser<T>, description: string): Setting<T> {
  return { env, default: defaults.aemo, ciDefault: defaults.ci, parse, description };
}

const quota = int(0, CI_QUOTA);
const MiB = 1024 * 1024;
/**
 * AEMO's "10 MB", "5 MB", "1 MB" (spec §4.1, §8) read strictly as decimal megabytes: nothing accepted here
 * can be too large at AEMO under either reading (docs/spec-variance.md #22). Set the binary value to relax.
 */
const MB = 1_000_000;

export const SETTINGS = {
  host: setting('IDX_SIM_HOST', '127.0.0.1', str, 'Interface the HTTPS server listens on.'),
  port: setting('IDX_SIM_PORT', 8443, int(0, 65535), 'HTTPS port (0 picks a free one).'),
  serverHosts: setting('IDX_SIM_SERVER_HOSTS', DEFAULT_SERVER_HOSTS, hostList,
    'Host names and IP addresses the server certificate names (clients verify the one they connect to); the certificate is issued again at start when the list changes. Add the name other containers or hosts use, e.g. `idx-sim`.'),
  dataDir: setting('IDX_SIM_DATA_DIR', 'data', str, 'Directory of the SQLite database `idx-sim.db`.'),
  certsDir: setting('IDX_SIM_CERTS_DIR', 'certs', str, 'Directory of the dev CA, server and participant certificates (generated on first start).'),
  fixturesDir: setting('IDX_SIM_FIXTURES_DIR', 'fixtures', str, 'Directory of participants, URM users and NMI standing data loaded on start.'),
  logLevel: setting('IDX_SIM_LOG_LEVEL', 'info', oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), 'pino log level.'),
  seed: setting('IDX_SIM_SEED', '', str, 'Seed for every random identifier (trace ids, token ids, message ids); empty = drawn from the OS and logged. On later starts on the same data directory the start number (`<data dir>/boot-count`) is mixed in (`<seed>#boot<n>`), so a restart does not replay identifiers.'),
  clockStart: setting('IDX_SIM_CLOCK_START', undefined as string | undefined, optionalInstant, 'Start the simulated clock at this instant (ISO 8601) instead of now.'),
  clockFrozen: setting('IDX_SIM_CLOCK_FROZEN', false, (raw) => raw === 'true' || raw === '1', 'Freeze the simulated clock (it then moves only when told to).'),
  sqliteSynchronous: setting('IDX_SIM_SQLITE_SYNC', 'NORMAL' as 'NORMAL' | 'FULL', oneOf('NORMAL', 'FULL'),
    'SQLite `synchronous` with WAL: NORMAL survives a killed process, FULL also a power loss.'),
  databaseUrl: setting('IDX_SIM_DATABASE_URL', undefined as string | undefined, optionalPostgresUrl,
    'PostgreSQL instead of the SQLite file: `postgres://user:password@host:5432/database` (the database must exist; idx-sim creates its tables). Empty = SQLite in IDX_SIM_DATA_DIR.'),
  databaseTimeoutMs: setting('IDX_SIM_DATABASE_TIMEOUT_MS', 10_000, int(100, 600_000),
    'PostgreSQL only: longest a statement (`statement_timeout`) or a connect may take; past it the request is refused as the database being unavailable.'),
  databaseProbeIntervalMs: setting('IDX_SIM_DATABASE_PROBE_INTERVAL_MS', 1_000, int(50, 600_000),
    'PostgreSQL only: once the database has not answered within the timeout (it hangs), requests are refused at once (503) instead of each waiting again; this often, one probe asks whether it answers again.'),
  maxPayloadBytes: setting('IDX_SIM_MAX_PAYLOAD_BYTES', 10 * MB, int(1024, 512 * MiB), 'Largest uncompressed BPQD payload (spec §8: 10 MB, read as 10,000,000 bytes; 10485760 is the lenient binary reading).'),
  payloadWorkers: setting('IDX_SIM_PAYLOAD_WORKERS', 2, int(0, 16),
    'Worker threads that inflate, parse and check large BPQD submissions off the event loop (started on first use); 0 = every payload is checked on the event loop.'),
  payloadWorkerMinBytes: setting('IDX_SIM_PAYLOAD_WORKER_MIN_BYTES', 64 * 1024, int(0, 512 * MiB),
    'Gzip bodies of at least this many bytes (as received) are checked by a payload worker; smaller ones on the event loop, where a thread round trip would cost more than the check.'),
  schemaVersions: setting('IDX_SIM_SCHEMA_VERSIONS', ['1.0.0'], list, 'BPQD schema versions accepted in `x-schemaVersion`; the last is the default.'),
  pageSizeDefault: setting('IDX_SIM_PAGE_SIZE_DEFAULT', 100, int(1, 500), 'itemCount of `GET /pqd/v1/bpqd` when none is given.'),
  pageSizeMax: setting('IDX_SIM_PAGE_SIZE_MAX', 500, int(1, 10_000), 'Largest itemCount of `GET /pqd/v1/bpqd`.'),
  deletePermission: setting('IDX_SIM_DELETE_PERMISSION', 'R' as 'R' | 'D', oneOf('R', 'D'), 'CRUD letter of PQD_BPQD that DELETE needs (AEMO lists only R and C).'),
  tokenLifetimeSeconds: setting('IDX_SIM_TOKEN_LIFETIME', 3599, int(1, 86_400), 'Access-token lifetime (spec §4.8: 3599 s).'),
  tokenIssuer: setting('IDX_SIM_TOKEN_ISSUER', 'https://idx-sim.local/oauth/v1', str, 'JWT `iss`.'),
  tokenAudience: setting('IDX_SIM_TOKEN_AUDIENCE', 'idx', str, 'JWT `aud`.'),
  tokenClockSkewSeconds: setting('IDX_SIM_TOKEN_SKEW', 60, int(0, 3600), 'Clock skew tolerated on `exp`, `nbf` and `iat`.'),
  fcPqdLow: setting('IDX_SIM_FC_PQD_LOW', 400, int(1, 10_000_000), 'Flow control, business function pqd: Low watermark (delivery restarts below it).'),
  fcPqdWarn: setting('IDX_SIM_FC_PQD_WARN', 800, int(1, 10_000_000), 'Flow control, pqd: Warn watermark (status Warned).'),
  fcPqdHigh: setting('IDX_SIM_FC_PQD_HIGH', 1000, int(1, 10_000_000), 'Flow control, pqd: High watermark (status Stopped, new messages held).'),
  fcCountMode: setting('IDX_SIM_FC_COUNT', 'unretrieved' as 'unretrieved' | 'queued', oneOf('unretrieved', 'queued'),
    'What the flow-control message count counts: messages not yet retrieved (GET), or every message still queued (until DELETE).'),
  fcDeleteRateWindowMinutes: setting('IDX_SIM_FC_DELETE_RATE_WINDOW', 15, int(1, 1440),
    'Window (minutes) over which arrivals outpacing retrievals/deletions raise INSUFFICIENT_DELETE_RATE.'),
  queueRetentionDays: setting('IDX_SIM_QUEUE_RETENTION_DAYS', 10, int(1, 3650), 'Days a message stays in a queue before it is removed as expired (spec §4.1: 10 calendar days).'),
  eventHeartbeatSeconds: setting('IDX_SIM_EVENT_HEARTBEAT', 30, int(1, 3600), 'Seconds between HEARTBEAT frames on the event WebSocket (real time).'),
  adminKey: setting('IDX_SIM_ADMIN_KEY', '', str,
    'Bearer key of the simulator control API `/sim/v1` (clock, outages). Empty: `idx-sim-admin` on a loopback host; on any other host a key generated at first start, kept in `<data dir>/admin-key` and printed once. `idx-sim-admin` itself is refused on a non-loopback host.'),
  certificateEnvironment: setting('IDX_SIM_CERT_ENVIRONMENT', 'NonProd' as 'NonProd' | 'Prod', oneOf('NonProd', 'Prod'),
    'Which CN suffix is accepted: idx-sim stands in for pre-production, so `-NonProd` (spec §6).'),
  // Quotas and rate limits (spec §4.1, §4.2, §4.4, §8; docs/security.md). 0 refuses every request.
  profile: setting('IDX_SIM_PROFILE', 'aemo' as Profile, oneOf(...PROFILES),
    'Limits profile: `aemo` enforces every published quota; `ci` relaxes the quotas below for fast suites and benchmarks. Explicit values win.'),
  pqdRequestsPerMinute: profiled('IDX_SIM_PQD_REQUESTS_PER_MINUTE', { aemo: 50, ci: CI_QUOTA }, quota,
    'PQD API requests per participant per endpoint per minute (spec §4.1: 50).'),
  fctrlRequestsPerDay: profiled('IDX_SIM_FCTRL_REQUESTS_PER_DAY', { aemo: 288, ci: CI_QUOTA }, quota,
    'Flow Control API requests other than the PATCH, per participant per endpoint per market day (spec §4.2: 288).'),
  fctrlPatchRequestsPerDay: profiled('IDX_SIM_FCTRL_PATCH_REQUESTS_PER_DAY', { aemo: 2, ci: CI_QUOTA }, quota,
    'Flow Control `PATCH /businessFunctions/{businessFunctionId}` per participant per business function per market day (spec §4.2: 2).'),
  bfinfoRequestsPerDay: profiled('IDX_SIM_BFINFO_REQUESTS_PER_DAY', { aemo: 1440, ci: CI_QUOTA }, quota,
    'Business Function Information API requests per participant per endpoint per market day (spec §4.4: 1440).'),
  dailyMessagesHigh: profiled('IDX_SIM_DAILY_MESSAGES_HIGH', { aemo: 180_000, ci: CI_QUOTA }, quota,
    'Accepted High-priority BPQD messages per participant per market day (spec §4.1, §8: 180,000).'),
  dailyMessagesMedium: profiled('IDX_SIM_DAILY_MESSAGES_MEDIUM', { aemo: 35_000, ci: CI_QUOTA }, quota,
    'Accepted Medium-priority BPQD messages per participant per market day (spec §4.1, §8: 35,000).'),
  dailyMessagesLow: profiled('IDX_SIM_DAILY_MESSAGES_LOW', { aemo: 18_000, ci: CI_QUOTA }, quota,
    'Accepted Low-priority BPQD messages per participant per market day (spec §4.1, §8: 18,000).'),
  maxPayloadBytesHigh: setting('IDX_SIM_MAX_PAYLOAD_BYTES_HIGH', 1 * MB, int(1024, 512 * MiB),
    'Largest uncompressed High-priority payload (spec §4.1, §8: 1 MB); a message rule, the same in every profile.'),
  maxPayloadBytesMedium: setting('IDX_SIM_MAX_PAYLOAD_BYTES_MEDIUM', 5 * MB, int(1024, 512 * MiB),
    'Largest uncompressed Medium-priority payload (spec §4.1, §8: 5 MB).'),
  maxPayloadBytesLow: setting('IDX_SIM_MAX_PAYLOAD_BYTES_LOW', 10 * MB, int(1024, 512 * MiB),
    'Largest uncompressed Low-priority payload (spec §4.1, §8: 10 MB).'),
  stoppedRecipient: setting('IDX_SIM_STOPPED_RECIPIENT', 'hold' as 'hold' | 'refuse', oneOf('hold', 'refuse'),
    'A submission while a receiver\'s queue is stopped by flow control: `hold` (200, delivered when the queue resumes) or `refuse` (503 `IDX_ERR_RECIPIENT_STOPPED`, nothing accepted) (spec §9: AEMO does not say).'),
  rejectConcurrentRequests: setting('IDX_SIM_REJECT_CONCURRENT_REQUESTS', false, (raw) => raw === 'true' || raw === '1',
    'Refuse (429) a request while the same participant has another one in flight on the same API (spec §4.1: "AEMO may reject concurrent requests").'),
  archiveRetentionDays: setting('IDX_SIM_ARCHIVE_RETENTION_DAYS', 90, int(1, 3650),
    'Days an accepted message\'s payload stays in the outbound archive (AEMO publishes none; spec §4.6 [D]: 90); drives `isArchived` and payload download in the Transaction Log API.'),
  translogExportMaxRows: setting('IDX_SIM_TRANSLOG_EXPORT_MAX_ROWS', 100_000, int(1, 1_000_000),
    'Most records one Transaction Log CSV export returns; a search matching more is refused (narrow it by date).'),
  signatureRequired: setting('IDX_SIM_SIGNATURE_REQUIRED', true, bool,
    '`POST /pqd/v1/bpqd` without `x-signature` is refused (spec §3: required); `false` accepts unsigned messages. A signature that is sent is always verified.'),
  signatureOver: setting('IDX_SIM_SIGNATURE_OVER', 'json' as 'json' | 'gzip', oneOf('json', 'gzip'),
    'What `x-signature` signs: the uncompressed JSON bytes (`json`) or the gzip bytes as sent (`gzip`); AEMO does not say (spec §6, §13.3).'),
  signatureAlgorithmNames: setting('IDX_SIM_SIGNATURE_ALGORITHM_NAMES', 'both' as SignatureAlgorithmNames, oneOf(...SIGNATURE_ALGORITHM_NAMES),
    '`x-signature` algorithm names accepted: `both` (`RSA-SHA256` as in AEMO\'s example, and `RSA-256` as its text says; the same algorithm) or only `RSA-SHA256` (spec §3).'),
  tlsCertificateSlots: setting('IDX_SIM_TLS_CERT_SLOTS', 'both' as SlotRule, oneOf('both', 'active'),
    "Which of a participant's registered certificates mTLS accepts: `both` (primary and secondary) or `active` (only the slot it rotated to)."),
  signatureCertificateSlots: setting('IDX_SIM_SIGNATURE_CERT_SLOTS', 'both' as SlotRule, oneOf('both', 'active'),
    "Which of a participant's registered certificates may sign `x-signature`: `both` or `active` (spec §13.2: either may sign)."),
  // Limits and timeouts of the HTTPS server (issue 7; docs/reliability.md "Limits, timeouts and fuzzing").
  requestTimeoutMs: setting('IDX_SIM_REQUEST_TIMEOUT_MS', 120_000, int(100, 3_600_000),
    'Milliseconds a client has to send a whole request (headers and body); then 408 and the connection is closed.'),
  headersTimeoutMs: setting('IDX_SIM_HEADERS_TIMEOUT_MS', 20_000, int(100, 3_600_000),
    'Milliseconds a client has to send the request line and headers (also from the moment it connects); then 408 and the connection is closed.'),
  keepAliveTimeoutMs: setting('IDX_SIM_KEEP_ALIVE_TIMEOUT_MS', 72_000, int(100, 3_600_000),
    'Milliseconds an idle keep-alive connection stays open between requests.'),
  tlsHandshakeTimeoutMs: setting('IDX_SIM_TLS_HANDSHAKE_TIMEOUT_MS', 10_000, int(100, 600_000),
    'Milliseconds a client has to complete the TLS handshake.'),
  maxConnections: setting('IDX_SIM_MAX_CONNECTIONS', 1000, int(1, 1_000_000),
    'Most simultaneous TCP connections; further connections are closed as they arrive.'),
  shutdownGraceMs: setting('IDX_SIM_SHUTDOWN_GRACE_MS', 10_000, int(0, 600_000),
    'On shutdown (SIGTERM/SIGINT), milliseconds in-flight requests get to finish before the remaining connections are closed.'),
  // Losing the database (issue #14, docs/deployment.md): refuse with 503 and recover on its own.
  storageRetryAfterSeconds: setting('IDX_SIM_STORAGE_RETRY_AFTER', 5, int(1, 3600),
    '`Retry-After` (seconds) of the 503 `IDX_ERR_STORAGE_UNAVAILABLE` a request gets while the database does not answer (a deadlock or serialization failure says 1).'),
  databaseStartupWaitSeconds: setting('IDX_SIM_DATABASE_STARTUP_WAIT', 60, int(0, 86_400),
    'At start, seconds to keep trying to reach a database that does not answer yet (backoff from 0.25 s to 5 s between tries), then exit with status 1 and say why; 0 = one try.'),
  eventMaxBufferedBytes: setting('IDX_SIM_EVENT_MAX_BUFFERED_BYTES', 1024 * 1024, int(1024, 512 * MiB),
    'Bytes of unsent frames an event WebSocket subscriber may fall behind by before it is closed with code 4002.'),
  translogRefusalsPerMinute: setting('IDX_SIM_TRANSLOG_REFUSALS_PER_MINUTE', 60, int(0, 1_000_000),
    'Refusals stored in a participant\'s transaction log per clock minute; further ones are only logged (pino). Refusals of requests without a valid client certificate are never stored.'),
  translogRefusalRetentionDays: setting('IDX_SIM_TRANSLOG_REFUSAL_RETENTION_DAYS', 90, int(1, 3650),
    'Days a refusal stays in the transaction log (purged every 30 s and when the control API moves the clock).'),
  eventSubscribersPerParticipant: setting('IDX_SIM_EVENT_SUBSCRIBERS_PER_PARTICIPANT', 10, int(1, 10_000),
    'Most open event WebSockets per participant; one more is refused (429 `IDX_ERR_TOO_MANY_SUBSCRIBERS`).'),
  bpqdIntervalGaps: setting('IDX_SIM_BPQD_INTERVAL_GAPS', 'refuse' as 'refuse' | 'accept', oneOf('refuse', 'accept'),
    'Intervals missing between the first and last of a meter: `refuse` (400 `IDX_ERR_PAYLOAD_RULE`, `INTERVAL_GAP`; send missing readings with qualityFlag N) or `accept`. Partial days are always accepted (spec §12).'),
  counterpartyTickMs: setting('IDX_SIM_COUNTERPARTY_TICK_MS', 1000, int(0, 3_600_000),
    'Real milliseconds between runs of the virtual counterparties (each run does what is due at the simulated now); 0 = only on `POST /sim/v1/counterparties/tick`.'),
  routingRule: setting('IDX_SIM_ROUTING_RULE', 'strict' as RoutingRule, oneOf(...ROUTING_RULES),
    'How BPQD receivers are checked against NMI standing data (spec §12): `strict` — exactly the LNSP(s) of every NMI; `fanout` — every NMI\'s LNSP addressed, each addressed LNSP owns at least one NMI and receives the whole message; `off` — no standing-data check, any registered LNSP.'),
  churnDay: setting('IDX_SIM_CHURN_DAY', 'either' as ChurnDayRule, oneOf(...CHURN_DAY_RULES),
    'Who may send BPQD for the day an NMI\'s MC or MDP changes (seed 000: partial BPQD Period): `either` the outgoing or the incoming party (logged as `CHURN_DAY`), or `strict` only the incoming one.'),
  // Simulator control API /sim/v1 (issue #10)
  snapshotDir: setting('IDX_SIM_SNAPSHOT_DIR', '', str,
    'Directory of named snapshots (`PUT /sim/v1/snapshots/{name}`); empty = `<IDX_SIM_DATA_DIR>/snapshots`.'),
  journalMaxEntries: setting('IDX_SIM_JOURNAL_MAX_ENTRIES', 10_000, int(0, 10_000_000),
    'Most requests the request journal (`GET /sim/v1/journal`) keeps; the oldest go first. 0 turns the journal off.'),
  journalBodyBytes: setting('IDX_SIM_JOURNAL_BODY_BYTES', 4096, int(0, 10 * MiB),
    'Bytes of each request and response body the journal keeps (longer bodies are cut, and marked so).'),
  journalRetentionDays: setting('IDX_SIM_JOURNAL_RETENTION_DAYS', 10, int(1, 3650),
    'Simulated days a journal entry is kept.'),
  coverageDueDays: setting('IDX_SIM_COVERAGE_DUE_DAYS', 1, int(0, 30),
    'BPQD for a market day is late in the coverage report when it arrives after the end of this many market days later (spec §12 [D]: end of the next day).'),
  reportsDir: setting('IDX_SIM_REPORTS_DIR', 'reports/scenarios', str,
    'Directory the scenario runner writes its runs to (one folder per run with `results.json` and `report.html`); the simulator console lists and serves them at `/console/reports`.'),
  webSessionIdleMinutes: setting('IDX_SIM_WEB_SESSION_IDLE_MINUTES', 30, int(1, 10_080),
    'IDX Web App (`/webapp/`) portal sessions (`x-ss-id`) end after this many minutes of simulated time without a request.'),
  webQueueSeriesPoints: setting('IDX_SIM_WEB_QUEUE_SERIES_POINTS', 2000, int(10, 100_000),
    'Queue-count samples the Flow Control page keeps per participant and business function (in memory, one per change; the oldest go first).'),
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
  const read = <T>(s: Setting<T>, fallback: T): T => {
    const raw = env[s.env];
    try {
      return raw === undefined ? fallback : s.parse(raw);
    } catch (err) {
      throw new Error(`${s.env}: ${(err as Error).message}`);
    }
  };
  // The profile is settled first: it chooses the defaults of the limits.
  const profile = overrides.profile ?? read(SETTINGS.profile, SETTINGS.profile.default);
  for (const [key, s] of Object.entries(SETTINGS) as [keyof Config, Setting<unknown>][]) {
    config[key] = read(s, profile === 'ci' && 'ciDefault' in s ? s.ciDefault : s.default);
  }
  Object.assign(config, Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)));
  const c = config as Config;
  if (c.pageSizeDefault > c.pageSizeMax) throw new Error('IDX_SIM_PAGE_SIZE_DEFAULT must not exceed IDX_SIM_PAGE_SIZE_MAX');
  if (!(c.fcPqdLow < c.fcPqdWarn && c.fcPqdWarn < c.fcPqdHigh)) throw new Error('flow-control watermarks must satisfy IDX_SIM_FC_PQD_LOW < IDX_SIM_FC_PQD_WARN < IDX_SIM_FC_PQD_HIGH');
  if (c.headersTimeoutMs > c.requestTimeoutMs) throw new Error('IDX_SIM_HEADERS_TIMEOUT_MS must not exceed IDX_SIM_REQUEST_TIMEOUT_MS');
  if (c.schemaVersions.length === 0) throw new Error('IDX_SIM_SCHEMA_VERSIONS must name at least one version');
  for (const key of ['dataDir', 'certsDir', 'fixturesDir', 'reportsDir'] as const) c[key] = resolve(cwd, c[key]);
  // On loopback the documented default key serves; elsewhere startServer generates one (src/security/admin-key.ts).
  if (c.adminKey === '' && isLoopbackHost(c.host)) c.adminKey = DEFAULT_ADMIN_KEY;
  return { ...c, databasePath: resolve(c.dataDir, 'idx-sim.db') };
}

/** Settings whose value is a secret: shown as `[redacted]` wherever settings are reported. */
export const SECRET_SETTINGS: ReadonlySet<keyof Config> = new Set<keyof Config>(['adminKey', 'databaseUrl']);

/**
 * The effective settings by environment variable, as text, secrets redacted: what a run's evidence and
 * a defect record quote (`GET /sim/v1/settings`, issue #11), so a failure can be reproduced with the same
 * configuration.
 */
export function effectiveSettings(config: Config): Record<string, string> {
  const text = (value: unknown) => (Array.isArray(value) ? value.join(',') : value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));
  return Object.fromEntries((Object.entries(SETTINGS) as [keyof Config, Setting<unknown>][])
    .map(([key, s]) => [s.env, SECRET_SETTINGS.has(key) ? '[redacted]' : text(config[key])]));
}

/** The configuration table of the README, as Markdown. */
export function settingsTable(): string {
  const show = (value: unknown) => {
    const text = Array.isArray(value) ? value.join(',') : value === undefined ? '' : String(value);
    return text === '' ? '_(none)_' : `\`${text}\``;
  };
  const rows = Object.entries(SETTINGS).map(([key, s]: [string, Setting<unknown>]) => {
    const def = 'ciDefault' in s ? `aemo: ${show(s.default)} / ci: ${show(s.ciDefault)}` : show(s.default);
    return `| \`${s.env}\` | \`${key}\` | ${def} | ${s.description} |`;
  });
  return ['| Environment variable | Setting | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}
