/**
 * `idx-sim scenario run|validate` (issue #11): plays scenario files (docs/scenarios.md) against an idx-sim
 * started in this process, or a running one (--url), with live progress, and writes results.json (the
 * RunResult of src/scenario/result-model.ts) and junit.xml to --out. Exit codes CI relies on are in USAGE.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { UnreachableError } from './control-client.js';
import { systemClock } from '../domain/clock.js';
import { failureReason, runScenarios, type ProgressEvent } from '../scenario/engine.js';
import { raiseDefects } from '../scenario/defects.js';
import { toJUnit } from '../scenario/junit.js';
import { loadScenarios, ScenarioLoadError } from '../scenario/loader.js';
import { writeReports } from '../scenario/report/index.js';
import type { RunResult } from '../scenario/result-model.js';
import { inProcessTarget, TargetUnreachableError, urlTarget, type Target } from '../scenario/target.js';

export const SCENARIO_USAGE = `usage: idx-sim scenario run <file|dir>... [options]
       idx-sim scenario validate <file|dir>...

  run       play the scenarios (YAML, docs/scenarios.md) and write results.json, junit.xml, and the evidence:
            report.html (self-contained), summary.md (test-completion summary), defects.csv
  validate  check the files against schemas/scenario.schema.json only (nothing runs)

options of run:
  --tag T          run only scenarios with this tag (repeatable; the others are reported "not run: filtered")
  --bail           stop after the first failed scenario (the rest: "not run")
  --out DIR        where results.json, junit.xml and the report go (default: a folder per run,
                   $IDX_SIM_REPORTS_DIR/<run id>, default reports/scenarios/<run id>, listed by the console)
  --seed S         seed of payload generation and unique ids (default: random, recorded in results.json)
  --subject ID     the participant under test, for participant-under-test scenarios (overrides their subject)
  --junit-group G  one JUnit testsuite per "file" (default) or per first "tag"
  target (default: an idx-sim started in this process on 127.0.0.1, a free port, a temporary database):
  --url URL        a running idx-sim instead (its control API must answer; IDX_SIM_URL)
  --admin-key K    its control API key (IDX_SIM_ADMIN_KEY; default the loopback key)
  --certs-dir D    its development certificates: participants' client certificates and the CA (default certs)
  --clock-start T  in-process: where the simulated clock starts, frozen (default 2026-07-02T09:00:00.000+10:00)
  --profile P      in-process: aemo (AEMO's limits, default) or ci

exit codes: 0 every scenario run passed · 1 a scenario failed · 2 invalid scenario files or usage
            · 3 target unreachable (or could not start)
`;

type Writer = (text: string) => void;

const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url));

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Live progress: on a terminal one updating line per step; otherwise (CI logs) one line per scenario. */
export function progressPrinter(out: Writer, tty: boolean): (e: ProgressEvent) => void {
  let width = 0;
  const clear = () => {
    if (tty && width) out(`\r${' '.repeat(width)}\r`);
    width = 0;
  };
  return (e) => {
    if (e.kind === 'step-start' && tty) {
      clear();
      const line = `  … ${e.scenario.scenario.id}: ${e.step.phase} ${e.step.index + 1} ${e.step.name}`.slice(0, 110);
      out(line);
      width = line.length;
    } else if (e.kind === 'scenario-end') {
      clear();
      const r = e.result;
      const mark = r.outcome === 'passed' ? '✓' : r.outcome === 'failed' ? '✗' : '-';
      const reason = r.outcome === 'passed' ? '' : ` — ${failureReason(r) ?? ''}`;
      out(`${mark} [${e.index + 1}/${e.total}] ${r.id} ${r.title} (${(r.durationMs / 1000).toFixed(1)} s)${reason}\n`);
    }
  };
}

function summaryLine(r: RunResult): string {
  const s = r.summary;
  return `${s.total} scenario(s): ${s.passed} passed, ${s.failed} failed, ${s.notRun} not run — high priority ${s.highPriority.passed}/${s.highPriority.total} passed (${(r.durationMs / 1000).toFixed(1)} s, seed ${r.environment.seed})\n`;
}

export async function scenarioCommand(args: string[], out: Writer, err: Writer, o: { tty?: boolean; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<number> {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    out(SCENARIO_USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'run' && sub !== 'validate') {
    err(`idx-sim scenario: unknown subcommand "${sub}"\n\n${SCENARIO_USAGE}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest, allowPositionals: true, strict: true,
      options: {
        tag: { type: 'string', multiple: true }, bail: { type: 'boolean' }, out: { type: 'string' }, seed: { type: 'string' }, subject: { type: 'string' },
        url: { type: 'string' }, 'admin-key': { type: 'string' }, 'certs-dir': { type: 'string' }, 'clock-start': { type: 'string' }, profile: { type: 'string' },
        'junit-group': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err(`idx-sim scenario ${sub}: ${(e as Error).message}\n\n${SCENARIO_USAGE}`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    out(SCENARIO_USAGE);
    return 0;
  }
  const paths = parsed.positionals;
  if (!paths.length) {
    err(`idx-sim scenario ${sub}: name at least one scenario file or directory\n\n${SCENARIO_USAGE}`);
    return 2;
  }
  if (v['junit-group'] !== undefined && v['junit-group'] !== 'file' && v['junit-group'] !== 'tag') {
    err(`idx-sim scenario run: --junit-group must be file or tag, got "${v['junit-group']}"\n`);
    return 2;
  }
  if (v.profile !== undefined && v.profile !== 'aemo' && v.profile !== 'ci') {
    err(`idx-sim scenario run: --profile must be aemo or ci, got "${v.profile}"\n`);
    return 2;
  }
  if (v.subject !== undefined && !/^[A-Z0-9]{1,10}$/.test(v.subject)) {
    err(`idx-sim scenario run: --subject must be a participant ID (1-10 of A-Z 0-9), got "${v.subject}"\n`);
    return 2;
  }
  let loaded;
  try {
    loaded = loadScenarios(paths, cwd);
  } catch (e) {
    if (!(e instanceof ScenarioLoadError)) throw e;
    err(`idx-sim scenario ${sub}: ${e.problems.length} problem(s) in the scenario files:\n${e.message.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
    return 2;
  }
  if (sub === 'validate') {
    out(`${loaded.length} scenario(s) in ${new Set(loaded.map((l) => l.file)).size} file(s): valid\n`);
    return 0;
  }
  const tags = v.tag ?? [];
  if (tags.length && !loaded.some((l) => (l.scenario.tags ?? []).some((t) => tags.includes(t)))) {
    err(`idx-sim scenario run: no scenario has the tag ${tags.join(' or ')} (tags in these files: ${[...new Set(loaded.flatMap((l) => l.scenario.tags ?? []))].sort().join(', ') || 'none'})\n`);
    return 2;
  }
  const seed = v.seed ?? randomBytes(6).toString('hex');
  const url = v.url ?? env.IDX_SIM_URL;
  let target: Target;
  // In-process, a scenario with its own `settings:` gets a hub of its own, started the same way.
  const inProcess = (overrides: Partial<Config> = {}) => inProcessTarget({
    seed, ...(v['certs-dir'] ? { certsDir: resolve(cwd, v['certs-dir']) } : {}), ...(v['clock-start'] ? { clockStart: v['clock-start'] } : {}),
    overrides: { ...(v.profile ? { profile: v.profile as 'aemo' | 'ci' } : {}), ...overrides },
  });
  try {
    target = url
      ? await urlTarget({ url, adminKey: v['admin-key'] ?? env.IDX_SIM_ADMIN_KEY ?? 'idx-sim-admin', certsDir: resolve(cwd, v['certs-dir'] ?? env.IDX_SIM_CERTS_DIR ?? 'certs') })
      : await inProcess();
  } catch (e) {
    if (e instanceof TargetUnreachableError) {
      err(`idx-sim scenario run: ${e.message}\n`);
      return 3;
    }
    throw e;
  }
  const now = new Date(systemClock.now()); // the run's wall-clock id, not simulated time
  const runId = `run-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(2).toString('hex')}`;
  let result: RunResult;
  try {
    out(`idx-sim scenario run ${runId}: ${loaded.length} scenario(s) against ${target.kind === 'in-process' ? `idx-sim in-process (${target.url})` : target.url}\n`);
    result = await runScenarios(loaded, {
      target, ...(url ? {} : { targetFor: inProcess }), paths, tags, bail: v.bail ?? false, seed, ...(v.subject ? { subject: v.subject } : {}), runId, idxSimVersion: version(),
      onProgress: progressPrinter(out, o.tty ?? false),
    });
  } catch (e) {
    if (e instanceof TargetUnreachableError || e instanceof UnreachableError) {
      err(`idx-sim scenario run: ${(e as Error).message}\n`);
      return 3;
    }
    throw e;
  } finally {
    await target.close();
  }
  // A defect record for each failed scenario (seed 000 §4.7), and the summary in the test plan's shape
  // (src/scenario/summary.ts), before anything is written: every output tells the same story.
  result = raiseDefects(result);
  // Without --out, each run gets its own folder under IDX_SIM_REPORTS_DIR, where the simulator console
  // (/console/reports) lists runs; --out DIR writes into DIR itself (a fixed path for CI artifacts).
  const outDir = resolve(cwd, v.out ?? join(env.IDX_SIM_REPORTS_DIR ?? 'reports/scenarios', runId));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(outDir, 'junit.xml'), toJUnit(result, (v['junit-group'] as 'file' | 'tag' | undefined) ?? 'file'));
  const more = writeReports(result, outDir);
  out(summaryLine(result));
  out(`wrote ${join(outDir, 'results.json')}, ${join(outDir, 'junit.xml')}${more.length ? `, ${more.join(', ')}` : ''}\n`);
  return result.summary.failed > 0 ? 1 : 0;
}
