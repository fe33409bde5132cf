/** The simulator commands of `idx-sim` against a running simulator over TLS: output, --json, --help and exit codes. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration, SIM_COMMANDS, simCommand } from '../../src/cli/sim-commands.js';
import { useE2eServer } from '../helpers/e2e.js';

const e2e = useE2eServer('sim-cli-commands', { adminKey: 'cli-key' });

async function cli(name: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const connection = ['--url', e2e.server.url, '--admin-key', 'cli-key', '--ca', join(e2e.dir, 'certs', 'ca', 'ca.crt')];
  const code = await simCommand(name, [...args, ...connection], (t) => { out += t; }, (t) => { err += t; });
  return { code, out, err };
}

describe('idx-sim simulator commands', () => {
  it.each(Object.keys(SIM_COMMANDS))('%s --help prints its usage and the connection flags (exit 0)', async (name) => {
    const { code, out } = await cli(name, '--help');
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^usage: idx-sim ${name}`));
    expect(out).toMatch(/exit codes: 0 done/);
  });

  it('clock: show, advance, set, freeze — human and --json', async () => {
    expect((await cli('clock')).out).toBe('2026-07-02T09:00:00.000+10:00 (frozen)\n');
    expect((await cli('clock', 'advance', '1h')).out).toBe('2026-07-02T10:00:00.000+10:00 (frozen)\n');
    const set = await cli('clock', 'set', '2026-07-02T09:00:00+10:00', '--json');
    expect(JSON.parse(set.out)).toEqual({ now: '2026-07-02T09:00:00.000+10:00', frozen: true, expiredMessages: 0 });
    expect(parseDuration('10d')).toBe(864_000);
    const bad = await cli('clock', 'advance', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/not a duration/);
  });

  it('nmis and churn: set, show, churn, list, rm', async () => {
    expect((await cli('nmis', 'set', '4102000777', '--lnsp', 'LNSPNORTH', '--mc', 'ACMEMC', '--mdp', 'MDPONE')).out).toMatch(/^created 4102000777\n/);
    const churned = await cli('churn', '4102000777', '--from', '2026-07-15', '--mdp', 'MDPTWO');
    expect(churned.code).toBe(0);
    expect(churned.out).toMatch(/4102000777\s+MDP\s+MDPONE\s+2026-01-01\s+2026-07-14/);
    expect(churned.out).toMatch(/4102000777\s+MDP\s+MDPTWO\s+2026-07-15\s+…/);
    const listed = JSON.parse((await cli('nmis', 'list', '--nmi', '4102000777', '--date', '2026-07-20', '--json')).out);
    expect(listed.map((r: { role: string; participantId: string }) => `${r.role} ${r.participantId}`)).toEqual(['LNSP LNSPNORTH', 'MC ACMEMC', 'MDP MDPTWO']);
    expect((await cli('nmis', 'show', '4102000777')).out).toMatch(/^nmi\s+role/);
    expect((await cli('nmis', 'rm', '4102000777')).code).toBe(0);
    const gone = await cli('nmis', 'show', '4102000777');
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/404 IDX_ERR_SIM_NOT_FOUND: NMI 4102000777 has no standing data/);
    expect((await cli('churn', '4102000001', '--from', '2026-07-15')).code).toBe(2);
  });

  it('faults: add, list, off, on, rm, clear; a refused rule exits 1 and names the field', async () => {
    const added = await cli('faults', 'add', '--kind', 'latency', '--latency', '5..10', '--operation', 'listBpqd', '--description', 'slow');
    expect(added.out).toMatch(/^added fault rule (\d+)\n/);
    const id = /rule (\d+)/.exec(added.out)![1]!;
    expect((await cli('faults')).out).toMatch(new RegExp(`${id}\\s+latency\\s+\\*\\s+listBpqd\\s+\\*.*5\\.\\.10 ms\\s+yes\\s+yes\\s+0`));
    expect((await cli('faults', 'off', id)).out).toBe(`fault rule ${id} switched off\n`);
    expect(JSON.parse((await cli('faults', 'on', id, '--json')).out).enabled).toBe(true);
    expect((await cli('faults', 'rm', id)).code).toBe(0);
    const refused = await cli('faults', 'add', '--kind', 'error');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/\/status: an error rule needs status/);
    expect((await cli('faults', 'rm', 'x')).code).toBe(2);
    expect((await cli('faults', 'clear')).out).toBe('every fault rule removed\n');
  });

  it('snapshot and reset', async () => {
    expect((await cli('snapshot', 'save', 'cli')).out).toMatch(/^saved snapshot cli \(\d+ bytes\)\n/);
    expect((await cli('snapshot', 'list')).out).toMatch(/cli\s+2026-07-02T09:00:00.000\+10:00/);
    expect((await cli('reset')).out).toMatch(/^reset to the fixtures: \d+ participants, clock 2026-07-02T09:00:00.000\+10:00 \(frozen\)\n$/);
    expect((await cli('snapshot', 'restore', 'cli')).out).toMatch(/^restored snapshot cli/);
    expect((await cli('snapshot', 'rm', 'cli')).code).toBe(0);
    expect((await cli('snapshot', 'restore', 'cli')).code).toBe(1);
  });

  it('journal and coverage: table, --json, --csv, and --check for CI', async () => {
    await e2e.call('LNSPNORTH', 'GET', '/pqd/v1/bpqd', await e2e.as('LNSPNORTH'));
    const table = await cli('journal', '--participant', 'LNSPNORTH', '--path', '/pqd/v1');
    expect(table.out).toMatch(/^at\s+participant\s+request\s+status/);
    expect(table.out).toMatch(/LNSPNORTH\s+GET \/pqd\/v1\/bpqd\s+200/);
    const all = JSON.parse((await cli('journal', '--participant', 'LNSPNORTH', '--limit', '1', '--all', '--json')).out);
    expect(all.length).toBeGreaterThanOrEqual(2);
    const coverage = await cli('coverage', '--from', '2026-06-29', '--nmi', '4102000001');
    expect(coverage.out).toMatch(/4102000001\s+2026-06-29\s+missing\s+LNSPNORTH\s+ACMEMC,MDPONE/);
    expect(coverage.out).toMatch(/1 row\(s\): missing 1/);
    expect((await cli('coverage', '--from', '2026-06-29', '--nmi', '4102000001', '--check')).code).toBe(1);
    const csv = await cli('coverage', '--from', '2026-06-29', '--nmi', '4102000001', '--csv');
    expect(csv.out.split('\r\n')[0]).toMatch(/^nmi,marketDate,status/);
    expect(JSON.parse((await cli('coverage', '--from', '2026-06-29', '--nmi', '4102000001', '--json')).out).meta.rows).toBe(1);
    expect((await cli('coverage')).code).toBe(2);
    expect((await cli('coverage', '--from', '2026-06-29', '--csv', '--json')).code).toBe(2);
  });

  it('exit codes: 2 for a usage error, 1 for a wrong key, 3 when nothing answers', async () => {
    const unknown = await cli('snapshot', 'explode');
    expect(unknown).toMatchObject({ code: 2, err: expect.stringMatching(/unknown snapshot command "explode"/) });
    expect((await cli('clock', '--nope')).code).toBe(2);
    let err = '';
    const wrongKey = await simCommand('clock', ['--url', e2e.server.url, '--admin-key', 'wrong', '--insecure'], () => {}, (t) => { err += t; });
    expect(wrongKey).toBe(1);
    expect(err).toMatch(/401 IDX_ERR_ADMIN_KEY/);
    err = '';
    expect(await simCommand('clock', ['--url', 'https://127.0.0.1:9', '--insecure'], () => {}, (t) => { err += t; })).toBe(3);
    expect(err).toMatch(/cannot reach the simulator at https:\/\/127.0.0.1:9/);
  });
});
