/**
 * The short fuzz run inside `npm test` (issue 7, "Done when" 3): a few thousand requests generated from
 * the OpenAPI documents and mutated, plus raw malformed HTTP, over real TLS sockets, with a fixed seed
 * (FUZZ_SEED overrides it, to replay a failure of the long run). The long run is `npm run fuzz`.
 */
import { join } from 'node:path';
import { it } from 'vitest';
import { Fuzzer } from '../../bench/fuzz.js';
import { useE2eServer } from '../helpers/e2e.js';
import { expectCleanFuzzRun } from '../helpers/fuzz-report.js';

const e2e = useE2eServer('fuzz', { profile: 'ci' });

it('a seeded fuzz run: no 5xx, no hang, no crash, every refusal problem+json with its trace id, all within the contract', async () => {
  const report = await new Fuzzer(e2e.server, {
    seed: process.env.FUZZ_SEED ?? 'npm-test', requests: 1500, maxSeconds: 240, concurrency: 8, rawEvery: 20, hangMs: 10_000,
    certsDir: join(e2e.dir, 'certs'),
  }).run();
  expectCleanFuzzRun(report, { maxSeconds: 240, minRequests: 1400 });
}, 300_000);
