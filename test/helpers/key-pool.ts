/**
 * RSA keys for the certificates tests issue (a setup file: vitest runs it before every test file).
 * Generating a 2048-bit key costs ~100 ms of CPU, and the suite issues about a hundred certificates: each
 * test file gets the same sequence of keys again. The first ones are committed, TEST-ONLY keys that nothing
 * trusts (test/fixtures/keys/, read by test/helpers/test-keys.ts), so a fresh clone generates none; a file
 * that needs more gets them generated once and kept in node_modules/.cache (never committed). Within a file
 * every key is a different one, as generated keys are; across files a key may recur, which nothing can
 * observe: every file has its own hubs, databases and certificates.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll } from 'vitest';
import { generateKeyPem, useKeySource } from '../../src/pki/dev-ca.js';
import { committedKeyPem } from './test-keys.js';

const dir = fileURLToPath(new URL('../../node_modules/.cache/idx-sim/test-keys', import.meta.url));
// vitest runs a setup file again before every file, while a test file's own import of this module is the one
// first loaded in the worker process (isolate: false): both share one sequence.
const pool: { keys: string[]; next: number } = ((globalThis as Record<symbol, unknown>)[Symbol.for('idx-sim.test-key-pool')] ??= { keys: [], next: 0 }) as never;

/** Key `i` beyond the committed ones: read from the cache, or generated and added to it. */
function cachedKeyPem(i: number): string {
  const path = join(dir, `rsa2048-${i}.pem`);
  try {
    return readFileSync(path, 'utf8');
  } catch {
    const key = generateKeyPem();
    mkdirSync(dir, { recursive: true });
    // Whole or not at all: the other worker process may be writing the same name.
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, key);
    renameSync(temporary, path);
    return key;
  }
}

/** The next key of the sequence (PKCS #8 PEM): a committed one, else one kept in the cache. */
export function pooledKeyPem(): string {
  const i = pool.next++;
  return (pool.keys[i] ??= committedKeyPem('pool', i) ?? cachedKeyPem(i));
}

/** The next key of the sequence as a key pair, as `generateKeyPairSync('rsa', { modulusLength: 2048 })` gives one. */
export function pooledKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey(pooledKeyPem());
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

useKeySource(pooledKeyPem);
beforeAll(() => {
  pool.next = 0;
});
