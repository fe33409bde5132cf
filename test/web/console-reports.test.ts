/**
 * The console's list of scenario runs (src/web/console/reports.ts): newest first by when each run started,
 * whatever order the folders were written in (a CI artifact unpacked later, a report re-rendered).
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { listRuns } from '../../src/web/console/reports.js';

const dir = mkdtempSync(join(tmpdir(), 'idx-sim-console-reports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(name: string, startedAt: string | undefined, modified: Date): void {
  mkdirSync(join(dir, name));
  const files = ['report.html'];
  writeFileSync(join(dir, name, 'report.html'), '<!doctype html><title>run</title>');
  if (startedAt) {
    files.push('results.json');
    writeFileSync(join(dir, name, 'results.json'), JSON.stringify({ runId: name, startedAt, finishedAt: startedAt, durationMs: 1, summary: { total: 1 }, scenarios: [] }));
  }
  for (const f of files) utimesSync(join(dir, name, f), modified, modified);
}

it('lists runs newest first by their start, not by when their files were last written', () => {
  run('newer', '2026-11-30T19:40:00.000Z', new Date('2026-11-30T20:00:00Z'));
  run('older-written-last', '2026-11-29T19:00:00.000Z', new Date('2026-11-30T21:00:00Z'));
  run('no-results', undefined, new Date('2026-11-30T19:30:00Z'));
  expect(listRuns(dir).map((r) => r.name)).toEqual(['newer', 'no-results', 'older-written-last']);
});
