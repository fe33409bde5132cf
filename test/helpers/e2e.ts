/**
 * End-to-end tests through real TLS sockets: a server started as `idx-sim start` starts it (HTTPS with
 * mTLS, SQLite file, generated certificates) in a temporary directory, and clients presenting a
 * participant's certificate (undici). Every response is checked against the OpenAPI documents on the
 * client side; a violation fails the file.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import type { Config } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { MessageSigner } from '../../src/security/message-signature.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { recordExercised } from './contract-coverage.js';
import { unlocatedRefusal } from './problems.js';

export interface E2eResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface E2e {
  readonly dir: string;
  readonly server: RunningServer;
  /** TLS client options presenting the participant's primary certificate (CA only when undefined). */
  tls(participantId: string | undefined): { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** A request over TLS (a fresh keep-alive agent per participant), its response checked against the contract. */
  call(participantId: string | undefined, method: string, path: string, headers?: Record<string, string>, body?: Buffer | string): Promise<E2eResponse>;
  /** An access token, over mTLS. */
  token(participantId: string, scope?: string): Promise<string>;
  /** Authorization, x-initiatingParticipantId and x-market headers for a participant. */
  as(participantId: string, scope?: string): Promise<Record<string, string>>;
  /** Signs as the participant's primary certificate (x-signature over the bytes given). */
  signer(participantId: string): MessageSigner;
  /** Stops and starts the server on the same data and certificates directories. */
  restart(): Promise<void>;
}

export function useE2eServer(name: string, overrides: Partial<Config> = {}, options: { logStream?: { write(line: string): void } } = {}): E2e {
  let dir = '';
  let server: RunningServer | undefined;
  const agents = new Map<string, Agent>();
  const violations: string[] = [];
  const start = () => startServer({
    port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir: join(dir, 'data'), certsDir: join(dir, 'certs'),
    fixturesDir: join(PROJECT_ROOT, 'fixtures'), clockStart: '2026-07-02T09:00:00.000+10:00', clockFrozen: true, seed: name, ...overrides,
  }, options);
  const paths = () => pkiPaths(join(dir, 'certs'));

  const e2e: E2e = {
    get dir() { return dir; },
    get server() {
      if (!server) throw new Error('the e2e server is not running');
      return server;
    },
    tls(participantId) {
      const p = paths();
      return {
        ca: readFileSync(p.caCert),
        ...(participantId ? { cert: readFileSync(p.participantCert(participantId, 'primary')), key: readFileSync(p.participantKey(participantId, 'primary')) } : {}),
      };
    },
    async call(participantId, method, path, headers = {}, body) {
      const key = participantId ?? '(no certificate)';
      let agent = agents.get(key);
      if (!agent) agents.set(key, (agent = new Agent({ connect: { ...e2e.tls(participantId), servername: 'localhost' } })));
      const res = await request(`${e2e.server.url}${path}`, { method: method as 'GET', headers, body, dispatcher: agent });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      // An injected fault (control API) breaks the contract on purpose, and says so.
      if (res.headers['x-idx-sim-fault'] === undefined) {
        const problems = e2e.server.ctx.contract.checkResponse({ method, url: path, statusCode: res.statusCode, headers: res.headers as Record<string, unknown>, body: bytes });
        violations.push(...(problems ?? []));
        const unlocated = problems && unlocatedRefusal(res.statusCode, res.headers['content-type'], bytes);
        if (unlocated) violations.push(`${method} ${path.split('?')[0]}: ${unlocated}`);
        recordExercised(e2e.server.ctx.contract, { method, url: path, statusCode: res.statusCode });
      }
      return { status: res.statusCode, headers: res.headers, bytes, json: () => JSON.parse(bytes.toString()) };
    },
    async token(participantId, scope = 'PQD_BPQD') {
      const pid = participantId.toLowerCase();
      const res = await e2e.call(participantId, 'POST', '/oauth/v1/token', { 'content-type': 'application/x-www-form-urlencoded' },
        new URLSearchParams({ grant_type: 'client_credentials', client_id: `${pid}-api`, client_secret: `${pid}-secret`, scope }).toString());
      expect(res.status, res.bytes.toString()).toBe(200);
      return res.json().access_token as string;
    },
    async as(participantId, scope) {
      return { authorization: `Bearer ${await e2e.token(participantId, scope)}`, 'x-initiatingParticipantId': participantId, 'x-market': 'NEM' };
    },
    signer(participantId) {
      const p = paths();
      return new MessageSigner({ certPem: readFileSync(p.participantCert(participantId, 'primary'), 'utf8'), keyPem: readFileSync(p.participantKey(participantId, 'primary'), 'utf8') });
    },
    async restart() {
      await closeAgents();
      await server?.close();
      server = await start();
    },
  };

  const closeAgents = async () => {
    await Promise.all([...agents.values()].map((a) => a.close()));
    agents.clear();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `idx-sim-${name}-`));
    // The run's development PKI (test/helpers/global-setup.ts), as a first `idx-sim start` would have
    // generated it: the server only adds what is missing, instead of generating RSA keys per file.
    cpSync(inject('pkiDir'), join(dir, 'certs'), { recursive: true });
    server = await start();
  });
  afterAll(async () => {
    await closeAgents();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    expect(violations, 'responses that break the OpenAPI contract').toEqual([]);
  });
  return e2e;
}
