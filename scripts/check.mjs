#!/usr/bin/env node
// `npm test`'s static checks, side by side (each is single-threaded; the machine has two cores):
// tsc type-checks and emits dist/ (the README and crash tests run that output), ESLint lints.
// Both run to the end so one run shows every problem; the exit code is non-zero if either failed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (path) => fileURLToPath(new URL(`../node_modules/${path}`, import.meta.url));
const checks = [
  ['tsc', [bin('typescript/bin/tsc'), '-p', 'tsconfig.json']],
  ['eslint', [bin('eslint/bin/eslint.js'), '.']],
];

const codes = await Promise.all(checks.map(([name, args]) => new Promise((resolve) => {
  const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: root });
  child.on('error', (err) => {
    console.error(`${name}: ${err.message}`);
    resolve(1);
  });
  child.on('exit', (code, signal) => {
    if (code !== 0) console.error(`${name} failed (${signal ?? `exit ${code}`})`);
    resolve(code ?? 1);
  });
})));
process.exit(codes.some((c) => c !== 0) ? 1 : 0);
