/**
 * The test-completion summary as Markdown, for pasting into a daily status email or a ticket (seed 000
 * §4.5.1 daily test status: execution progress, issues preventing progress, open defects; §3.3 entry and
 * exit criteria). Seed 004 §9.4 adds why tests were not run and the environment they ran in.
 */
import { failureReasonOf, PRIORITY_LABEL, SEVERITY_LABEL, stepLabel } from '../defects.js';
import type { Criterion, RunResult } from '../result-model.js';
import { computeSummary, isOpenDefect } from '../summary.js';
import { formatDuration } from './html-report.js';

/** Text for a Markdown table cell or list item: one line, `|` and markup characters neutralised. */
export function mdText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/([\\`*_[\]<>|#])/g, '\\$1');
}

/** Inline code that cannot be closed early by the text it holds. */
const mdCode = (text: string) => {
  const line = text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
  const fence = line.includes('`') ? '`` ' : '`';
  return `${fence}${line}${fence === '`` ' ? ' ``' : '`'}`;
};

const criteria = (items: Criterion[]) =>
  items.map((c) => `- [${c.met ? 'x' : ' '}] ${c.met ? 'Met' : '**Not met**'}: ${mdText(c.description)}${c.detail ? ` — ${mdText(c.detail)}` : ''}`);

export function renderCompletionSummary(result: RunResult): string {
  const summary = computeSummary(result.scenarios, result.defects);
  const env = result.environment;
  const exitMet = summary.exitCriteria.every((c) => c.met);
  const open = result.defects.filter(isOpenDefect);
  const failedSteps = result.scenarios.flatMap((s) =>
    s.steps.filter((st) => st.outcome === 'failed').slice(0, 1).map((st) => ({ s, st })));
  const notRun = result.scenarios.filter((s) => s.outcome === 'not-run');
  const lines = [
    `# Test completion summary: idx-sim run ${mdCode(result.runId)}`,
    '',
    `**${summary.failed === 0 ? 'PASSED' : 'FAILED'}**: ${summary.passed} of ${summary.total} scenarios passed; exit criteria ${exitMet ? 'met' : '**not met**'}; ${open.length} open defect${open.length === 1 ? '' : 's'}.`,
    '',
    '| Run | Passed | Failed | Not run | High priority passed | Open defects | Duration |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    `| ${summary.total} | ${summary.passed} | ${summary.failed} | ${summary.notRun} | ${summary.highPriority.passed} of ${summary.highPriority.total} | ${summary.openDefects} | ${formatDuration(result.durationMs)} |`,
    '',
    '## Entry criteria (seed 000 §3.3.1)',
    '',
    ...criteria(summary.entryCriteria),
    '',
    '## Exit criteria (seed 000 §3.3.2)',
    '',
    ...criteria(summary.exitCriteria),
  ];
  if (failedSteps.length) {
    lines.push('', '## Failed scenarios', '');
    for (const { s, st } of failedSteps) {
      const trace = st.exchanges.map((e) => e.traceId).filter(Boolean).at(-1);
      lines.push(`- ${mdCode(s.id)} ${mdText(s.title)} (${s.priority}): ${stepLabel(st)} ${mdText(st.name)}: ${mdText(failureReasonOf(st))}${trace ? ` (trace ${mdCode(trace)})` : ''}`);
    }
  }
  if (notRun.length) {
    lines.push('', '## Not run', '');
    for (const s of notRun) lines.push(`- ${mdCode(s.id)} ${mdText(s.title)}: ${mdText(s.notRunReason ?? 'no reason recorded')}`);
  }
  lines.push('', `## Open defects (${open.length})`, '');
  if (open.length) {
    lines.push('| ID | Severity | Priority | Status | Scenario | Trace ID | Title |', '|---|---|---|---|---|---|---|');
    for (const d of open) {
      lines.push(`| ${mdCode(d.id)} | ${SEVERITY_LABEL[d.severity]} | ${PRIORITY_LABEL[d.priority]} | ${d.status} | ${d.scenarioId ? mdCode(d.scenarioId) : ''} | ${d.traceId ? mdCode(d.traceId) : ''} | ${mdText(d.title)} |`);
    }
  } else {
    lines.push('None.');
  }
  lines.push(
    '',
    '## Environment',
    '',
    `idx-sim ${mdText(env.idxSimVersion)} · ${env.target.kind === 'url' ? `hub at ${mdCode(env.target.url)}` : 'in-process hub'} · profile ${mdText(env.profile)} · seed ${mdCode(env.seed)} · simulated clock ${mdText(env.simulatedClockStart)} → ${mdText(env.simulatedClockEnd)} · Node.js ${mdText(env.node)} on ${mdText(env.platform)} · run ${mdText(result.startedAt)} → ${mdText(result.finishedAt)}`,
    '',
  );
  return lines.join('\n');
}
