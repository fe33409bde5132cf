/**
 * Generates one development PKI for the whole test run (CA, server, two certificates per fixture
 * participant, the OAuth signing key) in a temporary directory, and hands its path to the tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureDevPki } from '../../src/pki/dev-ca.js';
import { ensureSharedCertificates } from '../../src/pki/shared-certificates.js';
import { readFixtures } from '../../src/store/fixtures.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { Contract } from '../../src/contract/openapi.js';
import { ACCEPTED_UNEXERCISED } from '../contract/coverage-exemptions.js';
import { coverageReport, readExercised, unexercised } from './contract-coverage.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pkiDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-test-pki-'));
  const { participants, sharedCertificates } = readFixtures(join(PROJECT_ROOT, 'fixtures'));
  ensureSharedCertificates(dir, ensureDevPki(dir, participants.map((p) => p.participantId)), sharedCertificates);
  project.provide('pkiDir', dir);
  const coverageDir = mkdtempSync(join(tmpdir(), 'idx-sim-contract-coverage-'));
  project.provide('contractCoverageDir', coverageDir);
  return async () => {
    rmSync(dir, { recursive: true, force: true });
    try {
      // Only a run of every test file can cover the contract; a run of a few files or of a -t filter is not judged.
      const all = (await project.globTestFiles()).testFiles.length;
      const ran = project.vitest.state.getFiles().length;
      if (ran < all || project.config.testNamePattern) return;
      const missing = unexercised(await Contract.load(join(PROJECT_ROOT, 'openapi')), readExercised(coverageDir), ACCEPTED_UNEXERCISED);
      if (missing.length) {
        // vitest only logs an error thrown here ("error during close") and still exits 0: set the exit code too.
        process.exitCode = 1;
        throw new Error(coverageReport(missing));
      }
    } finally {
      rmSync(coverageDir, { recursive: true, force: true });
    }
  };
}
