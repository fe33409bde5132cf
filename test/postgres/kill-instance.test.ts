/**
 * Issue #14, Done-when 3: two idx-sim processes (the current sources compiled, as `idx-sim start` runs them)
 * on one throwaway PostgreSQL; MDPONE submits through both at once and LNSPNORTH polls through the second;
 * the first is killed with SIGKILL mid-load. Then every submission either instance answered 200 is in
 * LNSPNORTH's queue and fetchable, byte for byte, through the survivor — and the survivor answered every
 * request it got, before and after the kill. Bounded in count and time; loopback only.
 * Runs under `npm run test:postgres` (vitest.postgres.config.ts), not `npm test`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Client } from '../../bench/crash-rounds.js';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { createRandom } from '../../src/domain/random.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { MessageSigner } from '../../src/security/message-signature.js';
import { postgresProcessFixture } from '../helpers/postgres-processes.js';
import { eventually, HUB_ENV, startHubProcess } from '../helpers/hub-process.js';

const SENDER = 'MDPONE';
const RECEIVER = 'LNSPNORTH';
/** Acknowledged submissions each instance must have before the kill, and the survivor after it. */
const WARM = 12;
const AFTER = 12;

const fixture = postgresProcessFixture('idx-sim-kill-instance-');
const { dir, certsDir, project, hubs, clients } = fixture;

describe('two instances on one PostgreSQL, one killed with SIGKILL under load', () => {
  it('loses no acknowledged submission, and the other instance keeps answering throughout', async () => {
    const start = (name: string) => startHubProcess({
      project, dataDir: join(dir, `data-${name}`), certsDir,
      env: { IDX_SIM_DATABASE_URL: fixture.cluster().url, IDX_SIM_SEED: `kill-instance-${name}` },
    });
    // Started together: migrations and the fixtures are loaded once, under the setup lock.
    const [a, b] = await Promise.all([start('a'), start('b')]);
    hubs.push(a!, b!);
    const clientA = new Client(certsDir, a!.url);
    const clientB = new Client(certsDir, b!.url);
    clients.push(clientA, clientB);
    const signer = new MessageSigner({
      certPem: readFileSync(pkiPaths(certsDir).participantCert(SENDER, 'primary'), 'utf8'),
      keyPem: readFileSync(pkiPaths(certsDir).participantKey(SENDER, 'primary'), 'utf8'),
    });
    const [senderA, senderB, receiverB] = await Promise.all([clientA.as(SENDER), clientB.as(SENDER), clientB.as(RECEIVER)]);

    const acknowledged = new Map<string, { gzip: Buffer; via: 'a' | 'b' }>();
    const ackedBy = { a: 0, b: 0, bAfterKill: 0 };
    /** Every answer of the survivor that was not the expected one (there must be none). */
    const survivorFailures: string[] = [];
    let survivorAnswersAfterKill = 0;
    let killed = false;
    let stopping = false;

    const submitter = async (via: 'a' | 'b', w: number) => {
      const client = via === 'a' ? clientA : clientB;
      const headers = via === 'a' ? senderA : senderB;
      const rnd = createRandom(`kill-instance-${via}-${w}`);
      for (let i = 0; !stopping; i++) {
        const id = `pqd~bpqd~l~mdpone~k${via}${w}-${i}`;
        const json = Buffer.from(JSON.stringify(generateBpqdPayload(rnd, { sender: SENDER, recipients: [RECEIVER], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 3 })));
        const gzip = gzipSync(json);
        let res;
        try {
          res = await client.call(SENDER, 'POST', '/pqd/v1/bpqd', {
            ...headers, 'x-messageContextId': id, 'content-type': 'application/json', 'content-encoding': 'gzip',
            'x-signature': signer.sign(json, { signingTime: new Date(Date.parse(HUB_ENV.IDX_SIM_CLOCK_START)) }),
          }, gzip);
        } catch (err) {
          // The killed instance drops its connections: those requests were never acknowledged.
          if (via === 'a' && killed) return;
          throw err;
        }
        if (res.status === 200) {
          acknowledged.set(id, { gzip, via });
          if (via === 'a') ackedBy.a++;
          else {
            ackedBy.b++;
            if (killed) { ackedBy.bAfterKill++; survivorAnswersAfterKill++; }
          }
        } else if (via === 'b') {
          survivorFailures.push(`POST ${id}: ${res.status} ${res.bytes.toString().slice(0, 200)}`);
        } else if (!killed) {
          throw new Error(`instance a refused ${id} before the kill: ${res.status} ${res.bytes.toString()}`);
        }
      }
    };
    // LNSPNORTH polls its queue through the survivor the whole time.
    const poller = async () => {
      while (!stopping) {
        const res = await clientB.call(RECEIVER, 'GET', '/pqd/v1/bpqd?itemCount=20', receiverB);
        if (res.status !== 200) survivorFailures.push(`GET list: ${res.status} ${res.bytes.toString().slice(0, 200)}`);
        else if (killed) survivorAnswersAfterKill++;
      }
    };

    const load = [submitter('a', 0), submitter('a', 1), submitter('a', 2), submitter('b', 0), submitter('b', 1), poller()];
    let loadError: unknown;
    const allDone = Promise.all(load).catch((err: unknown) => { loadError = err; });
    try {
      await eventually('both instances acknowledging', () => loadError !== undefined || (ackedBy.a >= WARM && ackedBy.b >= WARM), 60_000, 10);
      expect(loadError).toBeUndefined();
      killed = true;
      await a!.kill();
      await eventually('the survivor acknowledging after the kill', () => loadError !== undefined || ackedBy.bAfterKill >= AFTER, 60_000, 10);
    } finally {
      stopping = true;
      await allDone;
    }
    expect(loadError).toBeUndefined();
    expect(a!.child.signalCode).toBe('SIGKILL');
    expect(survivorFailures).toEqual([]);
    expect(survivorAnswersAfterKill).toBeGreaterThanOrEqual(AFTER);
    expect(ackedBy.a).toBeGreaterThanOrEqual(WARM);

    // Every acknowledged submission, from either instance, is in LNSPNORTH's queue as the survivor lists it…
    const listed = new Set<string>();
    for (let cursor: string | null = null, pages = 0; pages === 0 || cursor; pages++) {
      const page = await clientB.call(RECEIVER, 'GET', `/pqd/v1/bpqd?itemCount=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, receiverB);
      expect(page.status).toBe(200);
      const body = JSON.parse(page.bytes.toString()) as { data: Array<{ messageContextId: string }>; meta: { nextCursor: string | null } };
      for (const m of body.data) listed.add(m.messageContextId);
      cursor = body.meta.nextCursor;
      expect(pages).toBeLessThan(100);
    }
    const ids = [...acknowledged.keys()];
    expect(ids.filter((id) => !listed.has(id))).toEqual([]);
    // …and fetchable through it, byte for byte as sent.
    const altered: string[] = [];
    for (let i = 0; i < ids.length; i += 8) {
      await Promise.all(ids.slice(i, i + 8).map(async (id) => {
        const got = await clientB.call(RECEIVER, 'GET', `/pqd/v1/bpqd/${id}`, receiverB);
        if (got.status !== 200 || !got.bytes.equals(acknowledged.get(id)!.gzip)) altered.push(`${id} (via ${acknowledged.get(id)!.via}): ${got.status}`);
      }));
    }
    expect(altered).toEqual([]);
  }, 240_000);
});
