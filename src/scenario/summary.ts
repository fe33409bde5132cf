/**
 * The test-completion summary of a run, in the shape of AEMO's industry test plan (seed 000): counts of
 * run / passed / failed / not run, §3.3.1 entry criteria and §3.3.2 exit criteria as far as one run can
 * judge them, and the open defects (§4.7). The JSON writer, the HTML report and the Markdown completion
 * summary all show this one computation.
 */
import {
  TABLE7_ROWS,
  type Criterion,
  type DefectRecord,
  type RunSummary,
  type ScenarioResult,
  type Table7Row,
} from './result-model.js';

/** Statuses that still need someone's action (seed 000 Table 10: everything before Closed/Rejected). */
const OPEN_STATUSES: ReadonlySet<DefectRecord['status']> = new Set(['open', 'in-progress', 'deferred']);

export function isOpenDefect(defect: DefectRecord): boolean {
  return OPEN_STATUSES.has(defect.status);
}

/** Table 7 rows no scenario of the run traces to (gaps in the traceability matrix). */
export function uncoveredTable7Rows(scenarios: readonly ScenarioResult[]): Table7Row[] {
  const covered = new Set(scenarios.flatMap((s) => s.trace.table7 ?? []));
  return (Object.keys(TABLE7_ROWS) as Table7Row[]).filter((row) => !covered.has(row));
}

const list = (items: string[], max = 5) =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;

export function computeSummary(scenarios: readonly ScenarioResult[], defects: readonly DefectRecord[]): RunSummary {
  const count = (outcome: ScenarioResult['outcome']) => scenarios.filter((s) => s.outcome === outcome).length;
  const high = scenarios.filter((s) => s.priority === 'high');
  const highFailedOrNotRun = high.filter((s) => s.outcome !== 'passed').map((s) => s.id);
  const open = defects.filter(isOpenDefect);
  const blocking = open.filter((d) => d.priority === 'P1' || d.priority === 'P2');
  const unagreed = open.filter((d) => (d.priority === 'P3' || d.priority === 'P4') && !(d.owner && d.targetFixDate));
  const executed = scenarios.filter((s) => s.outcome !== 'not-run');
  const setupFailures = scenarios.filter((s) => s.steps.some((st) => st.phase === 'setup' && st.outcome === 'failed')).map((s) => s.id);
  const answered = scenarios.some((s) => s.steps.some((st) => st.exchanges.some((e) => e.status !== undefined)));
  const gaps = uncoveredTable7Rows(scenarios);
  const notRun = scenarios.filter((s) => s.outcome === 'not-run').map((s) => s.id);

  const entryCriteria: Criterion[] = [
    {
      // §3.3.1 "Ensure the Pre-production environment is available, and all relevant functionality is available"
      description: 'Test environment available: the hub answered the run\'s requests',
      met: answered,
      ...(answered ? {} : { detail: executed.length === 0 ? 'no scenario was executed' : 'no request got an HTTP answer' }),
    },
    {
      // §3.3.1 "Test data preparation" and "Prerequisite as per section 3.2" (participants, certificates, standing data)
      description: 'Test data and participants prepared: every scenario\'s setup succeeded',
      met: setupFailures.length === 0,
      ...(setupFailures.length ? { detail: `setup failed in ${list(setupFailures)}` } : {}),
    },
    {
      // §3.3.1 "Ensure relevant Test Plan is complete": every Table 7 scenario has a test
      description: 'Test plan complete: every Table 7 scenario has a scenario tracing to it',
      met: gaps.length === 0,
      ...(gaps.length ? { detail: `no scenario for ${list(gaps, 10)}` } : {}),
    },
  ];

  const exitCriteria: Criterion[] = [
    {
      description: 'Successful completion of all high-priority test scenarios',
      met: high.length > 0 && highFailedOrNotRun.length === 0,
      detail: high.length === 0
        ? 'no high-priority scenario in this run'
        : highFailedOrNotRun.length === 0
          ? `${high.length} of ${high.length} passed`
          : `${high.length - highFailedOrNotRun.length} of ${high.length} passed; not passed: ${list(highFailedOrNotRun)}`,
    },
    {
      description: 'No outstanding Priority 1 or Priority 2 defects',
      met: blocking.length === 0,
      ...(blocking.length ? { detail: `${blocking.length} open: ${list(blocking.map((d) => d.id))}` } : {}),
    },
    {
      description: 'Any open Priority 3 or 4 defects have an agreed resolution (owner and target fix date)',
      met: unagreed.length === 0,
      ...(unagreed.length ? { detail: `without owner or target fix date: ${list(unagreed.map((d) => d.id))}` } : {}),
    },
    {
      // Seed 004 §12.6(a): "all planned tests have been executed"
      description: 'All selected scenarios executed',
      met: notRun.length === 0,
      ...(notRun.length ? { detail: `not run: ${list(notRun)}` } : {}),
    },
  ];

  return {
    total: scenarios.length,
    passed: count('passed'),
    failed: count('failed'),
    notRun: count('not-run'),
    highPriority: { total: high.length, passed: high.length - highFailedOrNotRun.length },
    entryCriteria,
    exitCriteria,
    openDefects: open.length,
  };
}
