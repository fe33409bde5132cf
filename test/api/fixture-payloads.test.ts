import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { createHarness, signerFor, useHarness } from '../helpers/harness.js';

interface Entry {
  file: string; sender: string; priority: 'h' | 'm' | 'l'; about: string;
  expect: { status: number; code?: string; recipients?: string[]; churnDay?: 'outgoing' | 'incoming' };
}
const dir = join(PROJECT_ROOT, 'fixtures', 'payloads');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { payloads: Entry[] };

describe('the sample payloads in fixtures/payloads do what manifest.json says', () => {
  const h = useHarness();

  // As a participant sends a file: the file's bytes gzipped, signed over those bytes as `idx-sim sign` signs them.
  it.each(manifest.payloads.map((e) => [e.file, e] as const))('%s', async (_file, entry) => {
    const json = readFileSync(join(dir, entry.file));
    const res = await h().submit(entry.sender, gzipSync(json), {
      'x-messageContextId': `pqd~bpqd~${entry.priority}~${entry.sender.toLowerCase()}~sample-1`,
      'x-signature': signerFor(entry.sender).sign(json),
    });
    expect(res.statusCode, res.body).toBe(entry.expect.status);
    if (entry.expect.code) expect(res.json().code).toBe(entry.expect.code);
    if (entry.expect.recipients) expect(res.json().data.receivingParticipantIds).toEqual(entry.expect.recipients);
    if (entry.expect.status !== 200) return;
    // Routed: each receiver finds it in its queue, and its transaction log record says who sent it and,
    // on a churn day, as which party (seed 000 Table 7: partial BPQD Period).
    const messageContextId = res.json().data.messageContextId as string;
    for (const receiver of entry.expect.recipients ?? []) {
      const queue = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as(receiver, 'PQD_BPQD') });
      expect(queue.json().data.map((m: { messageContextId: string }) => m.messageContextId)).toContain(messageContextId);
      const log = await h().app.inject({ method: 'GET', url: `/translog/v1/messages?messageContextId=${messageContextId}`, headers: await h().as(receiver, 'TRANSLOG_TRANSLOG') });
      const [record] = log.json().data;
      expect(record).toMatchObject({ fromParticipant: entry.sender, toParticipant: receiver, messageStatus: 'delivery_pending' });
      if (entry.expect.churnDay) {
        expect(record.reasonCode).toBe('CHURN_DAY');
        expect(record.detail).toMatch(new RegExp(`^churn day: ${entry.sender} sent as the ${entry.expect.churnDay} (MC|MDP) of NMI `));
      } else {
        expect(record.reasonCode).toBeNull();
      }
    }
  });

  it('a churn-day message held by flow control keeps the churn remark next to the hold', async () => {
    const entry = manifest.payloads.find((e) => e.file === 'valid-churn-day-mdpone-4102000099.json')!;
    h().ctx.delivery.setOutboundDelivery('LNSPNORTH', 'pqd', 'Stopped', 'trace-held-churn');
    const json = readFileSync(join(dir, entry.file));
    const res = await h().submit(entry.sender, gzipSync(json), { 'x-signature': signerFor(entry.sender).sign(json) });
    expect(res.statusCode, res.body).toBe(200);
    const [logged] = h().ctx.transactionLog.forContext(res.json().data.messageContextId);
    expect(logged).toMatchObject({ status: 'delivery_pending', reasonCode: 'HELD' });
    expect(logged!.detail).toMatch(/^held: LNSPNORTH's pqd queue is manually stopped; churn day: MDPONE sent as the outgoing MDP of NMI 4102000099 on 2026-07-15 \(incoming MDPTWO\)$/);
  });

  it('with IDX_SIM_CHURN_DAY=strict the outgoing party\'s churn-day payloads are refused, as before', async () => {
    const strict = await createHarness({ churnDay: 'strict' });
    try {
      for (const entry of manifest.payloads.filter((e) => e.expect.churnDay === 'outgoing')) {
        const json = readFileSync(join(dir, entry.file));
        const res = await strict.submit(entry.sender, gzipSync(json), {
          'x-messageContextId': `pqd~bpqd~${entry.priority}~${entry.sender.toLowerCase()}~strict-1`, 'x-signature': signerFor(entry.sender).sign(json),
        });
        expect(res.statusCode, entry.file).toBe(422);
        expect(res.json().code).toBe('IDX_ERR_SENDER_NOT_RESPONSIBLE');
      }
    } finally {
      await strict.close();
    }
  });
});
