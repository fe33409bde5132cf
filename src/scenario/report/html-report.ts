/**
 * The HTML evidence report of a scenario run (issue #11): one self-contained file (inline CSS and a
 * little inline JS, no external request), opening offline from file://. It shows what seed 004 asks of
 * test evidence — results with the environment they ran in, traceability from requirement to test
 * (Table 7 rows and Table 6 weeks of seed 000, gaps shown), a coverage heatmap — and the test-completion
 * summary in seed 000's shape (§3.3 entry and exit criteria, §4.7 defects).
 *
 * Everything the report quotes from a run (names, messages, request and response excerpts) is server or
 * scenario output: it goes through the escaping `html` template only, and a Content Security Policy lets
 * the page run nothing but its own script and load nothing at all.
 */
import { createHash } from 'node:crypto';
import { html, raw, type SafeHtml } from '../../web/shared/html.js';
import { failureReasonOf, PRIORITY_LABEL, SEVERITY_LABEL, stepLabel } from '../defects.js';
import {
  TABLE7_ROWS,
  type Criterion,
  type DefectRecord,
  type Exchange,
  type Outcome,
  type RunResult,
  type ScenarioResult,
  type StepResult,
  type Table6Week,
  type Table7Row,
} from '../result-model.js';
import { computeSummary, isOpenDefect } from '../summary.js';
import { REPORT_CSS, REPORT_JS } from './assets.js';

/** Seed 000 Table 6 "Suggested Weekly Activities", shortened. */
export const TABLE6_WEEKS: Record<Table6Week, string> = {
  0: 'Code deployment, kick-off, pre-requisite checks',
  1: 'Shakedown, connectivity, submit BPQD data via API',
  2: 'PQD API; IDX APIs: flow control, outbound delivery, participant status, event notifications',
  3: 'PQD API; API rate limits; Web: transaction log and outbound archive',
  4: 'PQD API; Web: transaction log and outbound archive',
};

const OUTCOME_TEXT: Record<Outcome, string> = { passed: 'Passed', failed: 'Failed', 'not-run': 'Not run' };
const OUTCOME_SYMBOL: Record<Outcome, string> = { passed: '✓', failed: '✗', 'not-run': '–' };

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const badge = (outcome: Outcome) =>
  html`<span class="badge badge-${outcome}"><span aria-hidden="true">${OUTCOME_SYMBOL[outcome]} </span>${OUTCOME_TEXT[outcome]}</span>`;

const criterionBadge = (met: boolean) =>
  met ? html`<span class="badge badge-met">✓ Met</span>` : html`<span class="badge badge-unmet">✗ Not met</span>`;

const scenarioAnchor = (i: number) => `scenario-${i + 1}`;
const stepAnchor = (i: number, step: StepResult) => `scenario-${i + 1}-${step.phase}-${step.index}`;
const defectAnchor = (d: DefectRecord, i: number) => `defect-${i + 1}-${d.id.replace(/[^A-Za-z0-9_-]/g, '')}`;

/** JSON bodies pretty-printed (they are easier to read); anything else, or a cut excerpt, as it came. */
function prettyBody(body: string): string {
  const trimmed = body.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(JSON.parse(trimmed), null, 2);
    } catch {
      return body;
    }
  }
  return body;
}

const headerLines = (headers: Record<string, string> | undefined) =>
  Object.entries(headers ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n');

const valueText = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value));

function exchangeView(e: Exchange, label: string): SafeHtml {
  const statusClass = e.status === undefined || e.status >= 400 ? 'status-bad' : 'status-ok';
  const request = [headerLines(e.requestHeaders), e.requestBody === undefined ? '' : `\n${prettyBody(e.requestBody)}`].join('').trim();
  const response = [headerLines(e.responseHeaders), e.responseBody === undefined ? '' : `\n${prettyBody(e.responseBody)}`].join('').trim();
  return html`<section class="exchange" aria-label="${label}">
  <div class="line"><span class="method">${e.method}</span><span class="url">${e.url}</span>
    <span class="${statusClass}">${e.status === undefined ? 'no answer' : `HTTP ${e.status}`}</span>
    <span class="muted">${formatDuration(e.durationMs)}</span>
    ${e.traceId ? html`<span>trace <code>${e.traceId}</code></span>` : ''}</div>
  <div class="io">
    <div><h4>Request</h4><pre class="excerpt" tabindex="0">${request || '(no headers or body recorded)'}</pre></div>
    <div><h4>Response</h4><pre class="excerpt" tabindex="0">${response || '(no answer)'}</pre></div>
  </div>
</section>`;
}

/** A step's expectations, less an unmet one that only repeats the reason already shown above them. */
const shownAssertions = (step: StepResult) =>
  step.assertions.filter((a) => a.passed || a.expected !== undefined || a.actual !== undefined || a.description !== failureReasonOf(step));

function stepView(scenarioIndex: number, step: StepResult): SafeHtml {
  const failed = step.outcome === 'failed';
  const clock = step.simulatedStart
    ? `sim ${step.simulatedStart}${step.simulatedEnd && step.simulatedEnd !== step.simulatedStart ? ` → ${step.simulatedEnd}` : ''}`
    : '';
  const captured = Object.entries(step.captured ?? {});
  return html`<li class="step ${step.outcome}" id="${stepAnchor(scenarioIndex, step)}">
<details${failed ? raw(' open') : ''}>
  <summary>${step.phase === 'steps' ? html`<span class="idx">${step.index + 1}.</span>` : html`<span class="idx phase">${step.phase} ${step.index + 1}</span>`}${badge(step.outcome)}
    <span class="name">${step.name}</span><span class="action">${step.action}</span>${step.as ? html`<span class="muted">as ${step.as}</span>` : ''}
    <span class="timing">${formatDuration(step.durationMs)}${clock ? ` · ${clock}` : ''}</span></summary>
  <div class="step-body">
    ${failed ? html`<p class="reason" role="note"><strong>Why it failed:</strong> ${failureReasonOf(step)}</p>` : ''}
    ${shownAssertions(step).length ? html`<ul class="assertions" aria-label="Expectations">${shownAssertions(step).map((a) => html`<li>
      ${a.passed ? html`<span class="ok">✓<span class="sr-only"> met:</span></span>` : html`<span class="ko">✗<span class="sr-only"> not met:</span></span>`} ${a.description}
      ${a.passed || (a.expected === undefined && a.actual === undefined) ? '' : html`<span class="vals"> — expected ${valueText(a.expected)}, got ${valueText(a.actual)}</span>`}</li>`)}</ul>` : ''}
    ${step.exchanges.map((e, n) => exchangeView(e, `Exchange ${n + 1} of ${stepLabel(step)}`))}
    ${captured.length ? html`<dl class="kv" aria-label="Captured values">${captured.map(([k, v]) => html`<dt>captured <code>${k}</code></dt><dd><code>${valueText(v)}</code></dd>`)}</dl>` : ''}
    ${!failed && !step.assertions.length && !step.exchanges.length && !captured.length ? html`<p class="muted">No exchanges or expectations recorded.</p>` : ''}
  </div>
</details></li>`;
}

function scenarioView(s: ScenarioResult, i: number, defects: Map<string, [DefectRecord, number]>): SafeHtml {
  const refs: SafeHtml[] = [];
  if (s.trace.table7?.length) refs.push(html`Table 7: ${s.trace.table7.map((r) => html`<abbr title="${TABLE7_ROWS[r] ?? r}">${r}</abbr> `)}`);
  if (s.trace.table6Week?.length) refs.push(html`Table 6: week ${s.trace.table6Week.join(', ')}`);
  if (s.trace.requirements?.length) refs.push(html`Requirements: ${s.trace.requirements.join('; ')}`);
  if (s.subject) refs.push(html`Under test: <strong>${s.subject.participantId}</strong> (${s.subject.role === 'lnsp' ? 'LNSP receiver' : 'MC/MDP sender'})`);
  refs.push(html`File <code>${s.file}</code>`);
  const linked = s.defectIds.map((id) => defects.get(id)).filter((d): d is [DefectRecord, number] => d !== undefined);
  return html`<article class="scenario ${s.outcome}" id="${scenarioAnchor(i)}" data-outcome="${s.outcome}" data-tags="${s.tags.join(' ')}" aria-labelledby="${scenarioAnchor(i)}-title">
<header>${badge(s.outcome)}<h3 id="${scenarioAnchor(i)}-title"><code>${s.id}</code> ${s.title}</h3>
  <span class="meta">${s.priority} priority · ${s.mode === 'hub' ? 'hub rehearsal' : 'participant under test'} · ${formatDuration(s.durationMs)} · ${s.steps.length} steps</span>
  <span>${s.tags.map((t) => html`<span class="tag">${t}</span>`)}</span>
  ${linked.map(([d, n]) => html`<a href="#${defectAnchor(d, n)}">${d.id}</a>`)}</header>
<p class="refs">${refs.map((r, n) => html`${n ? ' · ' : ''}${r}`)}</p>
${s.outcome === 'not-run' ? html`<p class="not-run-reason"><strong>Not run:</strong> ${s.notRunReason ?? 'no reason recorded'}</p>` : ''}
${s.steps.length ? html`<ol class="steps" aria-label="Steps of ${s.id}">${s.steps.map((st) => stepView(i, st))}</ol>` : ''}
</article>`;
}

function criteriaTable(caption: string, criteria: Criterion[]): SafeHtml {
  return html`<div class="table-wrap"><table><caption class="sr-only">${caption}</caption>
<thead><tr><th scope="col">${caption}</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
<tbody>${criteria.map((c) => html`<tr><th scope="row">${c.description}</th><td>${criterionBadge(c.met)}</td><td>${c.detail ?? ''}</td></tr>`)}</tbody></table></div>`;
}

/** Stacked bar of passed / failed / not run; decorative (the numbers are in the cards beside it). */
function summaryBar(passed: number, failed: number, notRun: number): SafeHtml {
  const total = passed + failed + notRun;
  if (total === 0) return html``;
  let x = 0;
  const parts = ([[passed, '#1d6b3a'], [failed, '#a4161a'], [notRun, '#c9a227']] as Array<[number, string]>).map(([n, fill]) => {
    const width = (n / total) * 1000;
    const rect = `<rect x="${x.toFixed(1)}" y="0" width="${width.toFixed(1)}" height="14" fill="${fill}"/>`;
    x += width;
    return rect;
  });
  return raw(`<svg class="bar" viewBox="0 0 1000 14" preserveAspectRatio="none" aria-hidden="true" focusable="false">${parts.join('')}</svg>`);
}

/** What a participant's cell in the heatmap says: the scenario's outcome, and the step that failed as that participant. */
function heatCell(s: ScenarioResult, participant: string): { outcome: Outcome | 'absent'; text: string } {
  if (!s.participants.includes(participant) && s.subject?.participantId !== participant) return { outcome: 'absent', text: '·' };
  if (s.outcome !== 'failed') return { outcome: s.outcome, text: `${OUTCOME_SYMBOL[s.outcome]} ${s.outcome === 'passed' ? 'Pass' : 'Not run'}` };
  const own = s.steps.find((st) => st.outcome === 'failed' && (st.as === participant || s.subject?.participantId === participant));
  return { outcome: 'failed', text: own ? `✗ Fail (${stepLabel(own)})` : '✗ Fail' };
}

function heatmap(scenarios: ScenarioResult[]): SafeHtml {
  const participants = [...new Set(scenarios.flatMap((s) => [...s.participants, ...(s.subject ? [s.subject.participantId] : [])]))].sort();
  if (participants.length === 0) return html`<p class="muted">No scenario names a participant.</p>`;
  const totals = participants.map((p) => {
    const cells = scenarios.map((s) => heatCell(s, p).outcome);
    return { passed: cells.filter((c) => c === 'passed').length, failed: cells.filter((c) => c === 'failed').length, notRun: cells.filter((c) => c === 'not-run').length };
  });
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="Coverage heatmap, scrollable"><table class="heatmap">
<caption class="sr-only">Coverage heatmap: one row per scenario, one column per participant; each cell is the scenario's outcome for a participant it involves.</caption>
<thead><tr><th scope="col">Scenario</th>${participants.map((p) => html`<th scope="col" class="participant">${p}</th>`)}</tr></thead>
<tbody>${scenarios.map((s, i) => html`<tr><th scope="row"><a href="#${scenarioAnchor(i)}"><code>${s.id}</code></a><span class="title">${s.title}</span></th>
${participants.map((p) => {
    const cell = heatCell(s, p);
    return html`<td class="cell ${cell.outcome}">${cell.outcome === 'absent' ? html`<span aria-hidden="true">·</span><span class="sr-only">not involved</span>` : cell.text}</td>`;
  })}</tr>`)}</tbody>
<tfoot><tr><th scope="row">Per participant</th>${totals.map((t) => html`<td>${t.passed} pass · ${t.failed} fail${t.notRun ? ` · ${t.notRun} not run` : ''}</td>`)}</tr></tfoot>
</table></div>`;
}

function rollup(scenarios: Array<[ScenarioResult, number]>): SafeHtml {
  if (scenarios.length === 0) return html`<span class="badge badge-gap">✗ Gap: no scenario</span>`;
  const outcomes = scenarios.map(([s]) => s.outcome);
  const outcome: Outcome = outcomes.includes('failed') ? 'failed' : outcomes.every((o) => o === 'passed') ? 'passed' : 'not-run';
  return badge(outcome);
}

function traceability(scenarios: ScenarioResult[]): SafeHtml {
  const indexed = scenarios.map((s, i) => [s, i] as [ScenarioResult, number]);
  const link = ([s, i]: [ScenarioResult, number]) => html`<a href="#${scenarioAnchor(i)}"><code>${s.id}</code></a> <span class="muted">(${OUTCOME_TEXT[s.outcome].toLowerCase()})</span>`;
  const joinLinks = (items: Array<[ScenarioResult, number]>) => items.map((item, n) => html`${n ? ', ' : ''}${link(item)}`);
  const rows = (Object.keys(TABLE7_ROWS) as Table7Row[]).map((row) => [row, indexed.filter(([s]) => s.trace.table7?.includes(row))] as const);
  const gaps = rows.filter(([, covering]) => covering.length === 0).length;
  const weeks = ([0, 1, 2, 3, 4] as Table6Week[]).map((w) => [w, indexed.filter(([s]) => s.trace.table6Week?.includes(w))] as const);
  return html`<p class="lead">${rows.length - gaps} of ${rows.length} Table 7 scenarios covered${gaps ? html` — <strong>${gaps} gap${gaps === 1 ? '' : 's'}</strong>` : ''}.</p>
<h3 id="trace-table7">Table 7 scenarios → tests</h3>
<div class="table-wrap"><table aria-labelledby="trace-table7">
<thead><tr><th scope="col">Table 7 row</th><th scope="col">Description (seed 000 §4.3)</th><th scope="col">Scenarios</th><th scope="col">Status</th></tr></thead>
<tbody>${rows.map(([row, covering]) => html`<tr><th scope="row"><code>${row}</code></th><td>${TABLE7_ROWS[row]}</td><td>${covering.length ? joinLinks(covering) : html`<span class="muted">none</span>`}</td><td>${rollup(covering)}</td></tr>`)}</tbody></table></div>
<div class="grid-2">
<div><h3 id="trace-scenarios">Scenario → Table 7 row / Table 6 week</h3>
<div class="table-wrap"><table aria-labelledby="trace-scenarios">
<thead><tr><th scope="col">Scenario</th><th scope="col">Table 7</th><th scope="col">Week</th><th scope="col">Outcome</th></tr></thead>
<tbody>${indexed.map(([s, i]) => html`<tr><th scope="row"><a href="#${scenarioAnchor(i)}"><code>${s.id}</code></a></th>
<td>${s.trace.table7?.length ? s.trace.table7.join(', ') : html`<span class="muted">—</span>`}${s.trace.requirements?.length ? html`<br><span class="muted">${s.trace.requirements.join('; ')}</span>` : ''}</td>
<td>${s.trace.table6Week?.length ? s.trace.table6Week.join(', ') : html`<span class="muted">—</span>`}</td><td>${badge(s.outcome)}</td></tr>`)}</tbody></table></div></div>
<div><h3 id="trace-table6">Table 6 weeks → tests</h3>
<div class="table-wrap"><table aria-labelledby="trace-table6">
<thead><tr><th scope="col">Week</th><th scope="col">Activities (seed 000 §4.2)</th><th scope="col">Scenarios</th></tr></thead>
<tbody>${weeks.map(([w, covering]) => html`<tr><th scope="row">${w}</th><td>${TABLE6_WEEKS[w]}</td><td>${covering.length ? `${covering.length} scenario${covering.length === 1 ? '' : 's'}, ${covering.filter(([s]) => s.outcome === 'passed').length} passed` : html`<span class="muted">none</span>`}</td></tr>`)}</tbody></table></div></div>
</div>`;
}

function defectsView(defects: DefectRecord[], scenarios: ScenarioResult[]): SafeHtml {
  if (defects.length === 0) return html`<p>No defects were raised in this run.</p>`;
  const scenarioIndex = new Map(scenarios.map((s, i) => [s.id, i]));
  const scenarioLink = (id: string | undefined) => {
    if (id === undefined) return html`<span class="muted">—</span>`;
    const i = scenarioIndex.get(id);
    return i === undefined ? html`<code>${id}</code>` : html`<a href="#${scenarioAnchor(i)}"><code>${id}</code></a>`;
  };
  return html`<div class="table-wrap"><table>
<caption class="sr-only">Defects raised in this run</caption>
<thead><tr><th scope="col">ID</th><th scope="col">Title</th><th scope="col">Severity</th><th scope="col">Priority</th><th scope="col">Status</th><th scope="col">Scenario</th><th scope="col">Trace ID</th></tr></thead>
<tbody>${defects.map((d, i) => html`<tr id="${defectAnchor(d, i)}"><th scope="row" class="nowrap"><code>${d.id}</code></th>
<td><details><summary>${d.title}</summary><pre class="excerpt" tabindex="0">${d.description}</pre>
${d.evidence.problem ? html`<p><strong>Problem body</strong></p><pre class="excerpt" tabindex="0">${JSON.stringify(d.evidence.problem, null, 2)}</pre>` : ''}
${d.evidence.translogRows?.length ? html`<p><strong>Transaction-log rows</strong></p><pre class="excerpt" tabindex="0">${d.evidence.translogRows.map((r) => JSON.stringify(r)).join('\n')}</pre>` : ''}
<p class="muted">Detected by ${d.detectedBy} at ${d.detectedAt}${d.evidence.simulatedClock ? ` · simulated clock ${d.evidence.simulatedClock}` : ''}${d.owner ? ` · owner ${d.owner}` : ''}${d.targetFixDate ? ` · target fix ${d.targetFixDate}` : ''}${d.rootCause ? ` · cause ${d.rootCause}` : ''}</p></details></td>
<td class="nowrap sev-${d.severity}">${SEVERITY_LABEL[d.severity]}</td><td class="nowrap">${PRIORITY_LABEL[d.priority]}</td><td>${d.status}</td>
<td>${scenarioLink(d.scenarioId)}${d.stepIndex === undefined ? '' : ` step ${d.stepIndex + 1}`}</td><td class="nowrap">${d.traceId ? html`<code>${d.traceId}</code>` : ''}</td></tr>`)}</tbody></table></div>`;
}

function failuresView(scenarios: ScenarioResult[]): SafeHtml {
  const failures = scenarios.flatMap((s, i) => s.steps.filter((st) => st.outcome === 'failed').map((st) => [s, i, st] as const));
  if (failures.length === 0) return html``;
  return html`<section class="panel" id="failures" aria-labelledby="failures-title">
<h2 id="failures-title">Failures <span class="badge badge-failed">${failures.length} failed step${failures.length === 1 ? '' : 's'}</span></h2>
<ul class="failure-list">${failures.map(([s, i, st]) => {
    const trace = st.exchanges.map((e) => e.traceId).filter(Boolean).at(-1);
    return html`<li class="failure"><a class="where" href="#${stepAnchor(i, st)}"><code>${s.id}</code> · ${stepLabel(st)}: ${st.name}</a>
  <span class="muted"> (${st.action}${st.as ? ` as ${st.as}` : ''}${trace ? `, trace ${trace}` : ''})</span>
  <p class="reason">${failureReasonOf(st)}</p></li>`;
  })}</ul></section>`;
}

function environmentView(result: RunResult): SafeHtml {
  const env = result.environment;
  const settings = Object.entries(env.settings).sort(([a], [b]) => a.localeCompare(b));
  return html`<div class="grid-2"><dl class="kv">
<dt>idx-sim version</dt><dd>${env.idxSimVersion}</dd>
<dt>Target</dt><dd>${env.target.kind === 'url' ? html`<code>${env.target.url}</code>` : 'in-process hub'}</dd>
<dt>Profile</dt><dd>${env.profile}</dd>
<dt>Seed</dt><dd><code>${env.seed}</code></dd>
<dt>Simulated clock</dt><dd>${env.simulatedClockStart} → ${env.simulatedClockEnd}</dd>
<dt>Node.js</dt><dd>${env.node}</dd>
<dt>Platform</dt><dd>${env.platform}</dd>
<dt>Run</dt><dd><code>${result.runId}</code>, ${result.startedAt} → ${result.finishedAt}</dd>
<dt>Selection</dt><dd>${result.selection.paths.join(', ') || '—'}${result.selection.tags.length ? ` · tags ${result.selection.tags.join(', ')}` : ''}${result.selection.bail ? ' · --bail' : ''}</dd>
</dl>
<div><h3 id="settings-title">Settings</h3>${settings.length
    ? html`<div class="table-wrap"><table aria-labelledby="settings-title"><thead><tr><th scope="col">Setting</th><th scope="col">Value</th></tr></thead>
<tbody>${settings.map(([k, v]) => html`<tr><th scope="row"><code>${k}</code></th><td><code>${v}</code></td></tr>`)}</tbody></table></div>`
    : html`<p class="muted">All settings at their defaults.</p>`}</div></div>`;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function renderHtmlReport(result: RunResult): string {
  const { scenarios } = result;
  // Recomputed rather than trusted, so the report and its counts can never disagree.
  const summary = computeSummary(scenarios, result.defects);
  // The run's own verdict (what CI's exit code says); whether it is enough to exit testing is the completion section's.
  const verdict: 'passed' | 'failed' = summary.failed === 0 ? 'passed' : 'failed';
  const exitMet = summary.exitCriteria.every((c) => c.met);
  const defects = new Map(result.defects.map((d, i) => [d.id, [d, i] as [DefectRecord, number]]));
  const openDefects = result.defects.filter(isOpenDefect);
  const tags = [...new Set(scenarios.flatMap((s) => s.tags))].sort();
  const csp = `default-src 'none'; style-src ${sha256(REPORT_CSS)}; script-src ${sha256(REPORT_JS)}; img-src data:; base-uri 'none'; form-action 'none'`;
  const title = `idx-sim evidence — run ${result.runId}: ${summary.passed}/${summary.total} passed`;

  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${raw(REPORT_CSS)}</style>
</head>
<body>
<a class="skip-link" href="#main">Skip to the report</a>
<header class="site-header">
  <div><p class="kicker">idx-sim · scenario run evidence</p>
  <h1>Run <code>${result.runId}</code></h1>
  <p class="run-meta">${result.startedAt} · ${formatDuration(result.durationMs)} · idx-sim ${result.environment.idxSimVersion} · profile ${result.environment.profile}</p></div>
  <p class="verdict verdict-${verdict}">${verdict === 'passed' ? '✓ PASSED' : '✗ FAILED'}<span class="sr-only"> overall</span>${summary.notRun ? html`<span class="verdict-note"> · ${summary.notRun} not run</span>` : ''}</p>
</header>
<nav class="site-nav" aria-label="Report sections"><ul>
  <li><a href="#summary">Summary</a></li>${summary.failed ? html`<li><a href="#failures">Failures</a></li>` : ''}
  <li><a href="#completion">Completion</a></li><li><a href="#defects">Defects</a></li><li><a href="#traceability">Traceability</a></li>
  <li><a href="#coverage">Coverage</a></li><li><a href="#scenarios">Scenarios</a></li><li><a href="#environment">Environment</a></li>
</ul></nav>
<main id="main">
<section class="panel" id="summary" aria-labelledby="summary-title">
  <h2 id="summary-title">Summary</h2>
  <ul class="cards">
    <li class="card"><span class="value">${summary.total}</span><span class="label">scenarios</span></li>
    <li class="card passed"><span class="value">${summary.passed}</span><span class="label">passed</span></li>
    <li class="card failed"><span class="value">${summary.failed}</span><span class="label">failed</span></li>
    <li class="card not-run"><span class="value">${summary.notRun}</span><span class="label">not run</span></li>
    <li class="card"><span class="value">${summary.highPriority.passed}/${summary.highPriority.total}</span><span class="label">high priority passed</span></li>
    <li class="card"><span class="value">${summary.openDefects}</span><span class="label">open defects</span></li>
    <li class="card"><span class="value">${formatDuration(result.durationMs)}</span><span class="label">duration</span></li>
  </ul>
  ${summaryBar(summary.passed, summary.failed, summary.notRun)}
  <ul class="legend"><li><span class="swatch passed" aria-hidden="true"></span>${summary.passed} passed</li><li><span class="swatch failed" aria-hidden="true"></span>${summary.failed} failed</li><li><span class="swatch not-run" aria-hidden="true"></span>${summary.notRun} not run</li>
  <li>Simulated clock ${result.environment.simulatedClockStart} → ${result.environment.simulatedClockEnd}</li></ul>
</section>
${failuresView(scenarios)}
<section class="panel" id="completion" aria-labelledby="completion-title">
  <h2 id="completion-title">Test completion <span class="badge ${exitMet ? 'badge-met' : 'badge-unmet'}">${exitMet ? '✓ Exit criteria met' : '✗ Exit criteria not met'}</span></h2>
  <p class="lead">In the shape of AEMO's industry test plan (seed 000 §3.3 entry and exit criteria, §4.7 defects): ${summary.total} run, ${summary.passed} passed, ${summary.failed} failed, ${summary.notRun} not run; ${openDefects.length} open defect${openDefects.length === 1 ? '' : 's'}.</p>
  <div class="grid-2">${criteriaTable('Entry criterion (§3.3.1)', summary.entryCriteria)}${criteriaTable('Exit criterion (§3.3.2)', summary.exitCriteria)}</div>
</section>
<section class="panel" id="defects" aria-labelledby="defects-title">
  <h2 id="defects-title">Defects <span class="badge ${openDefects.length ? 'badge-failed' : 'badge-neutral'}">${openDefects.length} open</span></h2>
  ${defectsView(result.defects, scenarios)}
</section>
<section class="panel" id="traceability" aria-labelledby="traceability-title">
  <h2 id="traceability-title">Traceability</h2>
  ${traceability(scenarios)}
</section>
<section class="panel" id="coverage" aria-labelledby="coverage-title">
  <h2 id="coverage-title">Coverage heatmap</h2>
  <p class="lead">Participant × scenario: each participant a scenario acted as or judged, and how that scenario ended (✓ Pass, ✗ Fail with the step that failed as that participant, – Not run; · not involved).</p>
  ${heatmap(scenarios)}
</section>
<section class="panel" id="scenarios" aria-labelledby="scenarios-title">
  <h2 id="scenarios-title">Scenarios</h2>
  <div class="toolbar" role="group" aria-label="Filter scenarios">
    <label><input type="checkbox" id="filter-failed"> Failed only</label>
    <label for="filter-tag">Tag</label><select id="filter-tag"><option value="">All tags</option>${tags.map((t) => html`<option value="${t}">${t}</option>`)}</select>
    <label for="filter-text">Search</label><input type="search" id="filter-text" placeholder="id, title, trace id…">
    <button type="button" id="expand-all">Expand all</button><button type="button" id="collapse-all">Collapse all</button>
    <span class="count" id="filter-count" aria-live="polite">Showing ${scenarios.length} of ${scenarios.length} scenarios</span>
  </div>
  ${scenarios.length ? scenarios.map((s, i) => scenarioView(s, i, defects)) : html`<p>No scenario was selected.</p>`}
</section>
<section class="panel" id="environment" aria-labelledby="environment-title">
  <h2 id="environment-title">Environment</h2>
  ${environmentView(result)}
</section>
</main>
<footer class="site-footer">Written by idx-sim ${result.environment.idxSimVersion} from results.json (schema ${result.schemaVersion}). Self-contained: opens offline, loads nothing.</footer>
<script>${raw(REPORT_JS)}</script>
</body>
</html>
`;
  return page.value;
}
