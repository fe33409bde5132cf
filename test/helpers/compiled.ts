/**
 * A runnable copy of the project, for the tests that run `idx-sim` as separate processes (the README's
 * shell blocks, the crash test): in a temporary directory, the layout `npm run build` leaves at the
 * repository root — the sources compiled into dist/, bin/idx-sim.js, and links to src/ (the web pages'
 * static files are read from there), fixtures/, openapi/, node_modules/ and package.json.
 *
 * esbuild compiles (type annotations stripped, nothing bundled, the same tsconfig.json): ~0.2 s for every
 * source file. `npm test` type-checks the same sources with tsc beside the tests, so they do not wait for
 * (or depend on) a dist/ of the working tree, which may be stale or missing.
 */
import { copyFileSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../../src/context.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []);
}

/** Fills `dir` (empty) with the runnable project; `node <dir>/bin/idx-sim.js …` then runs the current sources. */
export async function runnableProject(dir: string): Promise<void> {
  for (const name of ['src', 'fixtures', 'openapi', 'node_modules', 'package.json']) symlinkSync(join(PROJECT_ROOT, name), join(dir, name));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(PROJECT_ROOT, 'bin', 'idx-sim.js'), join(dir, 'bin', 'idx-sim.js'));
  await build({
    entryPoints: sources(join(PROJECT_ROOT, 'src')), outbase: PROJECT_ROOT, outdir: join(dir, 'dist'),
    tsconfig: join(PROJECT_ROOT, 'tsconfig.json'), format: 'esm', platform: 'node', target: 'node20', sourcemap: true, logLevel: 'error',
  });
}
