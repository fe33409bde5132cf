/**
 * The compiled sources `npm test` leaves in dist/ (its first step, `tsc -p tsconfig.json`, type-checks
 * and emits in one pass), for the tests that run the `idx-sim` command as a separate process — so they
 * do not compile the project again. Used only when every source file's output is at least as new as
 * the source; otherwise the caller compiles (or runs the sources) itself, so a stale dist/ never counts.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../../src/context.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []);
}

/** dist/ (with dist/src/cli/main.js) when it is up to date with src/, else undefined. */
export function freshDist(): string | undefined {
  const dist = join(PROJECT_ROOT, 'dist');
  for (const source of sources(join(PROJECT_ROOT, 'src'))) {
    const output = join(dist, relative(PROJECT_ROOT, source)).replace(/\.ts$/, '.js');
    if (!existsSync(output) || statSync(output).mtimeMs < statSync(source).mtimeMs) return undefined;
  }
  return dist;
}
