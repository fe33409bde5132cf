/**
 * The evidence a scenario run leaves for people (issue #11), next to the runner's results.json and
 * junit.xml: report.html (self-contained, opens offline), summary.md (the test-completion summary for a
 * status email) and defects.csv (the defect log, RFC 4180).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defectsToCsv } from '../defects.js';
import type { RunResult } from '../result-model.js';
import { renderCompletionSummary } from './completion-summary.js';
import { renderHtmlReport } from './html-report.js';

export { renderCompletionSummary } from './completion-summary.js';
export { renderHtmlReport } from './html-report.js';

export interface WrittenReports {
  html: string;
  summary: string;
  defectsCsv: string;
}

export function writeReports(result: RunResult, outDir: string): WrittenReports {
  mkdirSync(outDir, { recursive: true });
  const paths = { html: join(outDir, 'report.html'), summary: join(outDir, 'summary.md'), defectsCsv: join(outDir, 'defects.csv') };
  writeFileSync(paths.html, renderHtmlReport(result));
  writeFileSync(paths.summary, renderCompletionSummary(result));
  writeFileSync(paths.defectsCsv, defectsToCsv(result.defects));
  return paths;
}
