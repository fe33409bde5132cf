#!/usr/bin/env node
// `npm test`: tsc (type check), ESLint and vitest (with coverage and its thresholds), side by side on the
// machine's cores. The static checks take ~20 s of CPU on a fresh clone and need only one core each;
// starting the tests at the same time keeps both cores busy instead of leaving one idle while they run.
// Every part runs to the end, so one run shows every problem; the exit code is non-zero if any failed.
// The static checks' output is printed after the tests' (so it is not interleaved with the reporter).
// Arguments go to vitest: `npm test -- test/api/oauth.test.ts`.
import { spawn } from 'node:child_process';
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

function run(name, args, buffered) {
  return new Promise((resolve) => {
    const output = [];
    const child = spawn(process.execPath, args, { stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit', cwd: root });
    if (buffered) for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => output.push(chunk));
    const done = (code, why) => resolve({ name, code, output: Buffer.concat(output).toString(), why });
    child.on('error', (err) => done(1, err.message));
    child.on('exit', (code, signal) => done(code ?? 1, signal ?? `exit ${code}`));
  });
}

const results = await Promise.all([
  ...checks.map(([name, args]) => run(name, args, true)),
  run('vitest', [bin('vitest/vitest.mjs'), 'run', '--coverage', ...process.argv.slice(2)], false),
]);
for (const { name, code, output, why } of results) {
  if (output.trim()) process.stdout.write(`\n── ${name} ──\n${output}`);
  if (code !== 0) console.error(`${name} failed (${why})`);
}
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
