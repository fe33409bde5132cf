/** The TypeScript types of the contract (src/contract/types) are regenerated from the documents, never edited by hand. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateContractTypes, TYPES_DIR } from '../../scripts/contract-types.mjs';

describe('src/contract/types', () => {
  it('match what openapi-typescript generates from openapi/ today (else run `npm run contract:types`)', async () => {
    const generated = await generateContractTypes();
    expect(generated.size).toBeGreaterThanOrEqual(8);
    const checkedIn = readdirSync(TYPES_DIR).filter((f) => f !== 'index.ts');
    expect(checkedIn.sort(), 'one generated file per API document').toEqual([...generated.keys()].sort());
    for (const [file, text] of generated) {
      expect(readFileSync(join(TYPES_DIR, file), 'utf8') === text, `src/contract/types/${file} is out of date: run \`npm run contract:types\``).toBe(true);
    }
  });
});
