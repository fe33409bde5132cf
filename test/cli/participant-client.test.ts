/**
 * The participant CLI against a running idx-sim over real TLS sockets (issue #10): submit (with manifest
 * expectations), poll, token, events, doctor — Done-when 4: doctor passes against idx-sim, and fails with a
 * clear reason for an expired or wrong-CN certificate — and the exit codes CI relies on.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/connection.js';
import { doctorCommand } from '../../src/cli/doctor.js';
import { pollCommand } from '../../src/cli/poll.js';
import { submitCommand } from '../../src/cli/submit.js';
import { eventsCommand, tokenCommand } from '../../src/cli/token-events.js';
import { loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { issueClientCertificate, pkiPaths } from '../../src/pki/dev-ca.js';
import { useE2eServer } from '../helpers/e2e.js';

const e2e = useE2eServer('participant-cli');
const DAY = 86_400_000;

async function run(command: (args: string[], out: (t: string) => void, err?: (t: string) => void) => Promise<number>, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command([...args, '--url', e2e.server.url, '--certs-dir', join(e2e.dir, 'certs')], (t) => { out.push(t); }, (t) => { err.push(t); });
  return { code, out: out.join(''), err: err.join('') };
}

function certificate(name: string, commonName: string, validity: { notBefore: number; notAfter: number }): string[] {
  const p = pkiPaths(join(e2e.dir, 'certs'));
  const ca = { certPem: readFileSync(p.caCert, 'utf8'), keyPem: readFileSync(p.caKey, 'utf8') };
  const issued = issueClientCertificate(ca, commonName, validity);
  const dir = join(e2e.dir, 'own');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.crt`), issued.certPem);
  writeFileSync(join(dir, `${name}.key`), issued.keyPem);
  return ['--cert', join(dir, `${name}.crt`), '--key', join(dir, `${name}.key`)];
}

describe('idx-sim submit', () => {
  it('sends the sample payloads folder and finds every answer its manifest expects', async () => {
    const r = await run(submitCommand, [join(PROJECT_ROOT, 'fixtures', 'payloads'), '--json']);
    const { summary, results } = JSON.parse(r.out);
    expect(results.filter((x: { ok: boolean }) => !x.ok)).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'fixtures', 'payloads', 'manifest.json'), 'utf8'));
    expect(summary).toMatchObject({ unexpected: 0, total: manifest.payloads.length, accepted: manifest.payloads.filter((p: { expect: { status: number } }) => p.expect.status === 200).length });
    expect(r.code).toBe(0);
  });

  it('exits 1 on a refusal without expectations, 3 when the hub cannot be reached, and throws a usage error without files', async () => {
    const file = join(e2e.dir, 'bad.json');
    const sample = JSON.parse(readFileSync(join(PROJECT_ROOT, 'fixtures', 'payloads', 'invalid-nmi-checksum.json'), 'utf8'));
    writeFileSync(file, JSON.stringify(sample));
    const refused = await run(submitCommand, [file, '--as', 'MDPONE']);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/✗ bad\.json {2}MDPONE {2}400 IDX_ERR_NMI_CHECKSUM/);
    const out: string[] = [];
    const err: string[] = [];
    const unreachable = await submitCommand([file, '--as', 'MDPONE', '--url', 'https://127.0.0.1:1', '--certs-dir', join(e2e.dir, 'certs')], (t) => { out.push(t); }, (t) => { err.push(t); });
    expect(unreachable).toBe(3);
    expect(err.join('')).toMatch(/cannot reach the hub: .*ECONNREFUSED/);
    await expect(submitCommand([], () => {})).rejects.toBeInstanceOf(UsageError);
  });
});

describe('idx-sim poll', () => {
  it('drains the LNSP queue: list, get, save, delete; --keep leaves messages queued', async () => {
    await run(submitCommand, [join(PROJECT_ROOT, 'fixtures', 'payloads', 'valid-mdpone-lnspnorth.json'), '--as', 'MDPONE']);
    const kept = await run(pollCommand, ['--as', 'LNSPNORTH', '--keep', '--json', '--page', '1']);
    expect(kept.code).toBe(0);
    const k = JSON.parse(kept.out);
    expect(k.retrieved).toBeGreaterThanOrEqual(2);
    expect(k.deleted).toBe(0);
    const out = join(e2e.dir, 'inbox');
    const drained = await run(pollCommand, ['--as', 'LNSPNORTH', '--out', out, '--json', '--page', '1']);
    const d = JSON.parse(drained.out);
    expect(d).toMatchObject({ retrieved: k.retrieved, deleted: k.retrieved, failed: [] });
    const saved = readdirSync(out);
    expect(saved.filter((f) => f.endsWith('.json'))).toHaveLength(k.retrieved);
    expect(saved.filter((f) => f.endsWith('.sig'))).toHaveLength(k.retrieved);
    const first = JSON.parse(readFileSync(join(out, saved.find((f) => f.endsWith('.json'))!), 'utf8'));
    expect(first.data.header.receivingParticipantId).toEqual(['LNSPNORTH']);
    const again = await run(pollCommand, ['--as', 'LNSPNORTH']);
    expect(again.out).toMatch(/LNSPNORTH: 0 retrieved, 0 deleted, 0 failed/);
  });
});

describe('idx-sim token and events', () => {
  it('prints an access token, and the event stream as it arrives', async () => {
    const token = await run(tokenCommand, ['--as', 'LNSPSOUTH', '--json']);
    expect(token.code).toBe(0);
    expect(JSON.parse(token.out)).toMatchObject({ access_token: expect.stringMatching(/^eyJ/), expires_in: 3599 });
    const events = await run(eventsCommand, ['--as', 'LNSPSOUTH', '--count', '1', '--json']);
    expect(events.code).toBe(0);
    expect(JSON.parse(events.out)).toMatchObject({ eventType: 'SUBSCRIBED', participantId: 'LNSPSOUTH' });
    const refused = await run(tokenCommand, ['--as', 'LNSPSOUTH', '--client-secret', 'wrong']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/token request refused: 401 IDX_ERR_INVALID_CLIENT/);
  });
});

describe('idx-sim doctor (Done-when 4)', () => {
  it('passes every check against a running idx-sim', async () => {
    const r = await run(doctorCommand, ['--as', 'MDPONE', '--json']);
    const report = JSON.parse(r.out);
    expect(report.checks.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      ['tls', 'pass'], ['certificate', 'pass'], ['token', 'pass'], ['small', 'pass'], ['maximum', 'pass'], ['websocket', 'pass'], ['clock', 'pass'],
    ]);
    // Within one interval's worth of bytes of the Low-priority cap.
    const config = loadConfig();
    const cap = Math.min(config.maxPayloadBytesLow, config.maxPayloadBytes);
    const sent = Number(/^(\d+) bytes/.exec(report.checks.find((c: { name: string }) => c.name === 'maximum').detail)![1]);
    expect(sent).toBeLessThanOrEqual(cap);
    expect(sent).toBeGreaterThan(cap - 2000);
    expect(r.code).toBe(0);
    const human = await run(doctorCommand, ['--as', 'LNSPNORTH']);
    expect(human.out).toMatch(/PASS {2}small {7}GET \/bpqd answered/);
    expect(human.out).toMatch(/all checks passed/);
  });

  it('fails with a clear reason for an expired certificate', async () => {
    const now = Date.now();
    const r = await run(doctorCommand, ['--as', 'MDPONE', ...certificate('expired', 'MDPONE-NonProd', { notBefore: now - 500 * DAY, notAfter: Date.parse('2026-06-01T00:00:00Z') })]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL {2}certificate +certificate MDPONE-NonProd expired on .*2026/);
    expect(r.out).toMatch(/FAIL {2}token +token request refused: 401 IDX_ERR_CLIENT_CERT_/);
    expect(r.out).toMatch(/SKIP {2}small/);
  });

  it('fails with a clear reason for a certificate whose CN names another participant', async () => {
    const now = Date.now();
    const r = await run(doctorCommand, ['--as', 'MDPONE', '--json', ...certificate('wrong-cn', 'MDPTWO-NonProd', { notBefore: now - DAY, notAfter: now + 365 * DAY })]);
    expect(r.code).toBe(1);
    const checks = JSON.parse(r.out).checks;
    expect(checks.find((c: { name: string }) => c.name === 'certificate')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/CN MDPTWO-NonProd names participant MDPTWO, not MDPONE/) });
    expect(checks.find((c: { name: string }) => c.name === 'token').status).toBe('fail');
  });

  it('warns inside 14 days of expiry', async () => {
    const now = Date.now();
    const r = await run(doctorCommand, ['--as', 'MDPONE', '--json', '--no-submit', ...certificate('soon', 'MDPONE-NonProd', { notBefore: now - 400 * DAY, notAfter: now + 7 * DAY })]);
    expect(JSON.parse(r.out).checks.find((c: { name: string }) => c.name === 'certificate'))
      .toMatchObject({ status: 'warn', detail: expect.stringMatching(/expires in [67] day\(s\).*replace it now/) });
  });
});
