/**
 * Large submissions are checked in a worker thread (src/services/payload-pool.ts, issue #13); the answer
 * must be exactly the event loop's. Two hubs, one checking every body on the event loop and one sending
 * every body (threshold 0) to a worker, get the same requests, byte for byte, and must answer alike —
 * for a valid payload and for each kind of refusal the body can earn, in the same order of checks.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createHarness, signerFor, type Harness, type Json } from '../helpers/harness.js';

const LIMITS: Partial<Config> = { profile: 'ci', maxPayloadBytes: 64 * 1024, maxPayloadBytesHigh: 8 * 1024 };

describe('payload workers give the event loop\'s answers (issue #13)', () => {
  let here: Harness;
  let worker: Harness;
  beforeAll(async () => {
    here = await createHarness({ ...LIMITS, payloadWorkers: 0 });
    worker = await createHarness({ ...LIMITS, payloadWorkers: 1, payloadWorkerMinBytes: 0 });
  });
  afterAll(async () => {
    await here?.close();
    await worker?.close();
    expect([...(here?.violations ?? []), ...(worker?.violations ?? [])], 'responses that break the OpenAPI contract').toEqual([]);
  });

  /** Sends the same body and headers to both hubs; returns the two answers without their trace ids. */
  async function both(body: Buffer, headers: Record<string, string | undefined> = {}, sender = 'MDPONE') {
    const answers = [];
    for (const h of [here, worker]) {
      const res = await h.submit(sender, body, headers);
      const json = JSON.parse(res.body) as Json;
      // Drawn from each hub's own seeded source, which the test's payload generation also draws from.
      delete json.traceId;
      if (json.data) delete json.data.messageId;
      answers.push({ status: res.statusCode, body: json });
    }
    expect(answers[1], 'worker path').toEqual(answers[0]);
    return answers[0]!;
  }

  const payload = (o: Record<string, unknown> = {}) => here.payload({ sender: 'MDPONE', ...o }) as Json;
  const gz = (p: unknown) => gzipSync(JSON.stringify(p));
  const json = (p: unknown) => Buffer.from(JSON.stringify(p));

  it('accepts a valid payload alike (signed with and without signed attributes), and the worker really checked it', async () => {
    const p = payload();
    expect((await both(gz(p))).status).toBe(200);
    const q = payload();
    const answer = await both(gz(q), { 'x-signature': signerFor('MDPONE').sign(json(q), { signedAttributes: false }) });
    expect(answer.status).toBe(200);
    expect(answer.body.data.receivingParticipantIds).toEqual(['LNSPNORTH']);
    expect(here.ctx.bpqd.payloadWorkersStarted).toBe(0);
    expect(worker.ctx.bpqd.payloadWorkersStarted).toBe(1);
    // Stored alike: size and transaction count come from the worker's facts.
    const row = (h: Harness) => h.ctx.db.prepare('SELECT size_bytes, transaction_count, message_date_time FROM messages ORDER BY id').all();
    expect(row(worker)).toEqual(row(here));
  });

  it.each([
    ['not gzip', () => json(payload()), {}, 'IDX_ERR_GZIP_INVALID'],
    ['larger than IDX_SIM_MAX_PAYLOAD_BYTES once inflated', () => gzipSync(`{"x":"${'a'.repeat(70_000)}"}`), {}, 'IDX_ERR_PAYLOAD_TOO_LARGE'],
    ['over the High-priority size', () => gz(payload({ intervalCount: 48, priority: 'h' })), { 'x-messageContextId': 'pqd~bpqd~h~mdpone~cap-1' }, 'IDX_ERR_PAYLOAD_TOO_LARGE_FOR_PRIORITY'],
    ['not JSON', () => gzipSync('{"data": {'), {}, 'IDX_ERR_JSON_INVALID'],
    ['against the schema', () => {
      const p = payload();
      delete p.data.transactions[0].nmiDetails[0].meters[0].intervals[1].readings[0].voltage;
      p.data.header.colour = 'blue';
      return gz(p);
    }, {}, 'IDX_ERR_SCHEMA_INVALID'],
    ['with a wrong NMI checksum', () => {
      const p = payload();
      p.data.transactions[0].nmiDetails[0].nmiChecksum = '7';
      return gz(p);
    }, {}, 'IDX_ERR_NMI_CHECKSUM'],
    ['breaking a content rule', () => {
      const p = payload();
      p.data.transactions[0].nmiDetails[0].meters[0].intervals[0].intervalEndDateTime = '2026-07-01T00:20:00.000+10:00';
      return gz(p);
    }, {}, 'IDX_ERR_PAYLOAD_RULE'],
    ['disagreeing with the context id', () => gz(payload({ priority: 'h' })), {}, 'IDX_ERR_CONTEXT_ID_MISMATCH'],
    ['addressed to another LNSP', () => gz(payload({ recipients: ['LNSPSOUTH'] })), {}, 'IDX_ERR_RECIPIENT_NOT_LNSP'],
  ] as const)('refuses a payload %s alike', async (_what, body, headers, code) => {
    const answer = await both(body(), headers);
    expect(answer.body.code).toBe(code);
  });

  it('refuses a signature over other bytes alike, with and without signed attributes, before looking at the JSON', async () => {
    const other = json(payload());
    const bad = gzipSync('{"data": {');
    for (const signedAttributes of [true, false]) {
      const answer = await both(bad, { 'x-signature': signerFor('MDPONE').sign(other, { signedAttributes }) });
      expect(answer.body.code).toBe('IDX_ERR_SIGNATURE_MISMATCH');
    }
  });

  it('refuses a sender that is not responsible for the NMI alike', async () => {
    const p = here.payload({ sender: 'MDPTWO' });
    expect((await both(gz(p), {}, 'MDPTWO')).body.code).toBe('IDX_ERR_SENDER_NOT_RESPONSIBLE');
  });
});
