/**
 * Generates one development PKI for the whole test run (CA, server, two certificates per fixture
 * participant, the OAuth signing key) in a temporary directory, and hands its path to the tests.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import type { TestProject } from 'vitest/node';
import { ensureDevPki, generateKeyPem, useKeySource } from '../../src/pki/dev-ca.js';
import { ensureSharedCertificates } from '../../src/pki/shared-certificates.js';
import { readFixtures } from '../../src/store/fixtures.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { loadContract } from '../../src/contract/openapi.js';
import { ACCEPTED_UNEXERCISED } from '../contract/coverage-exemptions.js';
import { coverageReport, readExercised, unexercised } from './contract-coverage.js';
import { committedKeyPem } from './test-keys.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pkiDir: string;
  }
}

/**
 * The PKI's 20-odd RSA keys are committed test-only keys (the `pki` series of test/fixtures/keys/, generated
 * only beyond them): generating them took ~5 s of CPU before any test could start. Issuing the certificates
 * still takes a little, so an earlier run's PKI is reused when it was made today by the same PKI code from
 * the same fixtures and keys: node_modules/.cache keeps it (never committed). Each run gets its own copy.
 */
export function generatedPki(): string {
  const { participants, sharedCertificates } = readFixtures(join(PROJECT_ROOT, 'fixtures'));
  const participantIds = participants.map((p) => p.participantId);
  const code = ['src/pki', 'src/domain/certificate-rules.ts', 'src/store/files.ts'].flatMap((path) =>
    path.endsWith('.ts') ? [path] : readdirSync(join(PROJECT_ROOT, path)).sort().map((name) => `${path}/${name}`));
  const hash = createHash('sha256').update(JSON.stringify({ participantIds, sharedCertificates, day: new Date().toISOString().slice(0, 10) }));
  for (const path of code) hash.update(path).update(readFileSync(join(PROJECT_ROOT, path)));
  const keys: string[] = [];
  for (let i = 0, key; (key = committedKeyPem('pki', i)) !== undefined; i++) keys.push(key);
  hash.update(keys.join(''));
  const cacheDir = join(PROJECT_ROOT, 'node_modules', '.cache', 'idx-sim');
  const name = `test-pki-${hash.digest('hex').slice(0, 16)}`;
  const cached = join(cacheDir, name);
  if (!existsSync(cached)) {
    mkdirSync(cacheDir, { recursive: true });
    const fresh = mkdtempSync(join(cacheDir, 'generating-'));
    let next = 0;
    useKeySource(() => keys[next++] ?? generateKeyPem());
    try {
      ensureSharedCertificates(fresh, ensureDevPki(fresh, participantIds), sharedCertificates);
    } finally {
      useKeySource(undefined);
    }
    for (const old of readdirSync(cacheDir).filter((n) => n.startsWith('test-pki-') || (n.startsWith('generating-') && join(cacheDir, n) !== fresh))) rmSync(join(cacheDir, old), { recursive: true, force: true });
    renameSync(fresh, cached); // whole or not at all
  }
  return cached;
}

/**
 * What every test configuration's global setup gives its tests (`inject`): a copy of the run's development PKI
 * (generatedPki) and a scratch folder for the harness's contract-coverage notes. `remove` deletes both.
 */
export function provideRunFolders(project: TestProject, label: string): { coverageDir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `idx-sim-${label}-pki-`));
  cpSync(generatedPki(), dir, { recursive: true });
  project.provide('pkiDir', dir);
  const coverageDir = mkdtempSync(join(tmpdir(), `idx-sim-${label}-coverage-`));
  project.provide('contractCoverageDir', coverageDir);
  return {
    coverageDir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(coverageDir, { recursive: true, force: true });
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { coverageDir, remove } = provideRunFolders(project, 'test');
  // The project's contract, bundled when this file imported src/context.ts: the workers get its documents
  // (test/helpers/project-contract.ts) instead of bundling them again, and the teardown checks against it.
  const contract = await loadContract(join(PROJECT_ROOT, 'openapi'));
  const documentsDir = mkdtempSync(join(tmpdir(), 'idx-sim-test-contract-'));
  const documents = join(documentsDir, 'documents.bin');
  writeFileSync(documents, serialize({ dir: contract.dir, documents: contract.documents }));
  project.provide('contractDocuments', documents);
  return async () => {
    try {
      // Only a run of every test file can cover the contract; a run of a few files or of a -t filter is not judged.
      const all = (await project.globTestFiles()).testFiles.length;
      const ran = project.vitest.state.getFiles().length;
      if (ran < all || project.config.testNamePattern) return;
      const missing = unexercised(contract, readExercised(coverageDir), ACCEPTED_UNEXERCISED);
      if (missing.length) {
        // vitest only logs an error thrown here ("error during close") and still exits 0: set the exit code too.
        process.exitCode = 1;
        throw new Error(coverageReport(missing));
      }
    } finally {
      remove();
      rmSync(documentsDir, { recursive: true, force: true });
    }
  };
}
