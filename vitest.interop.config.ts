import { defineConfig } from 'vitest/config';

// `npm run test:interop`: the hub against clients we did not write, in other languages' standard libraries
// (test/interop/: a JDK-only Java participant system, a standard-library Python one). Not part of `npm test` — each starts a JVM or another
// runtime, seconds of CPU the main suite's time budget (issue #9) has no room for; `.ci/run` runs it after
// the PostgreSQL suites. A file whose runtime is missing fails, it does not skip (CI has every one).
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    globalSetup: ['test/helpers/interop-setup.ts'],
    setupFiles: ['test/helpers/key-pool.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', 'junit'] : ['default'],
    outputFile: { junit: 'reports/junit-interop.xml' },
  },
});
