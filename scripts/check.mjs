#!/usr/bin/env node
// `npm test`: tsc (type check), ESLint and vitest (with coverage and its thresholds), side by side on the
// machine's cores. The static checks take ~20 s of CPU on a fresh clone and need only one core each;
// starting the tests at the same time keeps both cores busy instead of leaving one idle while they run.
// Every part runs to the end, so one run shows every problem; the exit code is non-zero if any failed.
// The static checks' output is printed after the tests' (so it is not interleaved with the reporter).
// Arguments go to vitest: `npm test -- test/api/oauth.test.ts`.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { setPriority } from 'node:os';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (path) => fileURLToPath(new URL(`../node_modules/${path}`, import.meta.url));
// tsc and ESLint keep what they learnt in node_modules/.cache (never committed, gone on a fresh clone): a
// second run re-checks only what changed (tsc: ~16 s of CPU cold, ~4 s warm; ESLint: ~7 s cold, ~1 s warm).
const cache = (name) => fileURLToPath(new URL(`../node_modules/.cache/idx-sim/${name}`, import.meta.url));
const checks = [
  ['tsc', [bin('typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit', '--incremental', '--tsBuildInfoFile', cache('tsconfig.tsbuildinfo')]],
  ['eslint', [bin('eslint/bin/eslint.js'), '--cache', '--cache-strategy', 'content', '--cache-location', cache('eslintcache'), '.']],
];

/**
 * What the static checks read, as a hash: the bytes of every file in the checkout (but node_modules, .git
 * and the ignored output folders), the Node version and the checks' command lines (`checkoutHash`); and
 * both lock files (any install or upgrade), and for tsc the size and mtime of each node_modules file its
 * last program read, from its build info: the declarations it type-checks against (`modulesHash`). Even with
 * their caches, tsc re-parses and binds ~270k lines of declarations (~4.5 s of CPU) and ESLint loads
 * typescript-eslint (~1 s of CPU) only to find that nothing changed. When the hashes are the ones a check
 * last passed with, its answer would be the same, so it is not run again; any change anywhere (a source,
 * a test, a doc, a package) runs both, incrementally as before. ~30 ms of CPU (8 MB hashed). Undefined
 * when it cannot tell (the check then runs).
 */
const top = root.replace(/\/$/, '');
function checkoutHash() {
  try {
    const hash = createHash('sha256').update(`${process.version}\0${JSON.stringify(checks)}\0`);
    // What neither check reads: tsc includes only src, test, bench and the configs; ESLint ignores these
    // folders (eslint.config.js). tmp/ is git-ignored but not ESLint-ignored, so it is hashed.
    const skip = new Set(['.git', 'node_modules', 'dist', 'data', 'coverage', 'reports', 'certs', 'generated']);
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!(dir === top && skip.has(entry.name))) walk(path);
        } else if (entry.isFile() && !entry.name.endsWith('.log')) {
          hash.update(`${path}\0`).update(readFileSync(path)).update('\0');
        }
      }
    };
    walk(top);
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}
function modulesHash(name) {
  try {
    const hash = createHash('sha256').update(readFileSync(join(top, 'package-lock.json'))).update(readFileSync(join(top, 'node_modules/.package-lock.json')));
    if (name !== 'tsc') return hash.digest('hex');
    const buildInfo = cache('tsconfig.tsbuildinfo');
    for (const name of JSON.parse(readFileSync(buildInfo, 'utf8')).fileNames) {
      const path = resolve(buildInfo, '..', name);
      if (!path.includes('/node_modules/')) continue; // in the checkout's hash
      const { size, mtimeMs } = statSync(path);
      hash.update(`${path}\0${size}\0${mtimeMs}\0`);
    }
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}
const checkout = checkoutHash();
const fingerprint = (name) => {
  const modules = modulesHash(name);
  return checkout && modules ? `${checkout} ${modules}` : undefined;
};
const stampOf = (name) => cache(`${name}.passed`);
const unchanged = (name) => {
  try {
    const before = fingerprint(name);
    return before !== undefined && readFileSync(stampOf(name), 'utf8') === before;
  } catch {
    return false;
  }
};

/** The static checks still running: they yield to the tests while those run (see `run`). */
const yielding = new Set();

function run(name, args, buffered) {
  return new Promise((resolve) => {
    const output = [];
    const child = spawn(process.execPath, args, { stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit', cwd: root });
    // The static checks yield to the tests (nice 19): they fill the moments a core would idle (a file
    // waiting on a child process or a socket, the coverage report at the end) instead of slowing the long
    // test files that decide when the run ends. Fresh clones (cold tsc and ESLint, ~21 s of CPU), A/B on the
    // quiet machine: 62–65 s of wall against 69–72 s at the tests' priority (docs/testing.md, fifth pass).
    if (buffered && renice(child.pid, 19)) yielding.add(child.pid);
    if (buffered) for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => output.push(chunk));
    const done = (code, why) => {
      yielding.delete(child.pid);
      resolve({ name, code, output: Buffer.concat(output).toString(), why });
    };
    child.on('error', (err) => done(1, err.message));
    child.on('exit', (code, signal) => done(code ?? 1, signal ?? `exit ${code}`));
  });
}

/** Sets a process's nice value; false where that is not permitted (it then keeps the priority it has). */
function renice(pid, value) {
  try {
    setPriority(pid, value);
    return true;
  } catch {
    return false;
  }
}

const results = await Promise.all([
  ...checks.map(async ([name, args]) => {
    if (unchanged(name)) return { name, code: 0, output: 'passed before on the same inputs, not run again (scripts/check.mjs: checkoutHash, modulesHash)\n' };
    const result = await run(name, args, true);
    // The checkout as it was when the check started; the packages as tsc's build info now lists them.
    const after = fingerprint(name);
    if (result.code === 0 && after !== undefined) writeFileSync(stampOf(name), after);
    return result;
  }),
  run('vitest', [bin('vitest/vitest.mjs'), 'run', '--coverage', ...process.argv.slice(2)], false).then((result) => {
    // Nothing left to yield to: back to normal priority, or other work on a busy machine would starve them.
    // (Lowering a nice value needs privilege, e.g. root in CI; without it they finish at nice 19.)
    for (const pid of yielding) renice(pid, 0);
    return result;
  }),
]);
for (const { name, code, output, why } of results) {
  if (output.trim()) process.stdout.write(`\n── ${name} ──\n${output}`);
  if (code !== 0) console.error(`${name} failed (${why})`);
}
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
