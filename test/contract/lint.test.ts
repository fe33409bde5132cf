/**
 * The contract read by a real linter, as participants' tools read it: Redocly's `recommended` rules plus
 * the stricter ones of redocly.yaml, on every OpenAPI and AsyncAPI document in openapi/.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { describeProblems, lintDocuments } from '../helpers/contract-lint.js';

describe('the documents in openapi/, linted with redocly.yaml', () => {
  it('have no lint error and no warning the ruleset does not accept', async () => {
    const problems = await lintDocuments(join(PROJECT_ROOT, 'openapi'));
    expect(describeProblems(problems), 'run `npx vitest run test/contract/lint.test.ts`; accept a warning only in redocly.yaml, with the reason').toEqual([]);
  });
});
