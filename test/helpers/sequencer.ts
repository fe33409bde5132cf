/**
 * The order test files start in. vitest starts the files that took longest in the previous run first (its
 * results cache, node_modules/.vite), so that the last file to end does not leave a core idle. A fresh clone
 * (CI) has no such cache and starts files in glob order: these few long ones, measured, then come first.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Longest first (CPU seconds on the 2-core machine, 2026-11-30; docs/testing.md). */
export const LONG_FILES = [
  'test/robustness/fuzz.test.ts', // ~20 s: bounded by time
  'test/cli/generate-submit.test.ts', // ~17 s: 130 MB of BPQD generated twice and submitted
  'test/e2e/readme-walkthrough.test.ts', // ~13 s: ~25 `idx-sim` processes and curl
  'test/contract/contract-checks.test.ts',
  'test/api/signatures.test.ts',
  'test/cli/certs-and-sign.test.ts',
  'test/api/translog.test.ts',
  'test/e2e/crash-durability.test.ts',
];

export default class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const key = (f: TestSpecification) => relative(this.ctx.config.root, f.moduleId).replaceAll('\\', '/');
    if (sorted.some((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${key(f)}`))) return sorted;
    const rank = (f: TestSpecification) => {
      const i = LONG_FILES.indexOf(key(f));
      return i < 0 ? LONG_FILES.length : i;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
