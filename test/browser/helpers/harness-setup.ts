/**
 * Global setup of the browser tests (vitest.browser.config.ts): the development PKI the test harness
 * (test/helpers/harness.ts) needs, so a browser test can run a hub built like the API tests' — and a
 * scratch folder for the harness's contract-coverage notes, which only `npm test` judges.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../../src/context.js';
import { ensureDevPki } from '../../../src/pki/dev-ca.js';
import { ensureSharedCertificates } from '../../../src/pki/shared-certificates.js';
import { readFixtures } from '../../../src/store/fixtures.js';

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-browser-pki-'));
  const { participants, sharedCertificates } = readFixtures(join(PROJECT_ROOT, 'fixtures'));
  ensureSharedCertificates(dir, ensureDevPki(dir, participants.map((p) => p.participantId)), sharedCertificates);
  project.provide('pkiDir', dir);
  const coverageDir = mkdtempSync(join(tmpdir(), 'idx-sim-browser-coverage-'));
  project.provide('contractCoverageDir', coverageDir);
  return () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(coverageDir, { recursive: true, force: true });
  };
}
