/**
 * The reference LNSP client (examples/lnsp-client/lnsp-client.mjs) against a real idx-sim over TLS: it
 * drains its queue (list → get → delete), waits out an outage by its Retry-After and loses nothing, renews an
 * expired token, and with --skip-delete leaves its queue full. Run in-process (imported, not spawned); the
 * simulated clock moves from the client's own log lines, so nothing sleeps for real beyond a few ms.
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { SeededRandom } from '../../src/domain/random.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { useE2eServer } from '../helpers/e2e.js';

const e2e = useE2eServer('lnsp-client');
const admin = { authorization: 'Bearer idx-sim-admin', 'content-type': 'application/json' };
const random = new SeededRandom('lnsp-client');
let sequence = 0;

interface ClientSummary { polls: number; listed: number; retrieved: number; deleted: number; retries: number; tokens: number; errors: string[] }
type RunClient = (o: unknown, x?: { log?: (line: string) => void; signal?: AbortSignal }) => Promise<ClientSummary>;
// A plain .mjs file, as a participant would write it: imported by URL so the type checker leaves it alone.
const example: { options(argv: string[], env?: Record<string, string>): unknown; runLnspClient: RunClient } =
  await import(new URL('../../examples/lnsp-client/lnsp-client.mjs', import.meta.url).href);

function clientOptions(...flags: string[]) {
  const p = pkiPaths(join(e2e.dir, 'certs'));
  return example.options(['--url', e2e.server.url, '--ca', p.caCert, '--cert', p.participantCert('LNSPNORTH', 'primary'),
    '--key', p.participantKey('LNSPNORTH', 'primary'), '--interval', '1', '--max-wait', '0.01', '--quiet', ...flags], {});
}

async function submit(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const payload = generateBpqdPayload(random, { sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 4, priority: 'l' });
    const id = `pqd~bpqd~l~mdpone~client-${++sequence}`;
    const json = Buffer.from(JSON.stringify(payload));
    const res = await e2e.call('MDPONE', 'POST', '/pqd/v1/bpqd', {
      ...(await e2e.as('MDPONE')), 'x-messageContextId': id, 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': e2e.signer('MDPONE').sign(json),
    }, gzipSync(json));
    expect(res.status, res.bytes.toString()).toBe(200);
    ids.push(id);
  }
  return ids;
}

async function queued(): Promise<string[]> {
  const res = await e2e.call('LNSPNORTH', 'GET', '/pqd/v1/bpqd?itemCount=500', await e2e.as('LNSPNORTH'));
  return res.json().data.map((m: { messageContextId: string }) => m.messageContextId);
}

describe('reference LNSP client (examples/lnsp-client)', () => {
  it('lists, gets and deletes every queued message', async () => {
    await submit(3);
    const summary = await example.runLnspClient(clientOptions('--polls', '1'));
    expect(summary).toMatchObject({ polls: 1, listed: 3, retrieved: 3, deleted: 3, tokens: 1, errors: [] });
    expect(await queued()).toEqual([]);
  });

  it('waits out an outage by its Retry-After, retries, and loses nothing', async () => {
    const ids = await submit(2);
    const now = e2e.server.clock.now();
    const outage = await e2e.call(undefined, 'POST', '/sim/v1/outages', admin, JSON.stringify({
      outageStart: new Date(now).toISOString(), outageEnd: new Date(now + 10 * 60_000).toISOString(), description: 'client rehearsal', participantIds: ['LNSPNORTH'], apis: ['pqd'],
    }));
    expect(outage.status).toBe(201);
    const lines: string[] = [];
    const summary = await example.runLnspClient(clientOptions('--polls', '1'), {
      log: (line) => {
        lines.push(line);
        // After the third refusal the outage's window passes on the simulated clock.
        if (/retry 3 /.test(line)) e2e.server.clock.advance(11 * 60_000);
      },
    });
    // The hub said how long (600 simulated seconds); the client read it and capped its real wait with --max-wait.
    expect(lines[0]).toMatch(/^GET \/pqd\/v1\/bpqd\?itemCount=100: 503, Retry-After 600 s, retry 1 in 0.01 s$/);
    expect(summary).toMatchObject({ retrieved: 2, deleted: 2, retries: 3, errors: [] });
    expect(await queued()).toEqual([]);
    const journal = (await e2e.call(undefined, 'GET', '/sim/v1/journal?participantId=LNSPNORTH&operationId=deleteBpqd', admin)).json().data;
    expect(journal.filter((e: { status: number }) => e.status === 204).map((e: { messageContextId: string }) => e.messageContextId)).toEqual(expect.arrayContaining(ids));
  });

  it('gets a new token when its token expires between two polls', async () => {
    await submit(1);
    const summary = await example.runLnspClient(clientOptions('--polls', '2'), {
      log: (line) => {
        if (line.startsWith('poll 1:')) e2e.server.clock.advance(2 * 3600_000);
      },
    });
    expect(summary).toMatchObject({ polls: 2, retrieved: 1, deleted: 1, tokens: 2, errors: [] });
  });

  it('with --skip-delete fetches but leaves every message queued', async () => {
    const ids = await submit(2);
    const summary = await example.runLnspClient(clientOptions('--polls', '2', '--skip-delete'));
    expect(summary).toMatchObject({ polls: 2, listed: 4, retrieved: 4, deleted: 0, errors: [] });
    expect(await queued()).toEqual(ids);
  });
});

it('reads its settings from flags, then the environment, then the defaults', () => {
  expect(example.options(['--polls', '3'], { IDX_URL: 'https://hub.example:9443/', IDX_PARTICIPANT: 'LNSPSOUTH', IDX_SKIP_DELETE: '1' })).toMatchObject({
    url: 'https://hub.example:9443', participant: 'LNSPSOUTH', polls: 3, skipDelete: true, clientId: 'lnspsouth-api',
    cert: 'certs/participants/LNSPSOUTH/primary.crt', ca: 'certs/ca/ca.crt', maxWaitS: 60, intervalMs: 5000,
  });
});
