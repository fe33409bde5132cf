/**
 * A setup file (before every test file; it acts once per worker process): the project's contract from the
 * documents the global setup bundled (test/helpers/global-setup.ts), before any test file imports
 * src/context.ts, which would otherwise import Redocly and bundle the same files again in every worker
 * process (~0.7 s of CPU each). Same documents, same `Contract`: only where the bundling ran differs.
 */
import { readFileSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { inject } from 'vitest';
import { provideDocuments } from '../../src/contract/openapi.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `{ dir, documents }` as `v8.serialize` wrote them: the project's openapi/ directory and its bundled documents. */
    contractDocuments?: string;
  }
}

const provided = Symbol.for('idx-sim.contract-documents-provided');
const path = inject('contractDocuments');
if (path && !(globalThis as Record<symbol, unknown>)[provided]) {
  const { dir, documents } = deserialize(readFileSync(path)) as { dir: string; documents: Map<string, unknown> };
  provideDocuments(dir, documents);
  (globalThis as Record<symbol, unknown>)[provided] = true;
}
