/**
 * `npm run bench:crash`: the long crash-durability run (docs/reliability.md). Rounds of bench/crash-rounds.ts
 * against the built hub (`node bin/idx-sim.js start`, from dist) in a temporary directory, each: load over
 * mTLS, SIGKILL at a seeded random moment, restart, verify every acknowledged submission and deletion.
 * Prints one JSON line per round and a summary; exit code 0 when nothing acknowledged was lost,
 * resurrected or altered, 1 otherwise, 2 on a setup failure.
 *   --rounds <n> (20)  --seed <s> (idx-sim-crash)  --sync NORMAL|FULL (NORMAL)  --submitters <n> (8)  --receivers <n> (4)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/context.js';
import { runCrashRounds } from './crash-rounds.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rounds: { type: 'string', default: '20' }, seed: { type: 'string', default: 'idx-sim-crash' },
      sync: { type: 'string', default: 'NORMAL' }, submitters: { type: 'string', default: '8' }, receivers: { type: 'string', default: '4' },
    },
  });
  const int = (name: string, raw: string, max: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name}: expected an integer in 1..${max}, got "${raw}"`);
    return n;
  };
  if (values.sync !== 'NORMAL' && values.sync !== 'FULL') throw new Error('--sync: NORMAL or FULL');
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-bench-crash-'));
  const started = Date.now();
  try {
    const results = await runCrashRounds({
      dir, seed: values.seed, rounds: int('rounds', values.rounds, 1000), killAfterMinMs: 0, killAfterMaxMs: 3000,
      submitters: int('submitters', values.submitters, 64), receivers: int('receivers', values.receivers, 64), synchronous: values.sync,
      command: { file: process.execPath, args: [join(PROJECT_ROOT, 'bin/idx-sim.js'), 'start'], cwd: PROJECT_ROOT },
      fixturesDir: join(PROJECT_ROOT, 'fixtures'),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((a, r) => a + f(r), 0);
    const summary = {
      rounds: results.length, seed: values.seed, synchronous: values.sync, node: process.version, seconds: Math.round((Date.now() - started) / 1000),
      acknowledgedSubmissions: sum((r) => r.acknowledgedSubmissions), acknowledgedDeletes: sum((r) => r.acknowledgedDeletes),
      retrievals: sum((r) => r.retrievals), lost: sum((r) => r.lost.length), resurrected: sum((r) => r.resurrected.length), altered: sum((r) => r.altered.length),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.lost + summary.resurrected + summary.altered === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A watchdog: the run stops by itself even if a child hangs.
setTimeout(() => { process.stderr.write('bench:crash: watchdog (60 min)\n'); process.exit(2); }, 60 * 60_000).unref();
main().then((code) => process.exit(code), (err: Error) => { process.stderr.write(`bench:crash: ${err.stack ?? err.message}\n`); process.exit(2); });
