import { defineConfig } from 'vitest/config';

// `npm run test:browser`: tests that drive Debian's headless Chromium (/usr/bin/chromium) through
// playwright-core. Kept out of `npm test` (vitest.config.ts excludes test/browser/): a browser is slow to
// start and the machine has two cores. `.ci/run` runs this after `npm test`. Nothing here downloads a
// browser; test/browser/helpers/browser.ts launches the system one.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    // The dev PKI for browser tests that run a hub built by test/helpers/harness.ts (the Web App's).
    globalSetup: ['test/browser/helpers/harness-setup.ts'],
    pool: 'forks',
    // One browser at a time: Chromium is heavy and the suite is small.
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default', 'junit'] : ['default'],
    outputFile: { junit: 'reports/junit-browser.xml' },
  },
});
