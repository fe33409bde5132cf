/**
 * Crash durability (issue 7, docs/reliability.md): the hub in a child process (`idx-sim start`, the current sources compiled),
 * concurrent submissions, retrievals and deletions over mTLS, SIGKILL at a seeded random moment, a
 * restart on the same data directory — then every submission answered 200 is there byte for byte and
 * every message whose DELETE was answered 204 is gone. One short round here; `npm run bench:crash` runs
 * many (bench/crash.ts).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runCrashRounds } from '../../bench/crash-rounds.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { runnableProject } from '../helpers/compiled.js';

const dir = mkdtempSync(join(tmpdir(), 'idx-sim-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kill -9 under load', () => {
  it('keeps every acknowledged submission (byte-identical) and every acknowledged deletion', async () => {
    cpSync(inject('pkiDir'), join(dir, 'certs'), { recursive: true });
    const seed = process.env.IDX_SIM_CRASH_SEED ?? 'crash-suite';
    const project = join(dir, 'project');
    mkdirSync(project);
    await runnableProject(project);
    const [result] = await runCrashRounds({
      dir, seed, rounds: 1, killAfterMinMs: 0, killAfterMaxMs: 1500, submitters: 6, receivers: 3,
      command: { file: process.execPath, args: [join(project, 'bin/idx-sim.js'), 'start'], cwd: project },
      fixturesDir: join(PROJECT_ROOT, 'fixtures'),
    });
    // The round did what it is for: both kinds of write were acknowledged before the kill.
    expect(result!.acknowledgedSubmissions, JSON.stringify(result)).toBeGreaterThanOrEqual(5);
    expect(result!.acknowledgedDeletes, JSON.stringify(result)).toBeGreaterThan(0);
    expect({ lost: result!.lost, resurrected: result!.resurrected, altered: result!.altered }).toEqual({ lost: [], resurrected: [], altered: [] });
  }, 120_000);
});
