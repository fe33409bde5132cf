/**
 * `idx-sim scenario run|validate`: exit codes, the files a run writes, JUnit that parses back, progress lines.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { progressPrinter, scenarioCommand } from '../../src/cli/scenario.js';
import { toJUnit } from '../../src/scenario/junit.js';
import type { RunResult } from '../../src/scenario/result-model.js';
import { listRuns } from '../../src/web/console/reports.js';

const dir = mkdtempSync(join(tmpdir(), 'idx-sim-scenario-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await scenarioCommand(args, (t) => { out += t; }, (t) => { err += t; }, { cwd: dir, env, tty: false });
  return { code, out, err };
}

const GOOD = `id: good
title: the clock moves
priority: high
tags: [smoke]
trace: { table7: [API-MANUAL-STOP] }
steps:
  - as: LNSPNORTH
    flowControl: { manualStop: true }
    expect: { json: { $.data.outboundDelivery: Stopped } }
  - clock: { advance: PT1M }
`;
const BROKEN = `id: broken
title: "a deliberately broken scenario <&>"
steps:
  - name: LNSPNORTH may not submit
    as: LNSPNORTH
    submit: { generate: { nmis: ['4102000001'], recipients: [LNSPNORTH] } }
    expect: { status: 200 }
`;

describe('idx-sim scenario', () => {
  it('validate: 0 for valid files, 2 with file:line: pointer: reason for invalid ones', async () => {
    writeFileSync(join(dir, 'good.yaml'), GOOD);
    writeFileSync(join(dir, 'bad.yaml'), GOOD.replace('clock: { advance: PT1M }', 'clock: { advance: soon }'));
    expect(await cli(['validate', 'good.yaml'])).toMatchObject({ code: 0, out: '1 scenario(s) in 1 file(s): valid\n' });
    const bad = await cli(['validate', 'good.yaml', 'bad.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('bad.yaml:10: /steps/1/clock/advance: "soon" is not valid: ISO 8601 duration');
  });

  it('usage mistakes exit 2 with the usage; help exits 0 and documents the exit codes', async () => {
    expect((await cli(['run'])).code).toBe(2);
    expect((await cli(['run', 'good.yaml', '--frobnicate'])).err).toContain("Unknown option '--frobnicate'");
    expect((await cli(['launch'])).code).toBe(2);
    expect((await cli(['run', 'good.yaml', '--tag', 'nope'])).err).toContain('no scenario has the tag nope (tags in these files: smoke)');
    const help = await cli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('exit codes: 0 every scenario run passed · 1 a scenario failed · 2 invalid scenario files or usage');
  });

  it('without --out, each run gets its own folder under IDX_SIM_REPORTS_DIR, where the console lists it', async () => {
    writeFileSync(join(dir, 'good.yaml'), GOOD);
    const reports = join(dir, 'console-reports');
    const first = await cli(['run', 'good.yaml'], { IDX_SIM_REPORTS_DIR: reports });
    expect(first.code, first.out + first.err).toBe(0);
    const runs = listRuns(reports);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.files).toEqual(['report.html', 'results.json']);
    expect(runs[0]!.result).toMatchObject({ runId: runs[0]!.name, summary: { passed: 1, failed: 0 } });
    expect(first.out).toContain(join(reports, runs[0]!.name, 'results.json'));
  });

  it('an unreachable --url target exits 3', async () => {
    writeFileSync(join(dir, 'good.yaml'), GOOD);
    const r = await cli(['run', 'good.yaml', '--url', 'https://127.0.0.1:1', '--certs-dir', inject('pkiDir')]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/cannot reach the simulator at https:\/\/127\.0\.0\.1:1/);
  });

  it('run: a deliberately broken scenario fails with a readable reason and exit 1; results.json and junit.xml are written', async () => {
    writeFileSync(join(dir, 'good.yaml'), GOOD);
    writeFileSync(join(dir, 'broken.yaml'), BROKEN);
    const r = await cli(['run', 'good.yaml', 'broken.yaml', '--out', 'out', '--seed', 'cli', '--certs-dir', inject('pkiDir')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^✓ \[1\/2\] good the clock moves \(\d+\.\d s\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^✗ \[2\/2\] broken a deliberately broken scenario <&> \(\d+\.\d s\) — step 1 "LNSPNORTH may not submit": status is 200, got 403 \(IDX_ERR_/));
    expect(r.out).toContain('2 scenario(s): 1 passed, 1 failed, 0 not run — high priority 1/1 passed');
    const result = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as RunResult;
    expect(result).toMatchObject({ schemaVersion: 1, selection: { paths: ['good.yaml', 'broken.yaml'], tags: [], bail: false }, environment: { seed: 'cli' } });
    expect(result.scenarios.map((s) => [s.id, s.file, s.outcome])).toEqual([['good', 'good.yaml', 'passed'], ['broken', 'broken.yaml', 'failed']]);
    // The evidence of the same run: a defect for the failed scenario, in results.json, the report, the summary and the CSV.
    expect(result.defects).toEqual([expect.objectContaining({ id: `${result.defects[0]!.id}`, scenarioId: 'broken', status: 'open', severity: 'medium', priority: 'P3' })]);
    expect(result.scenarios[1]!.defectIds).toEqual([result.defects[0]!.id]);
    expect(r.out).toContain(`${join(dir, 'out', 'report.html')}, ${join(dir, 'out', 'summary.md')}, ${join(dir, 'out', 'defects.csv')}`);
    expect(readFileSync(join(dir, 'out', 'report.html'), 'utf8')).toContain('a deliberately broken scenario &lt;&amp;&gt;');
    expect(readFileSync(join(dir, 'out', 'summary.md'), 'utf8')).toContain('**FAILED**: 1 of 2 scenarios passed');
    expect(readFileSync(join(dir, 'out', 'defects.csv'), 'utf8')).toContain(`${result.defects[0]!.id},`);

    const xml = readFileSync(join(dir, 'out', 'junit.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) }).parse(xml);
    const suites = parsed.testsuites.testsuite as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(parsed.testsuites).toMatchObject({ tests: '2', failures: '1', skipped: '0' });
    expect(suites.map((s) => [s.name, s.tests, s.failures])).toEqual([['good.yaml', '1', '0'], ['broken.yaml', '1', '1']]);
    const failed = suites[1]!.testcase[0];
    expect(failed.name).toBe('broken — a deliberately broken scenario <&>');
    expect(failed.failure.message).toMatch(/^step 1 "LNSPNORTH may not submit": status is 200, got 403 \(IDX_ERR_/);
    expect(failed.failure['#text']).toContain('POST https://127.0.0.1:');
    const traceIds = failed.properties.property.filter((p: { name: string }) => p.name === 'traceId').map((p: { value: string }) => p.value);
    const exchangeTraceIds = result.scenarios[1]!.steps[0]!.exchanges.map((e) => e.traceId);
    expect(traceIds.length).toBeGreaterThan(0);
    expect(exchangeTraceIds).toEqual(expect.arrayContaining(traceIds));
    expect(suites[0]!.testcase[0].properties.property).toContainEqual({ name: 'table7', value: 'API-MANUAL-STOP' });
  });
});

describe('JUnit writer', () => {
  it('writes not-run scenarios as skipped with the reason, groups by tag on request, and drops characters XML cannot hold', () => {
    const base = { id: 'x', title: 't\u0001itle', file: 'a.yaml', tags: ['api'], priority: 'low', trace: {}, mode: 'hub', participants: [], durationMs: 5, steps: [], defectIds: [] } as const;
    const run = {
      schemaVersion: 1, runId: 'r', startedAt: '2026-11-30T00:00:00.000Z', finishedAt: '2026-11-30T00:00:01.000Z', durationMs: 1000,
      environment: { idxSimVersion: '1', node: 'v20', platform: 'linux', target: { kind: 'in-process' }, profile: 'aemo', seed: 's', settings: {}, simulatedClockStart: 'a', simulatedClockEnd: 'b' },
      selection: { paths: [], tags: [], bail: false }, defects: [],
      scenarios: [{ ...base, outcome: 'not-run', notRunReason: 'filtered: no tag of smoke' }, { ...base, id: 'y', tags: [], outcome: 'passed' }],
      summary: { total: 2, passed: 1, failed: 0, notRun: 1, highPriority: { total: 0, passed: 0 }, entryCriteria: [], exitCriteria: [], openDefects: 0 },
    } as unknown as RunResult;
    const xml = toJUnit(run, 'tag');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<skipped message="filtered: no tag of smoke"/>');
    expect(xml).toContain('name="x — title"');
    expect(xml).toMatch(/<testsuite name="api"[^>]*skipped="1"/);
    expect(xml).toMatch(/<testsuite name="\(untagged\)"[^>]*tests="1"/);
  });
});

describe('progress', () => {
  const loaded = { scenario: { id: 'sc', title: 'Title', steps: [] }, file: 'a.yaml', absoluteFile: '/a.yaml' };
  const result = (outcome: 'passed' | 'failed', message?: string) => ({
    id: 'sc', title: 'Title', file: 'a.yaml', tags: [], priority: 'medium', trace: {}, mode: 'hub', participants: [], outcome, durationMs: 1234, defectIds: [],
    steps: message ? [{ index: 0, phase: 'steps', name: 'x', action: 'list', outcome: 'failed', message, durationMs: 1, exchanges: [], assertions: [] }] : [],
  }) as never;

  it('on a terminal: one updating line per step, replaced by the scenario line', () => {
    let text = '';
    const p = progressPrinter((t) => { text += t; }, true);
    p({ kind: 'step-start', scenario: loaded, step: { phase: 'steps', index: 0, name: 'submit a day' } });
    p({ kind: 'step-start', scenario: loaded, step: { phase: 'steps', index: 1, name: 'list' } });
    p({ kind: 'scenario-end', scenario: loaded, result: result('passed'), index: 0, total: 2 });
    expect(text).toBe('  … sc: steps 1 submit a day' + `\r${' '.repeat(28)}\r` + '  … sc: steps 2 list' + `\r${' '.repeat(20)}\r` + '✓ [1/2] sc Title (1.2 s)\n');
  });

  it('in CI: one line per scenario with the failure reason, no step lines', () => {
    let text = '';
    const p = progressPrinter((t) => { text += t; }, false);
    p({ kind: 'step-start', scenario: loaded, step: { phase: 'steps', index: 0, name: 'x' } });
    p({ kind: 'scenario-end', scenario: loaded, result: result('failed', 'step 1 "x": status is 2xx, got 403'), index: 1, total: 2 });
    expect(text).toBe('✗ [2/2] sc Title (1.2 s) — step 1 "x": status is 2xx, got 403\n');
  });
});

