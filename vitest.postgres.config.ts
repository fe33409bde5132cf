import { configDefaults, defineConfig } from 'vitest/config';

// `npm run test:postgres` (issue #14): the store and service suites (services are tested through the HTTP
// API) on PostgreSQL, and test/postgres/ (processes on a cluster of their own: outages, kill -9). test/helpers/postgres-setup.ts starts one throwaway cluster for the run; every test
// hub gets its own database (test/helpers/database.ts). Tests that are about SQLite itself (query plans,
// the WAL checkpointer, PRAGMAs) skip themselves here and say so in their names. `.ci/run` runs this
// after `npm test`, which stays on SQLite only.
export default defineConfig({
  test: {
    include: ['test/store/**/*.test.ts', 'test/api/**/*.test.ts', 'test/postgres/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    globalSetup: ['test/helpers/postgres-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', 'junit'] : ['default'],
    outputFile: { junit: 'reports/junit-postgres.xml' },
  },
});
