/**
 * Scenario reports for the console: the runs the scenario runner wrote under IDX_SIM_REPORTS_DIR (one
 * folder per run, holding `results.json` and `report.html`, src/scenario/result-model.ts). Only those two
 * file names are ever served, and only from a direct child folder whose name is a plain run id, so no
 * request can reach another file (`..`, encoded slashes, absolute paths and symbolic links out are refused).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { RunResult } from '../../scenario/result-model.js';

export const REPORT_FILES = { 'report.html': 'text/html; charset=utf-8', 'results.json': 'application/json; charset=utf-8' } as const;
export type ReportFile = keyof typeof REPORT_FILES;

const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface ReportRun {
  name: string;
  files: ReportFile[];
  /** From results.json, when it parses. */
  result?: Pick<RunResult, 'runId' | 'startedAt' | 'finishedAt' | 'durationMs' | 'summary'> & { scenarios: number };
  /** When results.json exists but cannot be read as a run. */
  unreadable?: string;
  /** Modification time of the newest file (real time, for ordering only). */
  modifiedMs: number;
}

export const isRunName = (name: string): boolean => RUN_NAME.test(name) && !name.includes('..');

/** The runs in `dir`, newest first; none when the directory does not exist. */
export function listRuns(dir: string): ReportRun[] {
  if (!existsSync(dir)) return [];
  const runs: ReportRun[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !isRunName(entry.name)) continue;
    const files = (Object.keys(REPORT_FILES) as ReportFile[]).filter((f) => reportPath(dir, entry.name, f) !== undefined);
    if (!files.length) continue;
    const run: ReportRun = { name: entry.name, files, modifiedMs: Math.max(...files.map((f) => statSync(join(dir, entry.name, f)).mtimeMs)) };
    if (files.includes('results.json')) {
      try {
        const r = JSON.parse(readFileSync(join(dir, entry.name, 'results.json'), 'utf8')) as RunResult;
        if (!r.summary || !Array.isArray(r.scenarios)) throw new Error('no summary or scenarios');
        run.result = { runId: r.runId, startedAt: r.startedAt, finishedAt: r.finishedAt, durationMs: r.durationMs, summary: r.summary, scenarios: r.scenarios.length };
      } catch (err) {
        run.unreadable = (err as Error).message;
      }
    }
    runs.push(run);
  }
  // Newest first by when the run started (results.json), else by its files' modification time: a run
  // copied or re-written later (a CI artifact unpacked, a report re-rendered) keeps its place.
  const when = (run: ReportRun) => (run.result?.startedAt ? Date.parse(run.result.startedAt) : NaN) || run.modifiedMs;
  return runs.sort((a, b) => when(b) - when(a) || b.name.localeCompare(a.name));
}

/** The file's absolute path when it may be served: a regular file, inside `dir`, of a valid run name. */
export function reportPath(dir: string, run: string, file: string): string | undefined {
  if (!isRunName(run) || !(file in REPORT_FILES) || !existsSync(dir)) return undefined;
  const path = join(dir, run, file);
  if (!existsSync(path) || !lstatSync(path).isFile()) return undefined;
  const root = realpathSync(dir);
  return realpathSync(path).startsWith(root + sep) ? path : undefined;
}
