/**
 * The evidence a scenario run leaves for people (issue #11), next to the runner's results.json and
 * junit.xml: report.html (self-contained, opens offline), summary.md (the test-completion summary for a
 * status email) and defects.csv (the defect log, RFC 4180).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defectsToCsv, raiseDefects } from '../defects.js';
import type { RunResult } from '../result-model.js';
import { renderCompletionSummary } from './completion-summary.js';
import { renderHtmlReport } from './html-report.js';

export { renderCompletionSummary } from './completion-summary.js';
export { renderHtmlReport } from './html-report.js';

/**
 * Writes report.html, summary.md and defects.csv into outDir and returns their paths. A failed scenario
 * without a defect gets one first (raiseDefects), so the three files list the same defects whoever
 * produced the result.
 */
export function writeReports(result: RunResult, outDir: string): string[] {
  const run = raiseDefects(result);
  mkdirSync(outDir, { recursive: true });
  const files: Array<[string, string]> = [
    [join(outDir, 'report.html'), renderHtmlReport(run)],
    [join(outDir, 'summary.md'), renderCompletionSummary(run)],
    [join(outDir, 'defects.csv'), defectsToCsv(run.defects)],
  ];
  for (const [path, text] of files) writeFileSync(path, text);
  return files.map(([path]) => path);
}
