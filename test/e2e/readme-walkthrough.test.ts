/**
 * The README's curl walkthrough, run as written (bash, curl, gzip) against a freshly started server,
 * so the documentation cannot rot. Also: the README's configuration table is the generated one.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsTable } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { startServer, type RunningServer } from '../../src/server.js';

const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
const between = (marker: string) => {
  const match = new RegExp(`<!-- ${marker} -->\\n([\\s\\S]*?)\\n<!-- /${marker} -->`).exec(readme);
  if (!match) throw new Error(`README has no <!-- ${marker} --> block`);
  return match[1]!;
};

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'idx-sim-readme-'));
  // The walkthrough runs at the repository root: certs/ and fixtures/ relative to the working directory.
  symlinkSync(join(PROJECT_ROOT, 'fixtures'), join(dir, 'fixtures'));
  server = await startServer({ port: 0, logLevel: 'silent', dataDir: join(dir, 'data'), certsDir: join(dir, 'certs'), fixturesDir: join(dir, 'fixtures') });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('README', () => {
  it('walkthrough works step by step as written', async () => {
    const script = between('walkthrough').replace(/^```bash\n/, '').replace(/\n```$/, '');
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: { ...process.env, IDX: server.url }, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(JSON.parse(lines[0]!).data).toMatchObject({ status: 'delivery_pending', receivingParticipantIds: ['LNSPNORTH'] });
    expect(JSON.parse(lines[1]!).meta).toMatchObject({ totalRecords: 1 });
    expect(lines[2]).toBe('{');
    expect(stdout).toContain('"initiatingParticipantId": "MDPONE"');
    expect(lines).toContain('204');
    expect(JSON.parse(lines[lines.length - 2]!).data).toEqual([expect.objectContaining({ fromParticipant: 'MDPONE', toParticipant: 'LNSPNORTH', messageStatus: 'removed' })]);
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ status: 400, code: 'IDX_ERR_NMI_CHECKSUM' });
  });

  it('configuration table is the one `idx-sim config` prints', () => {
    expect(between('settings')).toBe(settingsTable());
  });
});
