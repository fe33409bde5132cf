/**
 * The routing rule (IDX_SIM_ROUTING_RULE, spec §12 [D], docs/spec-variance.md row 28): a payload whose NMIs
 * belong to two LNSPs, addressed to both, through the PQD API under each of `strict`, `fanout` and `off`.
 */
import { describe, expect, it } from 'vitest';
import type { RoutingRule } from '../../src/domain/bpqd-rules.js';
import { useHarness, type Harness } from '../helpers/harness.js';
import { expectRefusal } from '../helpers/problems.js';

/** 4102000001 is LNSPNORTH's, 6102000001 LNSPSOUTH's (fixtures/nmi-standing-data.json). */
const twoLnsps = (h: Harness, recipients = ['LNSPNORTH', 'LNSPSOUTH']) => h.payload({ sender: 'MDPONE', nmis: ['4102000001', '6102000001'], recipients });

async function queued(h: Harness, lnsp: string): Promise<string[]> {
  const res = await h.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h.as(lnsp, 'PQD_BPQD') });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data.map((m: { messageContextId: string }) => m.messageContextId);
}

describe.each<RoutingRule>(['strict', 'fanout', 'off'])('IDX_SIM_ROUTING_RULE=%s', (rule) => {
  const h = useHarness({ routingRule: rule });

  it(rule === 'strict' ? 'refuses NMIs of two LNSPs addressed to both (422), and queues nothing' : 'delivers NMIs of two LNSPs to both addressed LNSPs', async () => {
    const res = await h().submit('MDPONE', twoLnsps(h()));
    if (rule === 'strict') {
      expectRefusal(h(), res, 422, 'IDX_ERR_RECIPIENT_NOT_LNSP');
      expect(await queued(h(), 'LNSPNORTH')).toEqual([]);
      expect(await queued(h(), 'LNSPSOUTH')).toEqual([]);
      return;
    }
    expect(res.statusCode, res.body).toBe(200);
    const { messageContextId, receivingParticipantIds } = res.json().data;
    expect(receivingParticipantIds).toEqual(['LNSPNORTH', 'LNSPSOUTH']);
    expect(await queued(h(), 'LNSPNORTH')).toEqual([messageContextId]);
    expect(await queued(h(), 'LNSPSOUTH')).toEqual([messageContextId]);
  });

  it(rule === 'off' ? 'lets the sender address any registered LNSP, but no other participant' : 'refuses an LNSP that owns none of the NMIs', async () => {
    const elsewhere = h().payload({ sender: 'MDPONE', nmis: ['4102000001'], recipients: ['LNSPSOUTH'] });
    const res = await h().submit('MDPONE', elsewhere);
    if (rule !== 'off') {
      expectRefusal(h(), res, 422, 'IDX_ERR_RECIPIENT_NOT_LNSP');
      return;
    }
    expect(res.statusCode, res.body).toBe(200);
    expect(await queued(h(), 'LNSPSOUTH')).toEqual([res.json().data.messageContextId]);
    expect(await queued(h(), 'LNSPNORTH')).toEqual([]);
    const notLnsp = await h().submit('MDPONE', h().payload({ sender: 'MDPONE', recipients: ['ACMEMC'] }));
    const problem = expectRefusal(h(), notLnsp, 422, 'IDX_ERR_RECIPIENT_NOT_LNSP');
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/data/header/receivingParticipantId/0', message: 'ACMEMC is not a registered LNSP' })]);
  });

  it('still checks who may send against standing data', async () => {
    const res = await h().submit('MDPTWO', h().payload({ sender: 'MDPTWO', nmis: ['4102000001'], recipients: ['LNSPNORTH'] }));
    expectRefusal(h(), res, 422, 'IDX_ERR_SENDER_NOT_RESPONSIBLE');
  });
});
