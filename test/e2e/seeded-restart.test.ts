/**
 * IDX_SIM_SEED with a persistent data directory (issue 7, defect 10): a restart must not replay the
 * previous run's random sequence — its message ids collided with stored ones, and a new messageContextId
 * was then refused as a duplicate (409). Over TLS, with the real server restarted on the same directories.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { SeededRandom } from '../../src/domain/random.js';
import { useE2eServer } from '../helpers/e2e.js';

const e2e = useE2eServer('seeded-restart');

async function submit(uniqueId: string) {
  const json = Buffer.from(JSON.stringify(generateBpqdPayload(new SeededRandom(uniqueId), { sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 3 })));
  return e2e.call('MDPONE', 'POST', '/pqd/v1/bpqd', {
    ...(await e2e.as('MDPONE')), 'x-messageContextId': `pqd~bpqd~l~mdpone~${uniqueId}`, 'content-type': 'application/json', 'content-encoding': 'gzip',
    'x-signature': e2e.signer('MDPONE').sign(json, { signingTime: new Date(Date.parse('2026-07-02T09:00:00.000+10:00')) }),
  }, gzipSync(json));
}

describe('a restart with the same seed on the same data directory', () => {
  it('draws new identifiers: a new messageContextId is accepted with a new messageId', async () => {
    const first = await submit('before-restart');
    expect(first.status, first.bytes.toString()).toBe(200);
    await e2e.restart();
    // The same requests as before the restart, so a replayed sequence would draw the same ids.
    const second = await submit('after-restart');
    expect(second.status, second.bytes.toString()).toBe(200);
    expect(second.json().data.messageId).not.toBe(first.json().data.messageId);
    expect(second.headers['x-traceid']).not.toBe(first.headers['x-traceid']);
    expect(readFileSync(join(e2e.dir, 'data', 'boot-count'), 'utf8').trim()).toBe('2');
  });
});
