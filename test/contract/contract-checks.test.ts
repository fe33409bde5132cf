/**
 * Each check of the contract can fail: run on a copy of openapi/ with one deliberate mistake, it names
 * the mistake. (The same checks run on the real documents in openapi.test.ts and lint.test.ts, and the
 * coverage check in the global teardown of every full run.)
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Contract, loadContract } from '../../src/contract/openapi.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { exampleProblems, schemaCompileProblems, securityProblems } from '../helpers/contract-checks.js';
import { coverageReport, unexercised } from '../helpers/contract-coverage.js';
import { describeProblems, lintDocuments } from '../helpers/contract-lint.js';

const copies: string[] = [];
afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** openapi/ copied to a temp dir, with `from` replaced by `to` (exactly once) in one file. */
function mutated(file: string, from: string, to: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-contract-'));
  copies.push(dir);
  cpSync(join(PROJECT_ROOT, 'openapi'), dir, { recursive: true });
  const text = readFileSync(join(dir, file), 'utf8');
  expect(text.split(from).length, `${file} contains ${from} once`).toBe(2);
  writeFileSync(join(dir, file), text.replace(from, to));
  return dir;
}

describe('a deliberately broken contract fails the suite', () => {
  it('a misspelt schema keyword: the strict compile and the linter name it', async () => {
    const dir = mutated('pqd.yaml', 'maxItems: 100\n          uniqueItems: true', 'maxItems: 100\n          uniqueItem: true');
    expect(schemaCompileProblems(await Contract.load(dir))).toContainEqual(expect.stringMatching(/pqd\.yaml#\/components\/schemas\/BpqdHeader: strict mode: unknown keyword: "uniqueItem"/));
    expect(describeProblems((await lintDocuments(dir)).filter((p) => p.severity === 'error'))).toContainEqual(expect.stringMatching(/uniqueItem.*\(struct\)/));
  });

  it('a comma that cuts a description short in a flow mapping: the strict compile names the stray keyword', async () => {
    const dir = mutated('pqd.yaml', `description: "The payload header's messageDateTime, as sent." }`, `description: The payload header's messageDateTime, as sent. }`);
    expect(schemaCompileProblems(await Contract.load(dir))).toContainEqual(expect.stringMatching(/MessageMetadata: strict mode: unknown keyword: "as sent\."/));
  });

  it('an example that breaks its schema: the example check and the linter name it', async () => {
    const dir = mutated('token.yaml', 'example: eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ', 'example: eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9...eyJ');
    expect(exampleProblems(await Contract.load(dir))).toEqual([expect.stringMatching(/token\.yaml#.*\/access_token: example "eyJ.*" does not match its schema: "must match pattern/)]);
    expect(describeProblems((await lintDocuments(dir)).filter((p) => p.severity === 'error'))).toContainEqual(expect.stringMatching(/access_token.*\(no-invalid-schema-examples\)/));
  });

  it('an operation without security: the security check and the linter name it', async () => {
    const dir = mutated('sim-admin.yaml', `      summary: Injected outages\n      security: [{ adminKey: [] }]\n`, `      summary: Injected outages\n`);
    expect(securityProblems(await Contract.load(dir))).toEqual([expect.stringMatching(/sim-admin\.yaml listOutages: no security requirement/)]);
    expect(describeProblems((await lintDocuments(dir)).filter((p) => p.severity === 'error'))).toEqual([expect.stringMatching(/sim-admin\.yaml #\/paths\/~1outages\/get: .*\(security-defined\)/)]);
  });

  it('an Authorization header parameter: the security check refuses it', async () => {
    const dir = mutated('sim-admin.yaml', `      summary: Injected outages\n`, `      summary: Injected outages\n      parameters: [{ name: Authorization, in: header, schema: { type: string } }]\n`);
    expect(securityProblems(await Contract.load(dir))).toEqual([expect.stringMatching(/listOutages: documents Authorization as a header parameter/)]);
  });

  it('a documented status no test produces: the coverage check names the operation and the status', async () => {
    const real = await loadContract(join(PROJECT_ROOT, 'openapi'));
    const everything = new Set(real.documentedStatuses().map(({ operationId, status }) => `${operationId} ${status}`));
    const dir = mutated('sim-admin.yaml', `        '401': { $ref: 'common.yaml#/components/responses/Unauthorized' }\n        '500': { $ref: 'common.yaml#/components/responses/InternalError' }\n  /outages:`,
      `        '401': { $ref: 'common.yaml#/components/responses/Unauthorized' }\n        '418': { $ref: 'common.yaml#/components/responses/NotFound' }\n        '500': { $ref: 'common.yaml#/components/responses/InternalError' }\n  /outages:`);
    const broken = await Contract.load(dir);
    const missing = unexercised(broken, everything, {});
    expect(missing).toEqual(['setClock 418']);
    expect(coverageReport(missing)).toMatch(/1 documented operation × status pair\(s\) that no test produces:\n {2}- setClock 418\nWrite a test/);
    expect(unexercised(broken, everything, { 'setClock 418': 'a reason' })).toEqual([]);
  });
});
