/**
 * Everything the HTTP layer needs, wired once: configuration, clock, randomness, stores and services.
 * Plain objects passed in (no DI framework); tests build their own with an in-memory database.
 */
import type { X509Certificate } from 'node:crypto';
import type { ResolvedConfig } from './config.js';
import { boundedValidator } from './contract/bounded-validation.js';
import { loadContract, type Contract } from './contract/openapi.js';
import type { AdjustableClock } from './domain/clock.js';
import { ConcurrencyGuard, DailyMessageQuota, RequestLimiter } from './domain/quotas.js';
import type { Random } from './domain/random.js';
import { BpqdService } from './services/bpqd-service.js';
import { DeliveryService } from './services/delivery-service.js';
import { EventHub } from './services/event-hub.js';
import { singleInstanceBus, type HubBus } from './services/hub-bus.js';
import { InstanceSync } from './services/instance-sync.js';
import { SimClockStore } from './store/sim-clock-store.js';
import { FlowControlService } from './services/flow-control-service.js';
import { checkWatermarks } from './domain/flow-control.js';
import { FlowControlStore } from './store/flow-control-store.js';
import { GroupCommit } from './store/group-commit.js';
import { PayloadPool } from './services/payload-pool.js';
import { TranslogService } from './services/translog-service.js';
import { QueueCountSeries } from './services/queue-count-series.js';
import { CertificateRegistry } from './security/certificate-registry.js';
import { HubSigner, SignatureVerifier, type SignerIdentity } from './security/message-signature.js';
import { ArchiveService } from './services/archive-service.js';
import { ArchiveStore } from './store/archive-store.js';
import { CounterpartyService } from './services/counterparty-service.js';
import { NmiRoleQueries } from './store/nmi-role-queries.js';
import { priorityPayloadCap } from './domain/quotas.js';
import { TokenService } from './security/tokens.js';
import { x509Of } from './security/parsed-pem.js';
import { CertificateStore } from './store/certificate-store.js';
import type { Db } from './store/database.js';
import { MessageStore } from './store/message-store.js';
import { ParticipantStore } from './store/participant-store.js';
import { MemoryCounterStore, SqliteCounterStore } from './store/quota-counters.js';
import { TransactionLog } from './store/transaction-log.js';
import { TranslogSearch } from './store/translog-search.js';
import { SimStateService } from './services/sim-state-service.js';
import { SimStateStore } from './store/sim-state-store.js';
import { PgSimStateStore } from './store/postgres/sim-state-store.js';
import { JournalStore } from './store/journal-store.js';
import { FaultService } from './services/fault-service.js';
import { FaultStore } from './store/fault-store.js';
import { CoverageService } from './services/coverage-service.js';
import { CoverageStore } from './store/coverage-store.js';
import { SimDataStore } from './store/sim-data-store.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (openapi/, fixtures/ live there), whether running from src/ or dist/src/. */
export const PROJECT_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));

/** The project's OpenAPI documents, bundled once per process when this module loads (src/contract/openapi.ts). */
const PROJECT_CONTRACT = await loadContract(join(PROJECT_ROOT, 'openapi'));

export interface ContextOptions {
  config: ResolvedConfig;
  db: Db;
  clock: AdjustableClock;
  random: Random;
  caCertPem: string;
  tokenSigningKeyPem: string;
  /** The hub signer's certificate and key (certs/hub/hub.{crt,key}). */
  hubSigning: SignerIdentity;
  /** The contract to serve; by default the project's openapi/ documents. */
  contract?: Contract;
  /** Test seam: when the open group-commit batch commits (default: the next turn of the event loop). */
  scheduleCommit?: (commit: () => void) => void;
  /** Loads the fixtures into the database: on start (ctx.seed()) and on every reset of the control API. */
  seed?: (ctx: AppContext) => void;
  /**
   * How this instance tells others on the same database what changed (issue #14): PostgreSQL's
   * LISTEN/NOTIFY with several instances; by default a bus of one (SQLite: this process is the hub).
   */
  bus?: HubBus;
}

export interface AppContext {
  config: ResolvedConfig;
  db: Db;
  clock: AdjustableClock;
  random: Random;
  contract: Contract;
  ca: X509Certificate;
  participants: ParticipantStore;
  transactionLog: TransactionLog;
  messages: MessageStore;
  /** The one write path that batches: submissions share a transaction per event-loop turn (src/store/group-commit.ts). */
  commits: GroupCommit;
  flowControlStore: FlowControlStore;
  events: EventHub;
  delivery: DeliveryService;
  flowControl: FlowControlService;
  tokens: TokenService;
  /** Participants' primary and secondary certificates, rotation and revocation (spec §6). */
  certificates: CertificateRegistry;
  /** Verifies `x-signature` (spec §3, §13.3). */
  signatures: SignatureVerifier;
  /** Signs as the IDX hub (archive copies, spec §4.6). */
  hubSigner: HubSigner;
  archive: ArchiveService;
  bpqd: BpqdService;
  /** Quotas and rate limits (spec §8): request quotas of `x-idx-quota`, daily BPQD messages, concurrency. */
  quotas: { requests: RequestLimiter; messages: DailyMessageQuota; concurrency: ConcurrencyGuard };
  translog: TranslogService;
  /** Loads the fixtures (participants, URM users, standing data, certificates). */
  seed(): void;
  /** The control API's reset and snapshots (issue #10). */
  sim: SimStateService;
  /** Every request and answer per participant (issue #10). */
  journal: JournalStore;
  /** Fault-injection rules (issue #10). */
  faults: FaultService;
  /** BPQD completeness per NMI and market day (issue #10). */
  coverage: CoverageService;
  /** Virtual senders and LNSPs driven by the simulated clock (issue #10); they call the API like any participant. */
  counterparties: CounterpartyService;
  /** Each queue's recent flow-control counts, sampled on change, for the Web App's Flow Control chart (issue #12). */
  queueSeries: QueueCountSeries;
  /** The hub bus to the other instances on this database (issue #14); not shared with SQLite. */
  bus: HubBus;
  /** What this instance tells the others and does when told (src/services/instance-sync.ts). */
  instances: InstanceSync;
}

export function createContext(o: ContextOptions): AppContext {
  const contract = o.contract ?? PROJECT_CONTRACT;
  const participants = new ParticipantStore(o.db);
  const transactionLog = new TransactionLog(o.db);
  const messages = new MessageStore(o.db);
  const flowControlStore = new FlowControlStore(o.db);
  const queueSeries = new QueueCountSeries(o.clock, o.config.webQueueSeriesPoints);
  const bus = o.bus ?? singleInstanceBus();
  flowControlStore.onCommitted((row) => {
    queueSeries.record(row);
    ctx.instances.queueCountsChanged(row);
  });
  const events = new EventHub(o.clock, o.random, bus);
  const { config } = o;
  const commits = new GroupCommit(o.db, o.scheduleCommit);
  const configuredWatermarks = () => checkWatermarks({ low: config.fcPqdLow, warn: config.fcPqdWarn, high: config.fcPqdHigh }, 'pqd');
  const delivery = new DeliveryService(commits, messages, flowControlStore, transactionLog, events, {
    watermarks: { pqd: configuredWatermarks() },
    countMode: config.fcCountMode,
    queueRetentionDays: config.queueRetentionDays,
    deleteRateWindowMinutes: config.fcDeleteRateWindowMinutes,
  }, o.clock);
  // Per-minute counts in memory, daily counts in SQLite (they must survive a restart within the day).
  // With several instances on one database every window counts in the database (issue #14): the 51st
  // request of a minute is refused whichever instance receives it.
  const dailyCounters = new SqliteCounterStore(o.db);
  const memoryMinuteCounters = bus.shared ? undefined : new MemoryCounterStore();
  const minuteCounters = memoryMinuteCounters ?? dailyCounters;
  const quotas = {
    requests: new RequestLimiter(config, { minute: minuteCounters, day: dailyCounters }),
    messages: new DailyMessageQuota(config, dailyCounters),
    concurrency: new ConcurrencyGuard(),
  };
  const certificates = new CertificateRegistry(new CertificateStore(o.db), config.certificateEnvironment);
  const signatures = new SignatureVerifier(certificates,
    { required: config.signatureRequired, over: config.signatureOver, slots: config.signatureCertificateSlots, algorithmNames: config.signatureAlgorithmNames }, o.clock);
  const hubSigner = new HubSigner(o.hubSigning, o.clock);
  const archive = new ArchiveService(new ArchiveStore(o.db, (olderThan) => ctx.journal.keepBodiesOfPurged(olderThan)), hubSigner, config, o.clock);
  // What falls due when simulated time moves runs then, not on the next read (reads stay read-only).
  o.clock.onMove((cause) => {
    delivery.expire(() => cause ?? o.random.hex(16));
    archive.purge();
    // Fault rules whose window the clock entered or left (forced stops, closed sockets) act now.
    ctx.faults.apply(cause ?? o.random.hex(16));
    transactionLog.purgeRefusals(o.clock.now() - config.translogRefusalRetentionDays * 86_400_000);
  });
  // A reset returns the clock to where it started when it started at a fixed instant (frozen or IDX_SIM_CLOCK_START).
  const startClock = config.clockStart !== undefined || o.clock.frozen ? { now: o.clock.now(), frozen: o.clock.frozen } : null;
  const ctx: AppContext = {
    config,
    db: o.db,
    clock: o.clock,
    random: o.random,
    contract,
    ca: x509Of(o.caCertPem),
    participants,
    transactionLog,
    messages,
    commits,
    flowControlStore,
    events,
    delivery,
    flowControl: new FlowControlService(flowControlStore, delivery, events, o.clock),
    tokens: new TokenService(o.tokenSigningKeyPem, {
      issuer: config.tokenIssuer,
      audience: config.tokenAudience,
      lifetimeSeconds: config.tokenLifetimeSeconds,
      clockSkewSeconds: config.tokenClockSkewSeconds,
    }, o.clock, o.random),
    certificates,
    signatures,
    hubSigner,
    bpqd: new BpqdService({
      messages, delivery, standingData: participants, validatePayload: boundedValidator(contract.firstErrorValidator('pqd.yaml', '#/components/schemas/BpqdPayload'),
        contract.validator('pqd.yaml', '#/components/schemas/BpqdPayload')),
      settings: config, clock: o.clock, random: o.random, dailyMessages: quotas.messages, signatures,
      isRegisteredLnsp: (participantId) => participants.participant(participantId)?.role === 'LNSP',
      payloadPool: config.payloadWorkers > 0 ? new PayloadPool({ size: config.payloadWorkers, contractDir: contract.dir, payloadDocument: contract.documents.get('pqd.yaml') }) : undefined,
    }),
    quotas,
    translog: new TranslogService(new TranslogSearch(o.db), messages, config, o.clock),
    archive,
    seed: () => o.seed?.(ctx),
    sim: undefined as unknown as SimStateService,
    journal: new JournalStore(o.db, { maxEntries: config.journalMaxEntries, retentionDays: config.journalRetentionDays }),
    faults: new FaultService(new FaultStore(o.db), o.clock, o.random, events, delivery),
    coverage: new CoverageService(new CoverageStore(o.db), participants, (range) => new SimDataStore(o.db, () => participants.written()).nmis(range), o.clock, config.coverageDueDays, config.churnDay === 'either'),
    counterparties: new CounterpartyService({
      clock: o.clock, standing: participants, nmiRoles: new NmiRoleQueries(o.db),
      participants: () => new Map(participants.participants().map((p) => [p.participantId, p.role])),
      settings: { maxPayloadBytes: config.maxPayloadBytes, payloadCap: (p) => priorityPayloadCap(config, p), signatureOver: config.signatureOver, seed: config.seed || 'counterparties' },
    }),
    queueSeries,
    bus,
    instances: undefined as unknown as InstanceSync,
  };
  ctx.sim = new SimStateService({
    db: o.db,
    store: o.db.dialect === 'postgres' ? new PgSimStateStore(o.db) : new SimStateStore(o.db, config.snapshotDir || join(config.dataDir, 'snapshots')),
    clock: o.clock,
    events,
    seed: () => ctx.seed(),
    forgetCaches,
    flushPending: () => ctx.journal.flush(),
    announceReplaced: (reason) => ctx.instances.stateReplaced(reason),
    startClock,
  });
  ctx.instances = new InstanceSync({
    bus, clock: o.clock, clockStore: new SimClockStore(o.db), events, certificates, participants, flowControl: ctx.flowControl, faults: ctx.faults, delivery, queueSeries, forgetCaches,
  });
  return ctx;

  /** What a reset or snapshot restore makes every instance forget: in-memory state derived from the database. */
  function forgetCaches(): void {
    memoryMinuteCounters?.clear();
    delivery.forgetVolatileState();
    // Watermarks changed through the control API last until a reset or restore.
    delivery.setWatermarks('pqd', configuredWatermarks());
    certificates.invalidate();
    participants.invalidate();
    ctx.flowControl.forgetOutages();
    ctx.faults.forget();
    queueSeries.clear();
  }
}
