/** The control API key outside loopback (issue 7, defect 4): generated once, kept, never the published default. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { adminKeyPath, DEFAULT_ADMIN_KEY, isLoopbackHost, resolveAdminKey } from '../../src/security/admin-key.js';
import { banner, startServer } from '../../src/server.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'idx-sim-admin-key-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('control API key', () => {
  it.each([
    ['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['[::1]', true], ['localhost', true],
    ['0.0.0.0', false], ['::', false], ['192.168.1.10', false], ['idx-sim', false], ['128.0.0.1', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('is the documented default on loopback when none is configured', () => {
    expect(loadConfig({ host: '127.0.0.1' }, {}).adminKey).toBe(DEFAULT_ADMIN_KEY);
    expect(resolveAdminKey('', '127.0.0.1', dir)).toEqual({ key: DEFAULT_ADMIN_KEY });
  });

  it('is generated at first start on another address, kept in the data directory (0600), and reported as new only once', () => {
    expect(loadConfig({ host: '0.0.0.0' }, {}).adminKey).toBe('');
    const first = resolveAdminKey('', '0.0.0.0', dir);
    expect(first.key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(first.generatedAt).toBe(adminKeyPath(dir));
    expect(readFileSync(adminKeyPath(dir), 'utf8').trim()).toBe(first.key);
    expect(statSync(adminKeyPath(dir)).mode & 0o777).toBe(0o600);
    const again = resolveAdminKey('', '0.0.0.0', dir);
    expect(again).toEqual({ key: first.key });
  });

  it('is shown by the start banner only when it was generated', () => {
    const config = loadConfig({ host: '0.0.0.0', dataDir: dir }, {});
    const generated = resolveAdminKey('', '0.0.0.0', dir);
    expect(banner(config, 'https://0.0.0.0:8443', dir, { key: generated.key, path: generated.generatedAt! })).toContain(generated.key);
    expect(banner(config, 'https://0.0.0.0:8443', dir)).not.toContain(generated.key);
  });

  it('a configured key is used as is, anywhere', () => {
    expect(resolveAdminKey('s3cret-of-my-own', '0.0.0.0', dir)).toEqual({ key: 's3cret-of-my-own' });
  });

  it('refuses to start on a non-loopback address with the documented default, before listening', async () => {
    expect(() => resolveAdminKey(DEFAULT_ADMIN_KEY, '0.0.0.0', dir)).toThrow(/IDX_SIM_ADMIN_KEY: the documented default "idx-sim-admin" is refused on 0\.0\.0\.0/);
    await expect(startServer({ host: '0.0.0.0', port: 0, adminKey: DEFAULT_ADMIN_KEY, dataDir: join(dir, 'data'), certsDir: join(dir, 'certs'), logLevel: 'silent' }))
      .rejects.toThrow(/not a loopback address/);
  });
});
