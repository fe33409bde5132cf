/**
 * The README's shell blocks, run as written (bash, curl, gzip, openssl, `node bin/idx-sim.js …`) against a
 * freshly started server, so the documentation cannot rot. Also: the README's configuration table is the
 * generated one.
 *
 * The blocks run at a repository root, where `npm start` has built dist/. So that they never depend on a
 * stale or missing dist/ of the working tree, the test makes its own root in a temporary directory: the
 * current sources compiled into <tmp>/dist, a copy of bin/idx-sim.js and links to src/, fixtures/,
 * openapi/, node_modules/ and package.json (test/helpers/compiled.ts), and the run's development PKI in
 * certs/ (as a first start would have generated it).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { settingsTable } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { runnableProject } from '../helpers/compiled.js';

const run = promisify(execFile);
const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
const between = (marker: string) => {
  const match = new RegExp(`<!-- ${marker} -->\\n([\\s\\S]*?)\\n<!-- /${marker} -->`).exec(readme);
  if (!match) throw new Error(`README has no <!-- ${marker} --> block`);
  return match[1]!.replace(/^```bash\n/, '').replace(/\n```$/, '');
};

let dir: string;
let server: RunningServer;

/** Runs a README block in the temporary repository root, stopping at the first failing command (its output is in the error). */
async function bash(script: string): Promise<{ stdout: string }> {
  try {
    return await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: { ...process.env, IDX: server.url }, timeout: 90_000 });
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`README block failed (exit ${e.code}).\nstdout:\n${e.stdout}\nstderr:\n${e.stderr}`);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-readme-'));
  await runnableProject(dir);
  cpSync(inject('pkiDir'), join(dir, 'certs'), { recursive: true });
  server = await startServer({ port: 0, logLevel: 'silent', dataDir: join(dir, 'data'), certsDir: join(dir, 'certs'), fixturesDir: join(dir, 'fixtures') });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

// Each block starts several `idx-sim` processes; on a loaded machine that alone can pass vitest's default
// 30 s, so the blocks get the same bound as their bash run (90 s) plus room for the assertions.
describe('README', { timeout: 120_000 }, () => {
  it('walkthrough works step by step as written', async () => {
    const { stdout } = await bash(between('walkthrough'));
    const lines = stdout.trim().split('\n');
    expect(JSON.parse(lines[0]!).data).toMatchObject({ status: 'delivery_pending', receivingParticipantIds: ['LNSPNORTH'] });
    expect(JSON.parse(lines[1]!).meta).toMatchObject({ totalRecords: 1 });
    expect(lines[2]).toBe('{');
    expect(stdout).toContain('"initiatingParticipantId": "MDPONE"');
    expect(lines).toContain('204');
    expect(JSON.parse(lines[lines.length - 3]!).data).toEqual([expect.objectContaining({ fromParticipant: 'MDPONE', toParticipant: 'LNSPNORTH', messageStatus: 'removed' })]);
    expect(JSON.parse(lines[lines.length - 2]!)).toMatchObject({ status: 400, code: 'IDX_ERR_NMI_CHECKSUM' });
    const tampered = JSON.parse(lines[lines.length - 1]!);
    expect(tampered).toMatchObject({ status: 400, code: 'IDX_ERR_SIGNATURE_MISMATCH' });
    expect(tampered.detail).toMatch(/uncompressed JSON bytes hash to/);
  });

  it('certificate block (list, rotate, revoke, issue from a CSR, sign with OpenSSL) works as written against the running server', async () => {
    const { stdout } = await bash(between('certificates'));
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PARTICIPANT\s+SLOT\s+ACTIVE\s+STATUS/);
    expect(lines[1]).toMatch(/^MDPTWO\s+primary\s+active\s+registered\s+MDPTWO-NonProd/);
    expect(lines[3]).toMatch(/^MDPTWO's active certificate is now its secondary/);
    expect(lines[4]).toMatch(/^revoked MDPTWO's primary certificate/);
    // The server, in this process, saw the CLI's changes (another process) on its next request.
    expect(JSON.parse(lines[5]!)).toMatchObject({ status: 401, code: 'IDX_ERR_CLIENT_CERT_REVOKED' });
    expect(lines[6]).toBe('200');
    expect(lines[7]).toMatch(/^issued MDPTWO's primary certificate: CN MDPTWO-NonProd/);
    expect(JSON.parse(lines[lines.length - 1]!).data).toMatchObject({ status: 'delivery_pending', receivingParticipantIds: ['LNSPNORTH'] });
    expect(server.ctx.certificates.view().current('MDPTWO', 'primary')?.revokedAt).toBeNull();
  });

  it('rehearsing alone (doctor, generate, submit, virtual counterparties, poll) works as written', async () => {
    const { stdout } = await bash(between('rehearsal'));
    const lines = stdout.trim().split('\n');
    expect(stdout).toMatch(/PASS {2}tls/);
    expect(stdout).toMatch(/all checks passed/);
    expect(stdout).toMatch(/wrote 7 messages to .*rehearsal: 4 valid, 3 invalid variants/);
    expect(stdout).toMatch(/✓ invalid-gaps\.json {2}MDPONE {2}400 IDX_ERR_PAYLOAD_RULE .* as expected/);
    expect(stdout).toMatch(/7 sent: 4 accepted, 3 refused; 7 as expected, 0 not/);
    // While the fault rule is on, the poll is answered 503 and nothing is taken; once cleared, everything is drained.
    expect(stdout).toMatch(/listing the queue was refused: 503/);
    expect(stdout).toMatch(/every fault rule removed/);
    const poll = JSON.parse(lines[lines.length - 2]!);
    // At least the two generated messages for LNSPNORTH and the virtual MC's two days.
    expect(poll.retrieved).toBeGreaterThanOrEqual(4);
    expect(poll).toMatchObject({ deleted: poll.retrieved, failed: [] });
    expect(lines[lines.length - 1]).toMatch(/^acme-daily +running +sender ACMEMC, daily; sent 4: 4 accepted, 0 refused; next 2026-07-20 at 2026-07-21T01:00:00\.000\+10:00$/);
  }, 120_000);
  it('control block (snapshot, clock, churn, faults, coverage, journal, restore) works as written against the running server', async () => {
    const { stdout } = await bash(between('control'));
    const lines = stdout.trim().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ status: 'ready', backend: 'sqlite', checks: { database: 'ok' } });
    expect(lines[1]).toMatch(/^saved snapshot before-test/);
    expect(lines).toContain('4102000001,2026-07-14,missing,true,false,LNSPNORTH,ACMEMC;MDPONE,,,false,false,\r');
    expect(lines).toContain('4102000001,2026-07-15,not-required,false,true,LNSPNORTH,ACMEMC;MDPTWO,,,false,false,\r');
    expect(lines[lines.length - 1]).toMatch(/^restored snapshot before-test/);
    expect(Array.isArray(JSON.parse(readFileSync(join(dir, 'journal.json'), 'utf8')))).toBe(true);
    // Restored: no churn, no fault rule.
    expect(server.ctx.participants.rolesOn('4102000001', '2026-07-15').MDP).toEqual(['MDPONE']);
    expect(server.ctx.faults.rules()).toEqual([]);
  });

  it('configuration table is the one `idx-sim config` prints', () => {
    expect(between('settings')).toBe(settingsTable());
  });
});
