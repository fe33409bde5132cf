/**
 * Where a scenario run plays: an idx-sim started in this process (the default — the real server on
 * 127.0.0.1, a free port, a temporary data directory, the dev certificates and the fixtures), or a running
 * one at a URL. Both are reached the same way afterwards: participants over HTTPS with their client
 * certificate (src/client/idx-client.ts), the simulator through the control API (src/cli/control-client.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ClientIdentity } from '../client/idx-client.js';
import { ControlClient, ControlError, UnreachableError } from '../cli/control-client.js';
import { effectiveSettings, type Config } from '../config.js';
import { pkiPaths } from '../pki/dev-ca.js';

export interface Target {
  kind: 'in-process' | 'url';
  url: string;
  control: ControlClient;
  /** How to reach the hub as a participant: its dev certificate and URM user (`<id>-api` / `<id>-secret`). */
  identity(participantId: string, certificate?: 'primary' | 'secondary'): ClientIdentity;
  /** Effective settings (secrets redacted) and profile, as far as the target can tell. */
  settings: Record<string, string>;
  profile: string;
  close(): Promise<void>;
}

/** The target could not be reached or started (exit 3). */
export class TargetUnreachableError extends Error {
  override name = 'TargetUnreachableError';
}

function identityFrom(url: string, certsDir: string, servername?: string): (participantId: string, certificate?: 'primary' | 'secondary') => ClientIdentity {
  const paths = pkiPaths(certsDir);
  const ca = existsSync(paths.caCert) ? readFileSync(paths.caCert) : undefined;
  // Read on each call (once per participant per scenario): a scenario may rotate or reissue certificates.
  return (participantId, certificate = 'primary') => {
    {
      const certPath = paths.participantCert(participantId, certificate);
      if (!existsSync(certPath)) throw new Error(`no certificate for participant ${participantId} in ${certsDir} (${certPath}); is it a fixture participant?`);
      const pid = participantId.toLowerCase();
      return {
        url, participantId, cert: readFileSync(certPath), key: readFileSync(paths.participantKey(participantId, certificate)), ...(ca ? { ca } : {}),
        clientId: `${pid}-api`, clientSecret: `${pid}-secret`, ...(servername ? { servername } : {}), timeoutMs: 60_000,
      };
    }
  };
}

export interface InProcessOptions {
  /** Seed of the hub's own randomness (trace ids, message ids). */
  seed: string;
  /** Development certificates (default: the configured directory, `certs`, generated when missing). */
  certsDir?: string;
  fixturesDir?: string;
  /** Where the simulated clock starts (frozen): default 2026-07-02T09:00:00.000+10:00 (docs/spec-variance.md row 300). */
  clockStart?: string;
  /** Any other setting overrides (profile, limits). */
  overrides?: Partial<Config>;
}

/** The simulated instant an in-process hub starts at, frozen, unless told otherwise (docs/scenarios.md). */
export const DEFAULT_CLOCK_START = '2026-07-02T09:00:00.000+10:00';

export async function inProcessTarget(o: InProcessOptions): Promise<Target> {
  // Imported here: the server pulls in Fastify and the compiled contract, which `scenario validate` does not need.
  const { startServer } = await import('../server.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'idx-sim-scenario-'));
  let server;
  try {
    server = await startServer({
      logLevel: 'silent', ...o.overrides, host: '127.0.0.1', port: 0, dataDir, seed: o.seed, clockStart: o.clockStart ?? DEFAULT_CLOCK_START, clockFrozen: true,
      ...(o.certsDir ? { certsDir: resolve(o.certsDir) } : {}), ...(o.fixturesDir ? { fixturesDir: resolve(o.fixturesDir) } : {}),
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new TargetUnreachableError(`could not start idx-sim in-process: ${(err as Error).message}`);
  }
  const config = server.ctx.config;
  const paths = pkiPaths(config.certsDir);
  const control = new ControlClient({ url: server.url, adminKey: config.adminKey, ca: readFileSync(paths.caCert) });
  // By IDX_SIM_* name, secrets redacted (src/config.ts): what GET /sim/v1/settings answers for a running hub.
  const settings = effectiveSettings(config);
  return {
    kind: 'in-process', url: server.url, control, identity: identityFrom(server.url, config.certsDir, 'localhost'), settings, profile: config.profile,
    async close() {
      await control.close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface UrlOptions {
  url: string;
  adminKey: string;
  /** The hub's dev certificates (participants' client certificates and the CA). */
  certsDir: string;
}

/** A running idx-sim: checked with `/sim/v1/ready` and an authenticated clock read before anything runs. */
export async function urlTarget(o: UrlOptions): Promise<Target> {
  const url = o.url.replace(/\/$/, '');
  const paths = pkiPaths(resolve(o.certsDir));
  const ca = existsSync(paths.caCert) ? readFileSync(paths.caCert) : undefined;
  const control = new ControlClient({ url, adminKey: o.adminKey, ca });
  try {
    await control.call('GET', '/ready');
    await control.call('GET', '/clock');
  } catch (err) {
    await control.close();
    if (err instanceof UnreachableError) throw new TargetUnreachableError(err.message);
    if (err instanceof ControlError && err.status === 401) throw new TargetUnreachableError(`the control API at ${url} refused the admin key (--admin-key or IDX_SIM_ADMIN_KEY): ${err.message}`);
    throw new TargetUnreachableError(`the simulator at ${url} is not ready: ${(err as Error).message}`);
  }
  // A hub without GET /sim/v1/settings (older than issue #11's evidence) leaves the report's settings empty.
  const reported = await control.call('GET', '/settings').then((r) => r.json<{ profile: string; settings: Record<string, string> }>(), () => undefined);
  return {
    kind: 'url', url, control, identity: identityFrom(url, resolve(o.certsDir)), settings: reported?.settings ?? {}, profile: reported?.profile ?? 'unknown (running hub)',
    async close() {
      await control.close();
    },
  };
}
