/** The event WebSocket in process (spec §4.7, §13.6); every frame is checked against events.asyncapi.yaml. */
import { describe, expect, it, vi } from 'vitest';
import { useHarness } from '../helpers/harness.js';

describe('event notifications', () => {
  const h = useHarness({ eventHeartbeatSeconds: 1 });

  it('sends MESSAGE_AVAILABLE to the receiving LNSP only', async () => {
    const north = await h().events('LNSPNORTH');
    const south = await h().events('LNSPSOUTH');
    const sender = await h().events('MDPONE');
    const res = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    const id = res.json().data.messageContextId;
    const frame = await north.waitFor((f) => f.eventType === 'MESSAGE_AVAILABLE');
    expect(frame).toMatchObject({
      eventType: 'MESSAGE_AVAILABLE', businessFunctionId: 'pqd', businessFunctionResourceId: 'bpqd', messageContextId: id,
      messageType: 'message', priority: 'l', initiatingParticipantId: 'MDPONE', receivingParticipantId: 'LNSPNORTH',
      eventDateTime: '2026-07-02T09:00:00.000+10:00',
    });
    // A message for LNSPSOUTH reaches LNSPSOUTH, and neither sees the other's.
    await h().submit('MDPONE', h().payload({ sender: 'MDPONE', nmis: ['6102000001'], recipients: ['LNSPSOUTH'] }));
    await south.waitFor((f) => f.eventType === 'MESSAGE_AVAILABLE');
    expect(north.frames.filter((f) => f.eventType === 'MESSAGE_AVAILABLE')).toHaveLength(1);
    expect(south.frames.filter((f) => f.eventType === 'MESSAGE_AVAILABLE').map((f) => f.receivingParticipantId)).toEqual(['LNSPSOUTH']);
    expect(sender.frames.filter((f) => f.eventType === 'MESSAGE_AVAILABLE')).toEqual([]);
  });

  it('confirms the subscription and filters by business function', async () => {
    const north = await h().events('LNSPNORTH', { query: '?businessFunctionIds=mtrd' });
    expect(await north.waitFor((f) => f.eventType === 'SUBSCRIBED')).toMatchObject({ participantId: 'LNSPNORTH', businessFunctionIds: ['mtrd'] });
    await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    north.send({ action: 'subscribe', businessFunctionIds: ['pqd'] });
    await north.waitFor((f) => f.eventType === 'SUBSCRIBED' && f.businessFunctionIds[0] === 'pqd');
    expect(north.frames.some((f) => f.eventType === 'MESSAGE_AVAILABLE')).toBe(false);
    await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    await north.waitFor((f) => f.eventType === 'MESSAGE_AVAILABLE');
  });

  it('answers ping with PONG and bad frames with ERROR', async () => {
    const north = await h().events('LNSPNORTH');
    north.send({ action: 'ping' });
    await north.waitFor((f) => f.eventType === 'PONG');
    north.send({ action: 'dance' });
    expect(await north.waitFor((f) => f.eventType === 'ERROR')).toMatchObject({ code: 'IDX_ERR_EVENT_FRAME_INVALID', detail: expect.stringMatching(/unknown action "dance"/) });
    north.send({ action: 'subscribe', businessFunctionIds: 'pqd' });
    await north.waitFor((f) => f.eventType === 'ERROR' && /array of business function ids/.test(f.detail));
  });

  it('sends OUTAGE to the participants concerned only', async () => {
    const north = await h().events('LNSPNORTH');
    const mc = await h().events('ACMEMC');
    const res = await h().app.inject({
      method: 'POST', url: '/sim/v1/outages', headers: { ...h().admin(), 'content-type': 'application/json' },
      payload: { outageStart: '2026-07-03T00:00:00.000+10:00', outageEnd: '2026-07-03T02:00:00.000+10:00', description: 'planned IDX release', participantIds: ['ACMEMC'] },
    });
    expect(res.statusCode).toBe(201);
    expect(await mc.waitFor((f) => f.eventType === 'OUTAGE')).toMatchObject({ description: 'planned IDX release', outageStart: '2026-07-03T00:00:00.000+10:00' });
    expect(north.frames.some((f) => f.eventType === 'OUTAGE')).toBe(false);
  });

  it('sends a heartbeat every eventHeartbeatSeconds of real time (fake interval timers: no waiting)', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const north = await h().events('LNSPNORTH');
      vi.advanceTimersByTime(999);
      expect(north.frames.filter((f) => f.eventType === 'HEARTBEAT')).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(await north.waitFor((f) => f.eventType === 'HEARTBEAT')).toMatchObject({ eventType: 'HEARTBEAT', eventDateTime: '2026-07-02T09:00:00.000+10:00' });
      vi.advanceTimersByTime(2000);
      await vi.waitFor(() => expect(north.frames.filter((f) => f.eventType === 'HEARTBEAT')).toHaveLength(3));
    } finally {
      vi.useRealTimers();
    }
  });

  describe('refusals at the upgrade (problem+json, not a socket)', () => {
    it('refuses a token without EVENT_NOTIFY with 403', async () => {
      await expect(h().events('LNSPNORTH', { scope: 'PQD_BPQD' })).rejects.toThrow(/Unexpected server response: 403/);
      const refusal = h().ctx.db.prepare("SELECT reason_code FROM transaction_log WHERE status = 'message_rejected'").all();
      expect(refusal).toEqual([{ reason_code: 'IDX_ERR_ENTITY_NOT_GRANTED' }]);
    });

    it('refuses a participant that is not the certificate holder with 403', async () => {
      await expect(h().events('LNSPNORTH', { headers: { 'x-initiatingParticipantId': 'LNSPSOUTH' } })).rejects.toThrow(/403/);
    });

    it('refuses a missing token with 401', async () => {
      await expect(h().events('LNSPNORTH', { headers: { authorization: '' } })).rejects.toThrow(/401/);
    });

    it('answers a plain GET with 426 problem+json', async () => {
      const res = await h().app.inject({ method: 'GET', url: '/events/v1', headers: await h().as('LNSPNORTH', 'EVENT_NOTIFY') });
      expect(res.statusCode).toBe(426);
      expect(res.json().code).toBe('IDX_ERR_UPGRADE_REQUIRED');
    });
  });
});
