/**
 * The test suite's committed RSA keys (test/fixtures/keys/README.md): TEST-ONLY keys, published in this
 * repository, that nothing trusts. Generating a 2048-bit key costs ~100 ms of CPU and a run issues about a
 * hundred certificates; reading a committed key costs nothing, so a fresh clone (CI) starts as fast as a
 * second run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures/keys/', import.meta.url));

/**
 * Key `i` (PKCS #8 PEM, without the file's explanatory line) of a series: `pool` for the certificates tests
 * issue (test/helpers/key-pool.ts), `pki` for the run's development PKI (test/helpers/global-setup.ts).
 * The two series are distinct keys. Undefined beyond the committed ones.
 */
export function committedKeyPem(series: 'pool' | 'pki', i: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(`${dir}${series}-${String(i).padStart(2, '0')}.pem`, 'utf8');
  } catch {
    return undefined;
  }
  return text.slice(text.indexOf('-----BEGIN PRIVATE KEY-----'));
}
