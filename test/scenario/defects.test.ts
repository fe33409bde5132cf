/**
 * Defect records (seed 000 §4.7): built from a failed step with severity (Table 8) and priority (Table 9)
 * derived from the failure and the scenario's priority, raised once per failed scenario, exported as
 * RFC 4180 CSV that survives hostile text.
 */
import { describe, expect, it } from 'vitest';
import {
  buildStepDefect,
  classifyFailure,
  csvField,
  defectsToCsv,
  derivePriority,
  deriveSeverity,
  failureReasonOf,
  problemOf,
  raiseDefects,
  stepLabel,
} from '../../src/scenario/defects.js';
import type { DefectRecord, StepResult } from '../../src/scenario/result-model.js';
import { fixtureRunResult } from '../helpers/run-result-fixture.js';

/** A strict RFC 4180 reader: the test's independent check of the writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    if (c === '"' || c === '\n' || c === '\r') throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
    field += c; i++;
  }
  if (field !== '' || row.length) throw new Error('last record not terminated by CRLF');
  return rows;
}

const failedChurnStep = () => fixtureRunResult().scenarios.find((s) => s.id === 'churn-mdp-frmp')!;

describe('defect from a failed step', () => {
  it('carries the test plan fields and the evidence: failing exchange, problem body, settings, simulated clock', () => {
    const scenario = failedChurnStep();
    const step = scenario.steps.find((s) => s.outcome === 'failed')!;
    const d = buildStepDefect({
      runId: 'run42', n: 3, scenario, step, detectedBy: 'idx-sim scenario run run42', detectedAt: '2026-11-30T09:15:14.901Z',
      settings: { IDX_SIM_PROFILE: 'ci' }, translogRows: [{ messageStatus: 'message_rejected' }],
    });
    expect(d).toMatchObject({
      id: 'DEF-run42-3', scenarioId: 'churn-mdp-frmp', stepIndex: 2, traceId: 'tr-churn-7', status: 'open',
      severity: 'high', priority: 'P2', detectedBy: 'idx-sim scenario run run42', detectedAt: '2026-11-30T09:15:14.901Z',
      evidence: {
        request: { method: 'POST', status: 403, traceId: 'tr-churn-7' },
        problem: { code: 'IDX_ERR_NMI_NOT_RESPONSIBLE', pointer: '/data/0/nmi' },
        translogRows: [{ messageStatus: 'message_rejected' }],
        settings: { IDX_SIM_PROFILE: 'ci' },
        simulatedClock: '2026-07-16T10:04:00+10:00',
      },
    });
    expect(d.title).toBe('churn-mdp-frmp step 3: expected status 202, got 403 IDX_ERR_NMI_NOT_RESPONSIBLE at /data/0/nmi: "MDPTWO is not the MDP of NMI 4102000001 on…');
    expect(d.description).toContain('(high priority), step 3 "MDPTWO submits day 2026-07-16" (submit as MDPTWO) failed');
    expect(d.description).toContain('- status is 202; expected 202, actual 403');
    expect(d.description).toContain('Exchange: POST https://127.0.0.1:8443/pqd/v1/bpqd -> 403 (trace tr-churn-7)');
    expect(d.description).toContain('Table 7: CHURN-MDP-FRMP');
    // Agreed in triage (§4.7.2), not guessed.
    expect([d.owner, d.targetFixDate, d.rootCause, d.assignedTo]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('classifies failures: a 5xx, no answer at all, a setup step, an expectation not met', () => {
    const base: StepResult = { index: 1, phase: 'steps', name: 's', action: 'submit', outcome: 'failed', durationMs: 1, exchanges: [], assertions: [] };
    const ex = (status?: number) => ({ method: 'GET', url: 'https://127.0.0.1/x', requestHeaders: {}, durationMs: 1, ...(status ? { status } : {}) });
    expect(classifyFailure({ ...base, exchanges: [ex(202), ex(500)] })).toBe('server-error');
    expect(classifyFailure({ ...base, exchanges: [ex()] })).toBe('no-answer');
    expect(classifyFailure({ ...base, phase: 'setup', exchanges: [ex(400)] })).toBe('setup');
    expect(classifyFailure({ ...base, exchanges: [ex(403)] })).toBe('expectation');
    expect(classifyFailure(base)).toBe('expectation');
  });

  it('derives severity (Table 8) from the failure and priority (Table 9) from the scenario priority', () => {
    expect([deriveSeverity('server-error', 'high'), deriveSeverity('no-answer', 'low'), deriveSeverity('setup', 'high'),
      deriveSeverity('expectation', 'high'), deriveSeverity('expectation', 'medium'), deriveSeverity('expectation', 'low')])
      .toEqual(['critical', 'high', 'medium', 'high', 'medium', 'low']);
    expect([derivePriority('server-error', 'high'), derivePriority('expectation', 'high'), derivePriority('server-error', 'medium'), derivePriority('expectation', 'low')])
      .toEqual(['P1', 'P2', 'P3', 'P4']);
  });

  it('reads a problem body only when the response is one', () => {
    const ex = { method: 'GET', url: 'u', requestHeaders: {}, durationMs: 1 };
    expect(problemOf({ ...ex, responseHeaders: { 'Content-Type': 'application/problem+json' }, responseBody: '{"code":"IDX_ERR_X"}' })).toEqual({ code: 'IDX_ERR_X' });
    expect(problemOf({ ...ex, responseBody: '{"title":"t","status":400}' })).toEqual({ title: 't', status: 400 });
    expect(problemOf({ ...ex, responseBody: '{"data":[]}' })).toBeUndefined();
    expect(problemOf({ ...ex, responseHeaders: { 'content-type': 'application/problem+json' }, responseBody: '{"cut at 4 KB' })).toBeUndefined();
    expect(problemOf(undefined)).toBeUndefined();
  });

  it('raiseDefects raises one defect per failed scenario without one, links it and recomputes the summary', () => {
    const fixture = fixtureRunResult();
    const run = { ...fixture, defects: [], scenarios: fixture.scenarios.map((s) => ({ ...s, defectIds: [] })) };
    const raised = raiseDefects(run);
    expect(raised.defects.map((d) => [d.id, d.scenarioId, d.stepIndex, d.severity, d.priority])).toEqual([
      ['DEF-run42-1', 'api-manual-stop', 1, 'medium', 'P3'],
      ['DEF-run42-2', 'churn-mdp-frmp', 2, 'high', 'P2'],
    ]);
    expect(raised.scenarios.find((s) => s.id === 'churn-mdp-frmp')!.defectIds).toEqual(['DEF-run42-2']);
    expect(raised.summary.openDefects).toBe(2);
    expect(raised.summary.failed).toBe(2);
    // A second pass raises nothing new.
    expect(raiseDefects(raised).defects).toHaveLength(2);
  });
});

describe('defects CSV (RFC 4180)', () => {
  it('quotes commas, quotes and line breaks, doubles quotes, ends records with CRLF; a reader gets the text back', () => {
    const hostile: DefectRecord = {
      id: 'DEF-x-1', title: 'says "no", then\r\nbreaks', description: 'line 1\nline 2, with comma', detectedBy: 'tester', detectedAt: '2026-11-30T00:00:00Z',
      severity: 'critical', priority: 'P1', status: 'open', traceId: 'tr-1',
      evidence: { request: { method: 'POST', url: 'https://127.0.0.1/pqd/v1/bpqd?a=1,2', requestHeaders: {}, status: 500, durationMs: 3 }, problem: { code: 'IDX_ERR_INTERNAL' } },
    };
    const csv = defectsToCsv([hostile, fixtureRunResult().defects[0]!]);
    const rows = parseCsv(csv);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.length === rows[0]!.length)).toBe(true);
    const byName = (row: string[]) => Object.fromEntries(rows[0]!.map((name, i) => [name, row[i]]));
    expect(rows[0]!.slice(0, 15)).toEqual(['ID', 'Title', 'Description', 'Scenario', 'Step', 'Detected by', 'Detected at', 'Owner', 'Target fix date',
      'Severity', 'Priority', 'Status', 'Root cause', 'Assigned to', 'Trace ID']);
    expect(byName(rows[1]!)).toMatchObject({
      Title: 'says "no", then\r\nbreaks', Description: 'line 1\nline 2, with comma', Severity: '1 - Showstopper', Priority: '1 - Blocker',
      Request: 'POST https://127.0.0.1/pqd/v1/bpqd?a=1,2', 'HTTP status': '500', 'Error code': 'IDX_ERR_INTERNAL', Owner: '',
    });
    expect(byName(rows[2]!)).toMatchObject({ ID: 'DEF-run42-1', Step: '3', 'Trace ID': 'tr-churn-7', 'Simulated clock': '2026-07-16T10:04:00+10:00' });
    expect(csv).toContain('"says ""no"", then\r\nbreaks"');
  });

  it('keeps server text from becoming a spreadsheet formula', () => {
    expect(['=HYPERLINK("http://x")', '+1', '-2+3', '@SUM(A1)', 'plain', 42].map((v) => csvField(v)))
      .toEqual([`"'=HYPERLINK(""http://x"")"`, "'+1", "'-2+3", "'@SUM(A1)", 'plain', '42']);
    expect(csvField(undefined)).toBe('');
    expect(defectsToCsv([])).toMatch(/^ID,Title,.*\r\n$/);
  });
});

describe('stepLabel', () => {
  it('names steps as people count them, with the phase outside the main steps', () => {
    expect([stepLabel({ index: 0, phase: 'steps' }), stepLabel({ index: 2, phase: 'setup' }), stepLabel({ index: 0, phase: 'teardown' })])
      .toEqual(['step 1', 'setup step 3', 'teardown step 1']);
  });
});

describe('failureReasonOf', () => {
  it('drops the runner\'s step prefix (the report names the step already), falls back to the first unmet expectation', () => {
    const assertions = [{ description: 'status is 200', passed: true }, { description: 'status is 202', passed: false }];
    expect(failureReasonOf({ message: 'step 4 "Your system drains \\"it\\"": not met by the deadline', assertions: [] })).toBe('not met by the deadline');
    expect(failureReasonOf({ message: 'setup step 1 "x": reset refused', assertions: [] })).toBe('reset refused');
    expect(failureReasonOf({ message: 'expected 202, got 403', assertions: [] })).toBe('expected 202, got 403');
    expect(failureReasonOf({ assertions })).toBe('status is 202');
    expect(failureReasonOf({ assertions: [] })).toBe('the step failed');
  });
});
