/**
 * What the PostgreSQL process tests (test/postgres/*) share: a temporary folder with the test PKI, the
 * current sources compiled into a runnable project, and one throwaway PostgreSQL cluster — made before the
 * file's tests, and after them every hub process and client closed, the cluster stopped and the folder gone.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Client } from '../../bench/crash-rounds.js';
// @ts-expect-error plain JavaScript module without types
import { startPostgresCluster } from '../../scripts/postgres-cluster.mjs';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { createRandom } from '../../src/domain/random.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { MessageSigner } from '../../src/security/message-signature.js';
import { runnableProject } from './compiled.js';
import { HUB_ENV, type HubProcess } from './hub-process.js';

/** scripts/postgres-cluster.mjs's handle. */
export interface Cluster {
  url: string;
  /** Its folder; the data directory (postmaster.pid) is `data` in it. */
  dir: string;
  stop(): Promise<void>;
  halt(mode?: 'immediate' | 'fast'): Promise<void>;
  resume(): Promise<void>;
}

export interface PostgresProcessFixture {
  dir: string;
  certsDir: string;
  /** The compiled project that `startHubProcess`/`spawnHub` run. */
  project: string;
  /** The running cluster (throws before the file's beforeAll has made it). */
  cluster(): Cluster;
  /** Pushed by the tests; stopped/closed after the file. */
  hubs: HubProcess[];
  clients: Client[];
}

/** Registers the file's beforeAll/afterAll; call it at the top level of a test file. */
export function postgresProcessFixture(folderPrefix: string): PostgresProcessFixture {
  const dir = mkdtempSync(join(tmpdir(), folderPrefix));
  let cluster: Cluster | undefined;
  const fixture: PostgresProcessFixture = {
    dir, certsDir: join(dir, 'certs'), project: join(dir, 'project'), hubs: [], clients: [],
    cluster: () => {
      if (!cluster) throw new Error('the PostgreSQL cluster is made in beforeAll');
      return cluster;
    },
  };
  beforeAll(async () => {
    cpSync(inject('pkiDir'), fixture.certsDir, { recursive: true });
    mkdirSync(fixture.project);
    [cluster] = await Promise.all([startPostgresCluster() as Promise<Cluster>, runnableProject(fixture.project)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(fixture.clients.map((c) => c.close()));
    await Promise.all(fixture.hubs.map((h) => h.stop()));
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return fixture;
}

/**
 * POSTs a small signed BPQD payload (three intervals of NMI 4102000001, to `receiver`) as `sender` through
 * `client`, with the messageContextId given: what the process tests send while they break the database.
 */
export function signedSubmitter(client: Client, certsDir: string, headers: Record<string, string>, seed: string,
  sender = 'MDPONE', receiver = 'LNSPNORTH'): (messageContextId: string) => ReturnType<Client['call']> {
  const signer = new MessageSigner({
    certPem: readFileSync(pkiPaths(certsDir).participantCert(sender, 'primary'), 'utf8'),
    keyPem: readFileSync(pkiPaths(certsDir).participantKey(sender, 'primary'), 'utf8'),
  });
  const random = createRandom(seed);
  return (messageContextId) => {
    const body = Buffer.from(JSON.stringify(generateBpqdPayload(random, { sender, recipients: [receiver], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 3 })));
    return client.call(sender, 'POST', '/pqd/v1/bpqd', {
      ...headers, 'x-messageContextId': messageContextId, 'content-type': 'application/json', 'content-encoding': 'gzip',
      'x-signature': signer.sign(body, { signingTime: new Date(Date.parse(HUB_ENV.IDX_SIM_CLOCK_START)) }),
    }, gzipSync(body));
  };
}
