/**
 * The shape of one scenario run's evidence: what `idx-sim scenario run` writes as JSON and what the JUnit
 * writer, the HTML evidence report, the test-completion summary and defect capture all read. One model, so
 * every output of a run tells the same story.
 *
 * Traceability follows AEMO's coordinated industry test plan (seed 000): Table 7 "Suggested Test
 * Scenarios" rows, Table 6 "Suggested Weekly Activities" weeks, exit criteria "all high-priority scenarios
 * pass", and §4.7.1's defect fields (description, scenario, detected by/date, owner, target fix date,
 * severity, priority, status, root cause, assigned to).
 */

/** Table 7 rows as the scenario pack names them (seed 000 §4.3). */
export const TABLE7_ROWS = {
  'API-SUBMIT': 'Submit POST request for BPQD Payload and verify message is received in expected format',
  'API-METADATA': 'Get message Metadata',
  'API-LIST-PRIORITY': 'Get a list of messages by priority',
  'API-DELETE-HIGH-WATERMARK': "Delete messages from Participant's outbox for 'High' watermark message count",
  'API-MANUAL-STOP': 'Turn on and off the manual stop',
  'WEB-FLOW-CONTROL': 'Flow Control screen – display message count and check ability to turn on and off manual stop',
  'WEB-PARTICIPANT-STATUS': 'Participant status screen – display message status and corresponding details',
  'WEB-TRANSLOG': 'TransLog screen - perform filter, sorting and advance search actions; view and download the message',
  'WEB-ARCHIVE': 'Outbound Archive screen – perform filter and advance search actions, view archived outbound messages, download payload',
  'CHURN-MDP-FRMP': 'Meter churn: MDP changes due to FRMP change; previous and new MDP send daily BPQD on the days they are responsible',
} as const;
export type Table7Row = keyof typeof TABLE7_ROWS;

/** Table 6 weeks (seed 000 §4.2), 0–4. */
export type Table6Week = 0 | 1 | 2 | 3 | 4;

export type Outcome = 'passed' | 'failed' | 'not-run';

export interface Traceability {
  table7?: Table7Row[];
  table6Week?: Table6Week[];
  /** Free requirement references, e.g. spec section "§4.1 PQD API" or a participant's own requirement id. */
  requirements?: string[];
}

/** One HTTP (or WebSocket) exchange a step made, trimmed for evidence. Secrets are redacted. */
export interface Exchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  /** First ≤ 2 KB of the request body as text ('<n bytes gzip>' for binary). */
  requestBody?: string;
  status?: number;
  responseHeaders?: Record<string, string>;
  /** First ≤ 4 KB of the response body as text. */
  responseBody?: string;
  /** The hub's trace id for this exchange (problem `traceId` or response header), when it has one. */
  traceId?: string;
  durationMs: number;
}

export interface AssertionResult {
  /** Readable, e.g. "status is 200", "$.data[0].priority equals 'h'", "MESSAGE_AVAILABLE before 10:05". */
  description: string;
  passed: boolean;
  expected?: unknown;
  actual?: unknown;
}

export interface StepResult {
  index: number;
  phase: 'setup' | 'steps' | 'teardown';
  name: string;
  /** The step's action keyword, e.g. 'submit', 'list', 'clock', 'expectEvent', 'waitFor'. */
  action: string;
  /** Participant the step acted as, if any. */
  as?: string;
  outcome: Outcome;
  /** Readable reason when failed: what was expected, what happened, where. */
  message?: string;
  durationMs: number;
  /** Simulated clock when the step started and ended (ISO 8601 with offset). */
  simulatedStart?: string;
  simulatedEnd?: string;
  exchanges: Exchange[];
  assertions: AssertionResult[];
  /** Values captured by this step (name → value), for the report. */
  captured?: Record<string, unknown>;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** Path of the scenario file relative to the run's working directory. */
  file: string;
  tags: string[];
  priority: 'high' | 'medium' | 'low';
  trace: Traceability;
  mode: 'hub' | 'participant-under-test';
  /** For participant-under-test runs: whose system was judged, and in what role. */
  subject?: { participantId: string; role: 'sender' | 'lnsp' };
  /** Hub settings this scenario ran with instead of the run's (scenario `settings:`; an in-process hub of its own). */
  settings?: Record<string, string>;
  /** Every participant the scenario acted as or judged (for the coverage heatmap). */
  participants: string[];
  outcome: Outcome;
  /** Why not run (filtered by tag, --bail after an earlier failure, setup failed). */
  notRunReason?: string;
  durationMs: number;
  steps: StepResult[];
  /** Ids of DefectRecords raised by this scenario's failures. */
  defectIds: string[];
}

export interface DefectRecord {
  /** DEF-<runId>-<n>, or DEF-<traceId> when captured from a trace id. */
  id: string;
  title: string;
  description: string;
  scenarioId?: string;
  stepIndex?: number;
  traceId?: string;
  detectedBy: string;
  detectedAt: string;
  owner?: string;
  targetFixDate?: string;
  severity: 'critical' | 'high' | 'medium' | 'low';
  priority: 'P1' | 'P2' | 'P3' | 'P4';
  status: 'open' | 'in-progress' | 'resolved' | 'closed' | 'deferred';
  rootCause?: string;
  assignedTo?: string;
  /** What a developer needs to reproduce it. */
  evidence: {
    request?: Exchange;
    /** The RFC 9457 problem body, when the hub refused. */
    problem?: Record<string, unknown>;
    /** Transaction-log rows with this trace id or messageContextId. */
    translogRows?: Array<Record<string, unknown>>;
    settings?: Record<string, string>;
    simulatedClock?: string;
  };
}

export interface Criterion {
  description: string;
  met: boolean;
  detail?: string;
}

export interface RunSummary {
  total: number;
  passed: number;
  failed: number;
  notRun: number;
  highPriority: { total: number; passed: number };
  /** Seed 000 entry criteria, as far as a run can judge them (environment up, participants configured…). */
  entryCriteria: Criterion[];
  /** Seed 000 exit criteria: all high-priority scenarios pass, no open critical/high defects, … */
  exitCriteria: Criterion[];
  openDefects: number;
}

export interface RunEnvironment {
  idxSimVersion: string;
  node: string;
  platform: string;
  target: { kind: 'in-process' } | { kind: 'url'; url: string };
  profile: string;
  /** Seed of the run's randomness (payload generation, fault shares). */
  seed: string;
  /** Effective IDX_SIM_* settings (secrets redacted). */
  settings: Record<string, string>;
  simulatedClockStart: string;
  simulatedClockEnd: string;
}

export interface RunResult {
  schemaVersion: 1;
  runId: string;
  /** Wall-clock times of the run itself (not the simulated clock). */
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  environment: RunEnvironment;
  selection: { paths: string[]; tags: string[]; bail: boolean };
  scenarios: ScenarioResult[];
  defects: DefectRecord[];
  summary: RunSummary;
}
