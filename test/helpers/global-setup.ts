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
  return () => rmSync(dir, { recursive: true, force: true });
}
