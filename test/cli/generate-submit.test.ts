/**
 * Issue #10, Done-when 3: `idx-sim generate --nmis 1000 --days 1 --seed 7` is reproducible byte for byte,
 * and against a hub started in process (`ci` profile, real TLS sockets) every valid file is accepted by
 * `idx-sim submit` and every invalid variant refused with the code its manifest names.
 */
import { cpSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCommand } from '../../src/cli/generate.js';
import { loadConfig } from '../../src/config.js';
import { submitCommand } from '../../src/cli/submit.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { INVALID_VARIANTS } from '../../src/domain/bpqd-dataset.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { readFixtures } from '../../src/store/fixtures.js';
import { pkiDir } from '../helpers/harness.js';

let dir: string;
let server: RunningServer | undefined;
const capture = () => {
  const chunks: string[] = [];
  return { out: (t: string) => { chunks.push(t); }, text: () => chunks.join('') };
};
/** The files of two folders that differ: missing on one side, or other bytes (compared byte for byte, not by hash: ~0.8 s of CPU less). */
const differences = (a: string, b: string) => [...new Set([...readdirSync(a), ...readdirSync(b)])].sort().filter((f) => {
  try {
    return !readFileSync(join(a, f)).equals(readFileSync(join(b, f)));
  } catch {
    return true;
  }
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-generate-'));
  cpSync(pkiDir(), join(dir, 'certs'), { recursive: true });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const generate = (out: string, ...extra: string[]) => {
  const c = capture();
  const r = generateCommand(['--nmis', '1000', '--days', '1', '--seed', '7', '--out', out, '--certs-dir', join(dir, 'certs'), '--json', ...extra], c.out);
  expect(r.code).toBe(0);
  return JSON.parse(c.text());
};

describe('idx-sim generate --nmis 1000 --days 1 --seed 7', () => {
  it('writes the same bytes twice, and different bytes for another seed', () => {
    const first = generate(join(dir, 'a'));
    generate(join(dir, 'b'));
    // The fixture standing data's NMIs come first; the rest are invented.
    const fixtureNmis = new Set(readFixtures(join(PROJECT_ROOT, 'fixtures')).roles.map((r) => r.nmi)).size;
    expect(first).toMatchObject({ invalid: INVALID_VARIANTS.length, addedNmis: 1000 - fixtureNmis, skipped: [] });
    expect(first.valid).toBeGreaterThan(1);
    const a = readdirSync(join(dir, 'a'));
    expect(a).toContain('manifest.json');
    expect(a.filter((f) => f.endsWith('.sig'))).toHaveLength(first.files);
    expect(differences(join(dir, 'a'), join(dir, 'b'))).toEqual([]);
    generateCommand(['--nmis', '3', '--seed', '8', '--out', join(dir, 'c'), '--certs-dir', join(dir, 'certs'), '--invalid', 'none'], () => {});
    generateCommand(['--nmis', '3', '--seed', '7', '--out', join(dir, 'd'), '--certs-dir', join(dir, 'certs'), '--invalid', 'none'], () => {});
    const c = readFileSync(join(dir, 'c', 'valid-2026-07-01-mdpone-lnspnorth-001.json'), 'utf8');
    const d = readFileSync(join(dir, 'd', 'valid-2026-07-01-mdpone-lnspnorth-001.json'), 'utf8');
    expect(c).not.toEqual(d);
  });

  it('writes ready-to-send files: gzip of the JSON, one message per sender per LNSP per day within the size cap, 1000 distinct NMIs', () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'a', 'manifest.json'), 'utf8'));
    const valid = manifest.payloads.filter((p: { variant?: string }) => !p.variant);
    const nmis = new Set<string>();
    for (const p of valid) {
      const json = readFileSync(join(dir, 'a', p.file));
      expect(gunzipSync(readFileSync(join(dir, 'a', p.gzip))).equals(json), p.gzip).toBe(true);
      expect(json.length).toBeLessThanOrEqual(Math.min(loadConfig().maxPayloadBytesLow, loadConfig().maxPayloadBytes));
      const payload = JSON.parse(json.toString());
      expect(payload.data.header.initiatingParticipantId).toBe(p.sender);
      expect(payload.data.header.receivingParticipantId).toEqual(p.expect.recipients);
      for (const d of payload.data.transactions[0].nmiDetails) nmis.add(d.nmi);
      expect(readFileSync(join(dir, 'a', p.signature), 'utf8')).toMatch(/^RSA-SHA256;MII/);
    }
    expect(nmis.size).toBe(1000);
    expect(new Set(valid.map((p: { expect: { recipients: string[] } }) => p.expect.recipients[0]))).toEqual(new Set(['LNSPNORTH', 'LNSPSOUTH']));
    expect(manifest.payloads.filter((p: { variant?: string }) => p.variant).map((p: { variant: string }) => p.variant).sort()).toEqual([...INVALID_VARIANTS].sort());
  });

  it('every valid file is accepted by idx-sim submit, every invalid variant refused with the code its manifest names', async () => {
    const fixtures = join(dir, 'fixtures');
    mkdirSync(fixtures);
    for (const f of ['participants.json', 'urm-users.json']) copyFileSync(join(PROJECT_ROOT, 'fixtures', f), join(fixtures, f));
    copyFileSync(join(dir, 'a', 'nmi-standing-data.json'), join(fixtures, 'nmi-standing-data.json'));
    server = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', profile: 'ci', dataDir: join(dir, 'data'), certsDir: join(dir, 'certs'),
      fixturesDir: fixtures, seed: 'generate', clockStart: '2026-07-02T09:00:00.000+10:00', clockFrozen: true });
    const c = capture();
    const code = await submitCommand([join(dir, 'a'), '--url', server.url, '--certs-dir', join(dir, 'certs'), '--json'], c.out, () => {});
    const { summary, results } = JSON.parse(c.text());
    const manifest = JSON.parse(readFileSync(join(dir, 'a', 'manifest.json'), 'utf8'));
    expect(results.filter((r: { ok: boolean }) => !r.ok)).toEqual([]);
    expect(code).toBe(0);
    expect(summary).toMatchObject({ total: manifest.payloads.length, unexpected: 0, refused: INVALID_VARIANTS.length });
    for (const [i, p] of manifest.payloads.entries()) {
      expect(results[i].status, p.file).toBe(p.expect.status);
      if (p.variant) expect(results[i].code, p.file).toBe(p.expect.code);
    }
    // The hub now holds every valid message in its LNSP's queue.
    const queued = server.ctx.db.prepare('SELECT COUNT(*) AS n FROM queue_items').get() as { n: number };
    expect(queued.n).toBe(summary.accepted);
  }, 240_000);

  it('reports a manifest expectation that is not met, and exits 1', async () => {
    // Sending an accepted file again: its messageContextId is taken (409), not what the manifest says.
    const c = capture();
    const code = await submitCommand([join(dir, 'a', 'valid-2026-07-01-mdpone-lnspsouth-001.json'), '--url', server!.url, '--certs-dir', join(dir, 'certs')], c.out, () => {});
    expect(code).toBe(1);
    expect(c.text()).toMatch(/valid-2026-07-01-mdpone-lnspsouth-001\.json .*expected 200, got 409 IDX_ERR_DUPLICATE_MESSAGE/);
    expect(c.text()).toMatch(/1 sent: 0 accepted, 1 refused; 0 as expected, 1 not/);
  });
}, 300_000);
