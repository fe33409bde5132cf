/**
 * The evidence a run leaves for people (issue #11): the HTML report (self-contained, XSS-safe, with the
 * traceability matrix and heatmap), the Markdown completion summary, the summary's entry and exit
 * criteria (seed 000 §3.3), and writeReports' three files. The browser side (layout, filters, axe) is in
 * test/browser/evidence-report.test.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { raiseDefects } from '../../src/scenario/defects.js';
import { renderCompletionSummary, renderHtmlReport, writeReports } from '../../src/scenario/report/index.js';
import { formatDuration } from '../../src/scenario/report/html-report.js';
import { mdText } from '../../src/scenario/report/completion-summary.js';
import type { RunResult } from '../../src/scenario/result-model.js';
import { computeSummary, uncoveredTable7Rows } from '../../src/scenario/summary.js';
import { fixtureRunResult } from '../helpers/run-result-fixture.js';

/** Text of the HTML with the tags removed and the five entities decoded: what a reader sees. */
const visibleText = (html: string) =>
  html.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#96;/g, '`').replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

/** Every start tag, its quoted attribute values emptied: values are escaped text (no bare `"` fits in one), so what is left is markup. */
const startTags = (html: string) => (html.match(/<[a-z][^>]*>/gi) ?? []).map((tag) => tag.replace(/"[^"]*"/g, '""'));

const withoutDefects = (r: RunResult): RunResult => ({ ...r, defects: [], scenarios: r.scenarios.map((s) => ({ ...s, defectIds: [] })) });

describe('renderHtmlReport', () => {
  it('quotes hostile server and scenario strings as text: no injected element, attribute or script survives', () => {
    const page = renderHtmlReport(raiseDefects(withoutDefects(fixtureRunResult({ hostile: true }))));
    // The only elements that may run or load anything are the report's own <style> and <script>.
    expect(page.match(/<script\b/g)).toHaveLength(1);
    expect(page.match(/<style\b/g)).toHaveLength(1);
    expect(page).not.toMatch(/<img\b/i);
    expect(page).not.toMatch(/<a href="https?:/i);
    expect(startTags(page).filter((tag) => /\son\w+=|\sstyle=|\ssrc=/i.test(tag))).toEqual([]);
    // …while the reader still sees exactly what the server said.
    expect(visibleText(page)).toContain('<script>alert(1)</script><img src=x onerror=alert(2)>');
    // A tag value goes into data-tags and <option value>: quotes are escaped, so it cannot break out.
    expect(page).toContain('data-tags="api priority &lt;script&gt;');
    expect(page).not.toContain('data-tags="api priority <script>');
  });

  it('references no resource by URL: no src/href/url() to http(s), a CSP forbidding every load, script and style pinned by hash', () => {
    const page = renderHtmlReport(fixtureRunResult({ hostile: true }));
    const tags = startTags(page.replace(/"([^"]*)"/g, (_m, v: string) => (/^\s*(https?:)?\/\//i.test(v) ? '"REMOTE"' : `"${v}"`)));
    expect(tags.filter((tag) => tag.includes('REMOTE'))).toEqual([]);
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
    expect(style).not.toMatch(/url\(|@import/i);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1]?.replace(/&#39;/g, "'");
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(csp).toContain(`script-src ${hash(/<script>([\s\S]*?)<\/script>/.exec(page)![1]!)}`);
    expect(csp).toContain(`style-src ${hash(/<style>([\s\S]*?)<\/style>/.exec(page)![1]!)}`);
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; script-src 'sha256-[A-Za-z0-9+/=]+'; img-src data:; base-uri 'none'; form-action 'none'$/);
    // Every link is an in-page anchor.
    for (const [, href] of page.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^#[A-Za-z0-9_-]+$/);
  });

  it('shows the summary counts, a failed step with its readable reason, trace id, exchange and simulated clock', () => {
    const page = renderHtmlReport(fixtureRunResult());
    const text = visibleText(page);
    expect(page).toMatch(/<span class="value">5<\/span><span class="label">passed<\/span>/);
    expect(page).toMatch(/<span class="value">2<\/span><span class="label">failed<\/span>/);
    expect(page).toMatch(/<span class="value">1<\/span><span class="label">not run<\/span>/);
    expect(page).toMatch(/<span class="value">4\/5<\/span><span class="label">high priority passed<\/span>/);
    expect(text).toContain('✗ FAILED');
    expect(text).toContain('Why it failed: expected status 202, got 403 IDX_ERR_NMI_NOT_RESPONSIBLE at /data/0/nmi');
    expect(text).toContain('POST https://127.0.0.1:8443/pqd/v1/bpqd HTTP 403');
    expect(text).toContain('trace tr-churn-7');
    expect(text).toContain('"code": "IDX_ERR_NMI_NOT_RESPONSIBLE"');
    expect(text).toContain('sim 2026-07-16T10:04:00+10:00');
    expect(text).toContain('Not run: --bail: an earlier scenario failed');
    // Failed steps are open, passed ones closed.
    expect(page).toMatch(/<li class="step failed" id="scenario-5-steps-2">\s*<details open>/);
    expect(page).toMatch(/<li class="step passed" id="scenario-5-steps-0">\s*<details>/);
  });

  it('shows the environment: version, target, profile, seed, simulated clock and settings', () => {
    const text = visibleText(renderHtmlReport(fixtureRunResult()));
    for (const expected of ['idx-sim version 0.1.0', 'Target in-process hub', 'Profile ci', 'Seed 42',
      'Simulated clock 2026-07-15T10:00:00+10:00 → 2026-07-16T10:10:00+10:00', 'IDX_SIM_ADMIN_KEY <redacted>']) {
      expect(text).toContain(expected);
    }
  });

  it('traceability: every Table 7 row with the scenarios tracing to it, gaps shown; weeks of Table 6', () => {
    const page = renderHtmlReport(fixtureRunResult());
    const table7 = page.slice(page.indexOf('id="trace-table7"'), page.indexOf('id="trace-scenarios"'));
    const rows = [...table7.matchAll(/<tr><th scope="row"><code>([A-Z0-9-]+)<\/code><\/th>([\s\S]*?)<\/tr>/g)].map(([, row, rest]) => [row, visibleText(rest!)]);
    expect(rows.map(([row]) => row)).toEqual(['API-SUBMIT', 'API-METADATA', 'API-LIST-PRIORITY', 'API-DELETE-HIGH-WATERMARK', 'API-MANUAL-STOP',
      'WEB-FLOW-CONTROL', 'WEB-PARTICIPANT-STATUS', 'WEB-TRANSLOG', 'WEB-ARCHIVE', 'CHURN-MDP-FRMP']);
    const byRow = Object.fromEntries(rows);
    expect(byRow['WEB-PARTICIPANT-STATUS']).toContain('Gap: no scenario');
    expect(byRow['WEB-ARCHIVE']).toContain('Gap: no scenario');
    expect(byRow['CHURN-MDP-FRMP']).toMatch(/churn-mdp-frmp \(failed\) ✗ Failed/);
    expect(byRow['API-DELETE-HIGH-WATERMARK']).toMatch(/lnsp-eligibility-delete \(passed\) ✓ Passed/);
    expect(byRow['WEB-TRANSLOG']).toContain('Not run');
    expect(visibleText(page)).toContain('8 of 10 Table 7 scenarios covered — 2 gaps');
    const weeks = visibleText(page.slice(page.indexOf('id="trace-table6"'), page.indexOf('id="coverage"')));
    expect(weeks).toMatch(/0 Code deployment[^]*none/);
    expect(weeks).toContain('event notifications 5 scenarios, 4 passed');
  });

  it('heatmap: participant × scenario with text labels, the failing step of that participant, and per-participant totals', () => {
    const page = renderHtmlReport(fixtureRunResult());
    const heatmap = page.slice(page.indexOf('<table class="heatmap">'), page.indexOf('</table>', page.indexOf('<table class="heatmap">')));
    expect([...heatmap.matchAll(/<th scope="col" class="participant">([A-Z0-9]+)<\/th>/g)].map((m) => m[1])).toEqual(['LNSPNORTH', 'LNSPSOUTH', 'MDPONE', 'MDPTWO']);
    const row = (id: string) => {
      const tr = heatmap.slice(heatmap.indexOf(`<code>${id}</code>`));
      return [...tr.slice(0, tr.indexOf('</tr>')).matchAll(/<td class="cell ([a-z-]+)">([\s\S]*?)<\/td>/g)].map(([, c, t]) => `${c}:${visibleText(t!).trim()}`);
    };
    expect(row('churn-mdp-frmp')).toEqual(['failed:✗ Fail', 'absent:· not involved', 'failed:✗ Fail', 'failed:✗ Fail (step 3)']);
    expect(row('web-translog')).toEqual(['not-run:– Not run', 'absent:· not involved', 'not-run:– Not run', 'absent:· not involved']);
    expect(row('api-list-priority')).toEqual(['passed:✓ Pass', 'passed:✓ Pass', 'passed:✓ Pass', 'absent:· not involved']);
    expect(visibleText(heatmap)).toContain('Per participant 5 pass · 1 fail · 1 not run 1 pass · 1 fail 4 pass · 1 fail · 1 not run 0 pass · 1 fail');
  });

  it('lists the defects with the seed\'s severity and priority wording, linked to their scenario', () => {
    const page = renderHtmlReport(fixtureRunResult());
    const defects = visibleText(page.slice(page.indexOf('id="defects"'), page.indexOf('id="traceability"')));
    expect(defects).toContain('2 open');
    expect(defects).toMatch(/DEF-run42-1 .*2 - Major 2 - Highest open churn-mdp-frmp step 3 tr-churn-7/);
    expect(page).toContain('<a href="#scenario-5"><code>churn-mdp-frmp</code></a> step 3');
  });

  it('offers the filters: failed only, each tag once, free text', () => {
    const page = renderHtmlReport(fixtureRunResult());
    expect(page).toContain('<input type="checkbox" id="filter-failed">');
    expect([...page.matchAll(/<option value="([^"]*)">/g)].map((m) => m[1])).toEqual(['', 'api', 'churn', 'eligibility', 'flow-control', 'lnsp', 'multi-day', 'priority', 'smoke', 'web']);
    expect(page).toContain('id="filter-text"');
  });

  it('a run with nothing selected still renders, and says so', () => {
    const empty = { ...fixtureRunResult(), scenarios: [], defects: [] };
    const text = visibleText(renderHtmlReport(empty));
    expect(text).toContain('No scenario was selected.');
    expect(text).toContain('No defects were raised in this run.');
    expect(text).toContain('No scenario names a participant.');
  });

  it('formats durations for people', () => {
    expect([formatDuration(340), formatDuration(1234), formatDuration(12_781), formatDuration(125_000), formatDuration(-1)])
      .toEqual(['340 ms', '1.23 s', '12.8 s', '2 min 5 s', '–']);
  });
});

describe('computeSummary (seed 000 §3.3)', () => {
  it('counts outcomes and judges entry and exit criteria from the run', () => {
    const r = fixtureRunResult();
    const s = computeSummary(r.scenarios, r.defects);
    expect([s.total, s.passed, s.failed, s.notRun, s.highPriority.total, s.highPriority.passed, s.openDefects]).toEqual([8, 5, 2, 1, 5, 4, 2]);
    expect(s.entryCriteria.map((c) => c.met)).toEqual([true, true, false]);
    expect(s.entryCriteria[2]!.detail).toBe('no scenario for WEB-PARTICIPANT-STATUS, WEB-ARCHIVE');
    expect(s.exitCriteria.map((c) => [c.met, c.detail])).toEqual([
      [false, '4 of 5 passed; not passed: churn-mdp-frmp'],
      [false, '1 open: DEF-run42-1'],
      [false, 'without owner or target fix date: DEF-run42-2'],
      [false, 'not run: web-translog'],
    ]);
  });

  it('meets the exit criteria when every high-priority scenario passed and the open P3/P4 defects are agreed', () => {
    const r = fixtureRunResult();
    const scenarios = r.scenarios.map((s) => ({ ...s, outcome: 'passed' as const }));
    const defects = r.defects.map((d) => (d.priority === 'P2' ? { ...d, status: 'closed' as const } : { ...d, owner: 'LNSPSOUTH', targetFixDate: '2026-06-01' }));
    const s = computeSummary(scenarios, defects);
    expect(s.exitCriteria.every((c) => c.met)).toBe(true);
    expect(s.openDefects).toBe(1);
  });

  it('a run where nothing answered fails the environment criterion; setup failures are named', () => {
    const r = fixtureRunResult();
    const scenarios = r.scenarios.map((s) => ({ ...s, steps: s.steps.map((st) => ({ ...st, exchanges: st.exchanges.map((e) => ({ ...e, status: undefined })) })) }));
    scenarios[0]!.steps[0] = { ...scenarios[0]!.steps[0]!, phase: 'setup', outcome: 'failed' };
    const s = computeSummary(scenarios, []);
    expect(s.entryCriteria[0]).toMatchObject({ met: false, detail: 'no request got an HTTP answer' });
    expect(s.entryCriteria[1]).toMatchObject({ met: false, detail: 'setup failed in api-submit' });
    expect(computeSummary([], []).exitCriteria[0]).toMatchObject({ met: false, detail: 'no high-priority scenario in this run' });
    expect(uncoveredTable7Rows([])).toHaveLength(10);
  });
});

describe('renderCompletionSummary (Markdown)', () => {
  it('reads as a status email: verdict, counts, criteria as checkboxes, failures with trace ids, not-run reasons, open defects, environment', () => {
    const md = renderCompletionSummary(fixtureRunResult());
    expect(md).toContain('**FAILED**: 5 of 8 scenarios passed; exit criteria **not met**; 2 open defects.');
    expect(md).toContain('| 8 | 5 | 2 | 1 | 4 of 5 | 2 | 12.8 s |');
    expect(md).toContain('- [x] Met: Test environment available: the hub answered the run\'s requests');
    expect(md).toContain('- [ ] **Not met**: Successful completion of all high-priority test scenarios — 4 of 5 passed; not passed: churn-mdp-frmp');
    expect(md).toMatch(/- `churn-mdp-frmp` .* step 3 MDPTWO submits day 2026-07-16: expected status 202, got 403 IDX\\_ERR\\_NMI\\_NOT\\_RESPONSIBLE .*\(trace `tr-churn-7`\)/);
    expect(md).toContain('- `web-translog` TransLog screen filters, sorts and downloads: --bail: an earlier scenario failed');
    expect(md).toContain('| `DEF-run42-1` | 2 - Major | 2 - Highest | open | `churn-mdp-frmp` | `tr-churn-7` |');
    expect(md).toContain('idx-sim 0.1.0 · in-process hub · profile ci · seed `42`');
  });

  it('keeps hostile text from breaking the tables or adding markup', () => {
    const md = renderCompletionSummary(raiseDefects(withoutDefects(fixtureRunResult({ hostile: true }))));
    for (const line of md.split('\n').filter((l) => l.startsWith('| `DEF'))) {
      expect(line.split(/(?<!\\)\|/).length).toBe(9);
    }
    expect(md).not.toMatch(/(?<!\\)<script>/);
    expect(mdText('a | b\n<i>*c*</i> `d`')).toBe('a \\| b \\<i\\>\\*c\\*\\</i\\> \\`d\\`');
  });
});

describe('writeReports', () => {
  it('writes report.html, summary.md and defects.csv into the output folder, raising a defect for each failed scenario without one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idx-sim-reports-'));
    try {
      const [html, summary, csv] = writeReports(withoutDefects(fixtureRunResult()), join(dir, 'out'));
      expect(html).toBe(join(dir, 'out', 'report.html'));
      expect(readFileSync(html!, 'utf8')).toMatch(/^<!doctype html>/);
      expect(readFileSync(html!, 'utf8')).toContain('DEF-run42-2');
      expect(readFileSync(summary!, 'utf8')).toMatch(/^# Test completion summary[^]*## Open defects \(2\)/);
      expect(readFileSync(csv!, 'utf8').split('\r\n')).toHaveLength(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the run verdict', () => {
  it('is the run\'s own (no scenario failed), while the completion section judges the exit criteria', () => {
    const r = fixtureRunResult();
    const passing = { ...r, defects: [], scenarios: r.scenarios.filter((s) => s.outcome !== 'failed') };
    const text = visibleText(renderHtmlReport(passing));
    expect(text).toContain('✓ PASSED overall · 1 not run');
    expect(text).toContain('✗ Exit criteria not met');
    expect(renderCompletionSummary(passing)).toContain('**PASSED**: 5 of 6 scenarios passed; exit criteria **not met**; 0 open defects.');
  });
});

describe('a failed waitFor step', () => {
  it('shows its reason once: an unmet expectation that only repeats it is not listed again', () => {
    const r = fixtureRunResult();
    const reason = 'not met by the simulated deadline 2026-07-02T09:10:00.000+10:00: LNSPNORTH\'s queue is empty (0 of 3 deleted)';
    const scenario = r.scenarios[0]!;
    scenario.outcome = 'failed';
    scenario.steps = [{ index: 3, phase: 'steps', name: 'Your LNSP system drains its queue', action: 'waitFor', outcome: 'failed', durationMs: 10,
      message: `step 4 "Your LNSP system drains its queue": ${reason}`, exchanges: [], assertions: [{ description: reason, passed: false }] }];
    const page = renderHtmlReport(r);
    const step = page.slice(page.indexOf('id="scenario-1-steps-3"'), page.indexOf('</li>', page.indexOf('id="scenario-1-steps-3"')));
    expect(visibleText(step).split("LNSPNORTH's queue is empty")).toHaveLength(2);
    expect(visibleText(step)).toContain(`Why it failed: ${reason}`);
    expect(visibleText(step)).toContain('4. ✗ Failed Your LNSP system drains its queue waitFor');
  });
});
