/**
 * Defect records with the industry test plan's fields (seed 000 §4.7.1: description, scenario, detected
 * by/date, owner, target fix date, severity, priority, status, root cause, assigned to), built from a
 * failed scenario step or from what the hub's journal knows about a trace id, and exported as CSV.
 *
 * Severity says how bad the failure is for the business (seed 000 Table 8), priority how much it holds up
 * testing (Table 9): severity follows the kind of failure, priority the scenario's priority. Owner, target
 * fix date, root cause and assignee are agreed in triage (§4.7.2), so a new record leaves them empty.
 */
import type {
  DefectRecord,
  Exchange,
  RunResult,
  ScenarioResult,
  StepResult,
} from './result-model.js';
import { computeSummary } from './summary.js';
import { stepLabel } from './step-label.js';

/**
 * What went wrong, as far as the evidence shows:
 * - `server-error`: the hub answered 5xx (idx-sim never should for bad input: a hub defect);
 * - `no-answer`: a request got no HTTP answer (connection reset, timeout, hub down);
 * - `setup`: a setup or teardown step failed, so the scenario could not test what it is about;
 * - `expectation`: the hub answered, but not as the scenario expects (status, error code, field, event).
 */
export type FailureKind = 'server-error' | 'no-answer' | 'setup' | 'expectation';

export function classifyFailure(step: StepResult): FailureKind {
  if (step.exchanges.some((e) => e.status !== undefined && e.status >= 500)) return 'server-error';
  if (step.exchanges.length > 0 && step.exchanges.every((e) => e.status === undefined)) return 'no-answer';
  if (step.phase !== 'steps') return 'setup';
  return 'expectation';
}

/** Table 8: 1 Showstopper (critical) · 2 Major (high) · 3 Moderate (medium) · 4 Minor (low). */
export function deriveSeverity(kind: FailureKind, scenarioPriority: ScenarioResult['priority']): DefectRecord['severity'] {
  switch (kind) {
    case 'server-error':
    case 'no-answer':
      // Core processing broke: for a high-priority scenario nothing of its kind can be tested.
      return scenarioPriority === 'high' ? 'critical' : 'high';
    case 'setup':
      // The test set-up (Table 11 "Infrastructure"), not the behaviour under test.
      return 'medium';
    case 'expectation':
      return scenarioPriority === 'high' ? 'high' : scenarioPriority === 'medium' ? 'medium' : 'low';
  }
}

/** Table 9: P1 Blocker · P2 Highest · P3 High · P4 Medium; a failed high-priority scenario blocks exit (§3.3.2). */
export function derivePriority(kind: FailureKind, scenarioPriority: ScenarioResult['priority']): DefectRecord['priority'] {
  if (scenarioPriority === 'high') return kind === 'server-error' || kind === 'no-answer' ? 'P1' : 'P2';
  if (scenarioPriority === 'medium') return 'P3';
  return 'P4';
}

/** The seed's wording of a severity or priority, for people (reports, CSV). */
export const SEVERITY_LABEL: Record<DefectRecord['severity'], string> = {
  critical: '1 - Showstopper', high: '2 - Major', medium: '3 - Moderate', low: '4 - Minor',
};
export const PRIORITY_LABEL: Record<DefectRecord['priority'], string> = {
  P1: '1 - Blocker', P2: '2 - Highest', P3: '3 - High', P4: '4 - Medium',
};

/** The exchange that shows the failure: the last one with an error status, else the last one. */
export function failingExchange(step: StepResult): Exchange | undefined {
  const errored = step.exchanges.filter((e) => e.status === undefined || e.status >= 400);
  return errored.at(-1) ?? step.exchanges.at(-1);
}

/** The RFC 9457 problem in a response body, when it is one. */
export function problemOf(exchange: Exchange | undefined): Record<string, unknown> | undefined {
  if (!exchange?.responseBody) return undefined;
  const type = Object.entries(exchange.responseHeaders ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  try {
    const body = JSON.parse(exchange.responseBody) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)
      && (type.includes('problem+json') || ('title' in body && 'status' in body))) return body as Record<string, unknown>;
  } catch {
    // Not JSON (or cut at the excerpt limit): no problem to show, the excerpt is in the request evidence.
  }
  return undefined;
}

export { stepLabel };

/**
 * Why a step failed, in words: its message without the `step 4 "name": ` the runner puts in front
 * (the report and the defect name the step already), else its first unmet expectation.
 */
export function failureReasonOf(step: Pick<StepResult, 'message' | 'assertions'>): string {
  const message = step.message?.replace(/^(?:(?:setup|teardown) )?step \d+ "(?:[^"\\]|\\.)*": /, '');
  return message || step.assertions.find((a) => !a.passed)?.description || 'the step failed';
}

const oneLine = (text: string, max: number) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

export interface StepDefectInput {
  runId: string;
  /** 1-based number of this defect within the run. */
  n: number;
  scenario: ScenarioResult;
  step: StepResult;
  /** Who ran the test: the participant under test, or the tester's run ("idx-sim scenario run <runId>"). */
  detectedBy: string;
  /** Wall-clock time of detection (ISO 8601). */
  detectedAt: string;
  settings?: Record<string, string>;
  /** Transaction-log rows of the failing exchange's trace id or messageContextId, when the runner fetched them. */
  translogRows?: Array<Record<string, unknown>>;
}

export function buildStepDefect(input: StepDefectInput): DefectRecord {
  const { scenario, step } = input;
  const kind = classifyFailure(step);
  const exchange = failingExchange(step);
  const problem = problemOf(exchange);
  const reason = failureReasonOf(step);
  const failedAssertions = step.assertions.filter((a) => !a.passed)
    .map((a) => `- ${a.description}${a.expected !== undefined ? `; expected ${JSON.stringify(a.expected)}` : ''}${a.actual !== undefined ? `, actual ${JSON.stringify(a.actual)}` : ''}`);
  const description = [
    `Scenario ${scenario.id} "${scenario.title}" (${scenario.priority} priority), ${stepLabel(step)} "${step.name}" (${step.action}${step.as ? ` as ${step.as}` : ''}) failed: ${reason}`,
    ...(failedAssertions.length ? ['', 'Failed expectations:', ...failedAssertions] : []),
    ...(exchange ? ['', `Exchange: ${exchange.method} ${exchange.url} -> ${exchange.status ?? 'no answer'}${exchange.traceId ? ` (trace ${exchange.traceId})` : ''}`] : []),
    ...(scenario.trace.table7?.length ? ['', `Table 7: ${scenario.trace.table7.join(', ')}`] : []),
  ].join('\n');
  return {
    id: `DEF-${input.runId}-${input.n}`,
    title: oneLine(`${scenario.id} ${stepLabel(step)}: ${reason}`, 140),
    description,
    scenarioId: scenario.id,
    stepIndex: step.index,
    ...(exchange?.traceId ? { traceId: exchange.traceId } : {}),
    detectedBy: input.detectedBy,
    detectedAt: input.detectedAt,
    severity: deriveSeverity(kind, scenario.priority),
    priority: derivePriority(kind, scenario.priority),
    status: 'open',
    evidence: {
      ...(exchange ? { request: exchange } : {}),
      ...(problem ? { problem } : {}),
      ...(input.translogRows ? { translogRows: input.translogRows } : {}),
      ...(input.settings ? { settings: input.settings } : {}),
      ...(step.simulatedEnd ?? step.simulatedStart ? { simulatedClock: step.simulatedEnd ?? step.simulatedStart } : {}),
    },
  };
}

/**
 * The run with a defect for the first failed step of every failed scenario that has none yet, and the
 * summary recomputed. One defect per failed scenario: the later steps of a failed scenario usually fail
 * because of the first, and triage (§4.7.2) wants one record per cause, not per symptom.
 */
export function raiseDefects(result: RunResult, detectedBy = `idx-sim scenario run ${result.runId}`): RunResult {
  const defects = [...result.defects];
  const scenarios = result.scenarios.map((scenario) => {
    if (scenario.outcome !== 'failed' || scenario.defectIds.length > 0) return scenario;
    const step = scenario.steps.find((s) => s.outcome === 'failed');
    if (!step) return scenario;
    const defect = buildStepDefect({
      runId: result.runId, n: defects.length + 1, scenario, step,
      detectedBy: scenario.subject ? `${scenario.subject.participantId} (${detectedBy})` : detectedBy,
      detectedAt: result.finishedAt, settings: result.environment.settings,
    });
    defects.push(defect);
    return { ...scenario, defectIds: [defect.id] };
  });
  return { ...result, scenarios, defects, summary: computeSummary(scenarios, defects) };
}

// --- CSV (RFC 4180) ---------------------------------------------------------------------------------

/** Columns in the order of seed 000 §4.7.1, then what a developer needs to find the exchange. */
const CSV_COLUMNS: Array<[string, (d: DefectRecord) => string | number | undefined]> = [
  ['ID', (d) => d.id],
  ['Title', (d) => d.title],
  ['Description', (d) => d.description],
  ['Scenario', (d) => d.scenarioId],
  // 1-based, as the title and the report name it (stepIndex counts from 0).
  ['Step', (d) => (d.stepIndex === undefined ? undefined : d.stepIndex + 1)],
  ['Detected by', (d) => d.detectedBy],
  ['Detected at', (d) => d.detectedAt],
  ['Owner', (d) => d.owner],
  ['Target fix date', (d) => d.targetFixDate],
  ['Severity', (d) => SEVERITY_LABEL[d.severity]],
  ['Priority', (d) => PRIORITY_LABEL[d.priority]],
  ['Status', (d) => d.status],
  ['Root cause', (d) => d.rootCause],
  ['Assigned to', (d) => d.assignedTo],
  ['Trace ID', (d) => d.traceId],
  ['Request', (d) => (d.evidence.request ? `${d.evidence.request.method} ${d.evidence.request.url}` : undefined)],
  ['HTTP status', (d) => d.evidence.request?.status],
  ['Error code', (d) => (typeof d.evidence.problem?.code === 'string' ? d.evidence.problem.code : undefined)],
  ['Simulated clock', (d) => d.evidence.simulatedClock],
];

/**
 * One CSV field: quoted when it holds a comma, quote, CR or LF (quotes doubled), per RFC 4180 §2. Text
 * that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is prefixed with an apostrophe:
 * titles and descriptions quote server output, which must stay data when the CSV is opened (OWASP
 * "CSV injection").
 */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Header line and one line per defect, CRLF line ends (RFC 4180). */
export function defectsToCsv(defects: readonly DefectRecord[]): string {
  const lines = [CSV_COLUMNS.map(([name]) => csvField(name)).join(',')];
  for (const d of defects) lines.push(CSV_COLUMNS.map(([, get]) => csvField(get(d))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
