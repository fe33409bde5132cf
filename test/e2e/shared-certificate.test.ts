/**
 * One certificate serving two participant ids, through a real TLS handshake (spec §6: "one cert may serve
 * several Participant IDs", optional FQDN CN): GridCo's shared primary (CN idx.gridco.example) on one
 * keep-alive connection submits as GRIDCOMC and as GRIDCOMDP, with one token of the organisation's URM user,
 * and is refused for an id it does not serve.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { SeededRandom } from '../../src/domain/random.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { useE2eServer } from '../helpers/e2e.js';

const e2e = useE2eServer('shared-cert');
const random = new SeededRandom('shared-cert');

describe('a shared certificate over mTLS', () => {
  it('the server generated one certificate for both GridCo ids, with an FQDN CN', () => {
    const p = pkiPaths(join(e2e.dir, 'certs'));
    const pem = readFileSync(p.participantCert('GRIDCOMC', 'primary'), 'utf8');
    expect(readFileSync(p.participantCert('GRIDCOMDP', 'primary'), 'utf8')).toBe(pem);
    expect(new X509Certificate(pem).subject).toMatch(/^CN=idx\.gridco\.example$/m);
  });

  it('submits as each id on one connection, and is refused for an id it does not serve', async () => {
    // Every call below goes through the agent presenting GRIDCOMC's files: the shared certificate and key.
    const login = await e2e.call('GRIDCOMC', 'POST', '/oauth/v1/token', { 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ grant_type: 'client_credentials', client_id: 'gridco-api', client_secret: 'gridco-secret', scope: 'PQD_BPQD' }).toString());
    expect(login.status, login.bytes.toString()).toBe(200);
    const authorization = `Bearer ${login.json().access_token}`;
    const sent: string[] = [];
    for (const pid of ['GRIDCOMC', 'GRIDCOMDP']) {
      const json = Buffer.from(JSON.stringify(generateBpqdPayload(random, { sender: pid, recipients: ['LNSPNORTH'], nmis: ['4102000021', '4102000022'], date: '2026-07-01', intervalCount: 3 })));
      const contextId = `pqd~bpqd~l~${pid.toLowerCase()}~shared-1`;
      const res = await e2e.call('GRIDCOMC', 'POST', '/pqd/v1/bpqd', {
        authorization, 'x-initiatingParticipantId': pid, 'x-messageContextId': contextId,
        'content-type': 'application/json', 'content-encoding': 'gzip', 'x-signature': e2e.signer('GRIDCOMC').sign(json),
      }, gzipSync(json));
      expect(res.status, res.bytes.toString()).toBe(200);
      sent.push(contextId);
    }
    const stranger = await e2e.call('GRIDCOMC', 'GET', '/pqd/v1/bpqd', { authorization, 'x-initiatingParticipantId': 'MDPONE' });
    expect(stranger.status).toBe(403);
    expect(stranger.json()).toMatchObject({ code: 'IDX_ERR_CERT_PARTICIPANT_MISMATCH', detail: 'the client certificate idx.gridco.example covers GRIDCOMC, GRIDCOMDP, not MDPONE' });

    const listed = await e2e.call('LNSPNORTH', 'GET', '/pqd/v1/bpqd', await e2e.as('LNSPNORTH'));
    expect(listed.json().data.map((m: { initiatingParticipantId: string; messageContextId: string }) => [m.initiatingParticipantId, m.messageContextId]))
      .toEqual([['GRIDCOMC', sent[0]], ['GRIDCOMDP', sent[1]]]);
  });
});
