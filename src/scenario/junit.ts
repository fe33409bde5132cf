/**
 * JUnit XML of a run, in the shape CI tools read (Jenkins, GitLab, GitHub test reporters, Azure): one
 * <testsuite> per scenario file, one <testcase> per scenario (classname = file, name = "id — title"),
 * <failure message="readable reason"> with the failed steps, <skipped message="why"> for not-run ones, and
 * <properties> with the trace ids of the scenario's exchanges and its Table 7 rows.
 */
import type { RunResult, ScenarioResult } from './result-model.js';
import { stepLabel } from './step-label.js';

// XML 1.0 allows only these characters; anything else (control characters from a response body) is dropped.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlEscape(text: string): string {
  return text.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function failureText(s: ScenarioResult): string {
  const lines: string[] = [];
  for (const step of s.steps.filter((x) => x.outcome === 'failed')) {
    lines.push(`${stepLabel(step)} "${step.name}" (${step.action}${step.as ? ` as ${step.as}` : ''}):`);
    for (const a of step.assertions.filter((x) => !x.passed)) lines.push(`  ✗ ${a.description}`);
    for (const e of step.exchanges) lines.push(`  ${e.method} ${e.url} → ${e.status ?? 'no answer'}${e.traceId ? ` (trace ${e.traceId})` : ''}${e.responseBody && (e.status ?? 0) >= 400 ? `\n    ${e.responseBody.slice(0, 500)}` : ''}`);
    if (step.simulatedStart) lines.push(`  simulated clock ${step.simulatedStart} → ${step.simulatedEnd ?? '?'}`);
  }
  return lines.join('\n');
}

function testcase(s: ScenarioResult): string {
  const traceIds = [...new Set(s.steps.flatMap((st) => st.exchanges.map((e) => e.traceId).filter((t): t is string => !!t)))];
  const props = [
    ['priority', s.priority], ['mode', s.mode], ...(s.subject ? [['subject', `${s.subject.participantId} (${s.subject.role})`]] : []),
    ...(s.tags.length ? [['tags', s.tags.join(',')]] : []), ...(s.trace.table7?.length ? [['table7', s.trace.table7.join(',')]] : []),
    ...(s.trace.table6Week?.length ? [['table6Week', s.trace.table6Week.join(',')]] : []),
    ...traceIds.map((t) => ['traceId', t]),
  ];
  const name = `${s.id} — ${s.title}`;
  const body: string[] = [];
  if (props.length) body.push(`      <properties>\n${props.map(([k, v]) => `        <property name="${xmlEscape(k!)}" value="${xmlEscape(v!)}"/>`).join('\n')}\n      </properties>`);
  if (s.outcome === 'failed') {
    const reason = s.steps.find((x) => x.outcome === 'failed')?.message ?? 'failed';
    body.push(`      <failure message="${xmlEscape(reason)}" type="ScenarioFailure">${xmlEscape(failureText(s))}</failure>`);
  } else if (s.outcome === 'not-run') {
    body.push(`      <skipped message="${xmlEscape(s.notRunReason ?? 'not run')}"/>`);
  }
  const stepsLog = s.steps.map((st) => `${st.outcome === 'passed' ? '✓' : st.outcome === 'failed' ? '✗' : '-'} ${st.phase} ${st.index + 1} ${st.name} (${st.durationMs} ms)`).join('\n');
  if (s.steps.length) body.push(`      <system-out>${xmlEscape(stepsLog)}</system-out>`);
  return `    <testcase classname="${xmlEscape(s.file)}" name="${xmlEscape(name)}" time="${seconds(s.durationMs)}"${body.length ? `>\n${body.join('\n')}\n    </testcase>` : '/>'}`;
}

/** The run as JUnit XML: a testsuite per file (or per first tag with `groupBy: 'tag'`). */
export function toJUnit(run: RunResult, groupBy: 'file' | 'tag' = 'file'): string {
  const groups = new Map<string, ScenarioResult[]>();
  for (const s of run.scenarios) {
    const key = groupBy === 'file' ? s.file : (s.tags[0] ?? '(untagged)');
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const suites = [...groups].map(([name, list], i) => {
    const failures = list.filter((s) => s.outcome === 'failed').length;
    const skipped = list.filter((s) => s.outcome === 'not-run').length;
    const time = list.reduce((t, s) => t + s.durationMs, 0);
    return `  <testsuite name="${xmlEscape(name)}" id="${i}" tests="${list.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(time)}" timestamp="${run.startedAt.slice(0, 19)}" hostname="idx-sim">\n` +
      `    <properties>\n      <property name="runId" value="${xmlEscape(run.runId)}"/>\n      <property name="seed" value="${xmlEscape(run.environment.seed)}"/>\n      <property name="idxSimVersion" value="${xmlEscape(run.environment.idxSimVersion)}"/>\n` +
      `      <property name="simulatedClockStart" value="${xmlEscape(run.environment.simulatedClockStart)}"/>\n    </properties>\n` +
      `${list.map(testcase).join('\n')}\n  </testsuite>`;
  });
  const s = run.summary;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="idx-sim scenarios" tests="${s.total}" failures="${s.failed}" errors="0" skipped="${s.notRun}" time="${seconds(run.durationMs)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
