/**
 * Global setup of `npm run test:interop` (vitest.interop.config.ts): the same development PKI as the main
 * suite (test/helpers/global-setup.ts), without judging contract coverage — these few files are clients we
 * did not write, run beside the suite, not the suite itself.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { generatedPki } from './global-setup.js';

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-interop-pki-'));
  cpSync(generatedPki(), dir, { recursive: true });
  project.provide('pkiDir', dir);
  const coverageDir = mkdtempSync(join(tmpdir(), 'idx-sim-interop-coverage-'));
  project.provide('contractCoverageDir', coverageDir);
  return () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(coverageDir, { recursive: true, force: true });
  };
}
