/**
 * Two idx-sim instances on one database behave as one hub (issue #14, Done-when 2). The same checks run
 * on two backends: two SQLite connections joined by the in-process bus (test/api/multi-instance.test.ts,
 * cheap enough for `npm test`), and PostgreSQL with its LISTEN/NOTIFY bus
 * (test/e2e/postgres-two-instances.test.ts). The instances share nothing but the database and the bus.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueClientCertificate, pkiPaths } from '../../src/pki/dev-ca.js';
import { pkiDir, T0, type Harness, type Json } from './harness.js';

export interface TwoInstances {
  a: Harness;
  b: Harness;
  /** A third instance started on the same database and bus while the others run. */
  startAnother(): Promise<Harness>;
  close(): Promise<void>;
}

/** Polls until `check` passes (a notice crosses the bus asynchronously); fails with the last error after `ms`. */
export async function eventually(check: () => void | Promise<void>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

const contextId = (n: string) => `pqd~bpqd~l~mdpone~two${n}`;

export function describeTwoInstances(title: string, start: () => Promise<TwoInstances>): void {
  describe(title, () => {
    let hub: TwoInstances | undefined;
    const opened: Harness[] = [];
    beforeEach(async () => {
      hub = await start();
    });
    afterEach(async () => {
      const h = hub!;
      hub = undefined;
      const violations = [...h.a.violations, ...h.b.violations, ...opened.flatMap((o) => o.violations)];
      for (const o of opened.splice(0)) await o.close();
      await h.close();
      expect(violations, 'responses that break the OpenAPI contract').toEqual([]);
    });

    async function submit(via: Harness, id: string) {
      const payload = via.payload({ sender: 'MDPONE' });
      return via.submit('MDPONE', payload, { 'x-messageContextId': id });
    }

    it('a message submitted to A is listed, fetched and deleted through B; a cursor from A pages on B', async () => {
      const { a, b } = hub!;
      const ids = [contextId('1'), contextId('2')];
      for (const id of ids) expect((await submit(a, id)).statusCode).toBe(200);
      const lnspB = await b.as('LNSPNORTH');
      const listed = await b.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: lnspB });
      expect(listed.statusCode, listed.body).toBe(200);
      expect(listed.json().data.map((m: Json) => m.messageContextId)).toEqual(ids);

      const firstPage = await a.app.inject({ method: 'GET', url: '/pqd/v1/bpqd?itemCount=1', headers: await a.as('LNSPNORTH') });
      const cursor = firstPage.json().meta.nextCursor as string;
      const secondPage = await b.app.inject({ method: 'GET', url: `/pqd/v1/bpqd?itemCount=1&cursor=${cursor}`, headers: lnspB });
      expect(secondPage.statusCode, secondPage.body).toBe(200);
      expect(secondPage.json().data.map((m: Json) => m.messageContextId)).toEqual([ids[1]]);

      const fetched = await b.app.inject({ method: 'GET', url: `/pqd/v1/bpqd/${ids[0]}`, headers: lnspB });
      expect(fetched.statusCode, fetched.body).toBe(200);
      const deleted = await b.app.inject({ method: 'DELETE', url: `/pqd/v1/bpqd/${ids[0]}`, headers: lnspB });
      expect(deleted.statusCode, deleted.body).toBe(204);
      const afterA = await a.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await a.as('LNSPNORTH') });
      expect(afterA.json().data.map((m: Json) => m.messageContextId)).toEqual([ids[1]]);
    });

    it('a messageContextId used on A is refused on B exactly as one instance refuses a duplicate', async () => {
      const { a, b } = hub!;
      expect((await submit(a, contextId('dup'))).statusCode).toBe(200);
      const onA = await submit(a, contextId('dup'));
      const onB = await submit(b, contextId('dup'));
      expect(onB.statusCode).toBe(409);
      const [pa, pb] = [onA.json(), onB.json()];
      expect(pb.code).toBe('IDX_ERR_DUPLICATE_MESSAGE');
      expect({ status: pb.status, code: pb.code, errors: pb.errors }).toEqual({ status: pa.status, code: pa.code, errors: pa.errors });
      expect(pb.traceId).toEqual(expect.any(String));
    });

    it('the PQD request over the limit of a minute (AEMO\'s: the 51st) is refused whichever instance receives it', async () => {
      const { a, b } = hub!;
      const limit = a.ctx.config.pqdRequestsPerMinute;
      const headers = new Map([[a, await a.as('LNSPNORTH')], [b, await b.as('LNSPNORTH')]]);
      const list = (via: Harness) => via.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: headers.get(via) });
      for (let i = 0; i < limit; i++) expect((await list(i % 2 === 0 ? a : b)).statusCode).toBe(200);
      const onB = await list(b);
      expect(onB.statusCode).toBe(429);
      expect(onB.json().detail).toMatch(new RegExp(`request ${limit + 1} on listBpqd`));
      const onA = await list(a);
      expect(onA.statusCode).toBe(429);
      expect(onA.json().detail).toMatch(new RegExp(`request ${limit + 2} on listBpqd`));
    });

    it('a subscriber on B gets MESSAGE_AVAILABLE once for a POST on A, with the same event as a subscriber on A', async () => {
      const { a, b } = hub!;
      const onB = await b.events('LNSPNORTH');
      const onA = await a.events('LNSPNORTH');
      const southB = await b.events('LNSPSOUTH');
      expect((await submit(a, contextId('ev'))).statusCode).toBe(200);
      const frameB = await onB.waitFor((f) => f.eventType === 'MESSAGE_AVAILABLE');
      const frameA = await onA.waitFor((f) => f.eventType === 'MESSAGE_AVAILABLE');
      expect(frameB).toMatchObject({ messageContextId: contextId('ev'), receivingParticipantId: 'LNSPNORTH', initiatingParticipantId: 'MDPONE' });
      expect(frameB).toEqual(frameA);
      // A second event, to show the first did not arrive twice in the meantime.
      expect((await submit(a, contextId('ev2'))).statusCode).toBe(200);
      await onB.waitFor((f) => f.messageContextId === contextId('ev2'));
      expect(onB.frames.filter((f) => f.eventType === 'MESSAGE_AVAILABLE').map((f) => f.messageContextId)).toEqual([contextId('ev'), contextId('ev2')]);
      expect(onA.frames.filter((f) => f.eventType === 'MESSAGE_AVAILABLE')).toHaveLength(2);
      expect(southB.frames.filter((f) => f.eventType === 'MESSAGE_AVAILABLE')).toEqual([]);
    });

    it('a clock advance on A is seen on B, and an instance started later runs on the same clock', async () => {
      const { a, b } = hub!;
      const moved = await a.app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: a.admin(), payload: { advanceSeconds: 86_400 } });
      expect(moved.statusCode, moved.body).toBe(200);
      expect(moved.json().now).toBe('2026-07-03T09:00:00.000+10:00');
      // The control API reads the shared clock; the rest of B follows once the notice arrives.
      const read = await b.app.inject({ method: 'GET', url: '/sim/v1/clock', headers: b.admin() });
      expect(read.json()).toMatchObject({ now: '2026-07-03T09:00:00.000+10:00', frozen: true });
      await eventually(() => expect(b.clock.now()).toBe(a.clock.now()));
      const c = await hub!.startAnother();
      opened.push(c);
      expect(c.clock.now()).toBe(a.clock.now());
      expect(c.clock.frozen).toBe(true);
      // And a move on B reaches A without a control API read.
      expect((await b.app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: b.admin(), payload: { advanceSeconds: 60 } })).statusCode).toBe(200);
      await eventually(() => expect(a.clock.now()).toBe(Date.parse('2026-07-03T09:01:00.000+10:00')));
    });

    it('watermarks, a ws-close fault rule and queue counts changed on A take effect on B', async () => {
      const { a, b } = hub!;
      const json = { 'content-type': 'application/json' };
      const onB = await b.events('LNSPNORTH');
      const southB = await b.events('LNSPSOUTH');
      const watermarks = await a.app.inject({ method: 'PUT', url: '/sim/v1/flow-control/pqd/watermarks', headers: { ...a.admin(), ...json }, payload: { low: 2, warn: 3, high: 4 } });
      expect(watermarks.statusCode, watermarks.body).toBe(200);
      await eventually(() => expect(b.ctx.delivery.watermarks('pqd')).toEqual({ low: 2, warn: 3, high: 4 }));

      expect((await submit(a, contextId('wm'))).statusCode).toBe(200);
      await eventually(() => expect(b.ctx.queueSeries.samples('LNSPNORTH', 'pqd').at(-1)).toMatchObject({ messageCount: 1 }));

      const fault = await a.app.inject({ method: 'POST', url: '/sim/v1/faults', headers: { ...a.admin(), ...json }, payload: { kind: 'ws-close', participantId: 'LNSPNORTH' } });
      expect(fault.statusCode, fault.body).toBe(201);
      await eventually(() => expect(b.ctx.events.subscriberCount('LNSPNORTH')).toBe(0));
      expect(b.ctx.events.subscriberCount('LNSPSOUTH')).toBe(1);
      void onB;
      void southB;
    });

    // B keeps participants, NMI role spans and outages in memory (issue #13): A's notices make it read them again.
    it('a participant, NMI standing data and an outage changed on A are used by B', async () => {
      const { a, b } = hub!;
      const headers = await b.as('LNSPNORTH');
      expect(b.ctx.participants.participant('LATELNSP')).toBeUndefined();
      expect(b.ctx.participants.rolesOn('4102000001', '2026-07-02').LNSP).toEqual(['LNSPNORTH']);
      expect((await b.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers })).statusCode).toBe(200);

      const json = { ...a.admin(), 'content-type': 'application/json' };
      const put = await a.app.inject({ method: 'PUT', url: '/sim/v1/participants/LATELNSP', headers: json, payload: { name: 'Late LNSP', role: 'LNSP' } });
      expect(put.statusCode, put.body).toBe(201);
      const churn = await a.app.inject({ method: 'POST', url: '/sim/v1/nmis/4102000001/churn', headers: json, payload: { fromDate: '2026-07-01', LNSP: 'LNSPSOUTH' } });
      expect(churn.statusCode, churn.body).toBe(200);
      const outage = await a.app.inject({ method: 'POST', url: '/sim/v1/outages', headers: json, payload: {
        outageStart: '2026-07-02T08:59:00+10:00', outageEnd: '2026-07-02T10:00:00+10:00', description: 'on A', participantIds: ['LNSPNORTH'], apis: ['pqd'] } });
      expect(outage.statusCode, outage.body).toBe(201);

      await eventually(() => expect(b.ctx.participants.participant('LATELNSP')).toMatchObject({ role: 'LNSP' }));
      await eventually(() => expect(b.ctx.participants.rolesOn('4102000001', '2026-07-02').LNSP).toEqual(['LNSPSOUTH']));
      await eventually(async () => expect((await b.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers })).statusCode).toBe(503));

      // Removed on A with its certificates: B no longer knows the certificate either.
      const p = pkiPaths(pkiDir());
      const identity = issueClientCertificate({ certPem: readFileSync(p.caCert, 'utf8'), keyPem: readFileSync(p.caKey, 'utf8') }, 'LATELNSP-NonProd', { now: T0 });
      const cert = await a.app.inject({ method: 'PUT', url: '/sim/v1/participants/LATELNSP/certificates/primary', headers: json, payload: { certificatePem: identity.certPem } });
      expect(cert.statusCode, cert.body).toBe(201);
      await eventually(() => expect(b.ctx.certificates.view().current('LATELNSP', 'primary')).toMatchObject({ commonName: 'LATELNSP-NonProd' }));
      const removed = await a.app.inject({ method: 'DELETE', url: '/sim/v1/participants/LATELNSP', headers: a.admin() });
      expect(removed.statusCode, removed.body).toBe(204);
      await eventually(() => expect(b.ctx.participants.participant('LATELNSP')).toBeUndefined());
      await eventually(() => expect(b.ctx.certificates.view().current('LATELNSP', 'primary')).toBeUndefined());
    });

    it('a certificate revoked on A is refused on B from the next request; a reset on A closes event sockets on B', async () => {
      const { a, b } = hub!;
      const headers = await b.as('LNSPNORTH');
      const revoked = await a.app.inject({ method: 'DELETE', url: '/sim/v1/participants/LNSPNORTH/certificates/primary', headers: a.admin() });
      expect(revoked.statusCode, revoked.body).toBeLessThan(300);
      await eventually(async () => {
        const res = await b.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers });
        expect(res.statusCode).toBe(401);
      });

      const onB = await b.events('MDPONE');
      const reset = await a.app.inject({ method: 'POST', url: '/sim/v1/reset', headers: a.admin() });
      expect(reset.statusCode, reset.body).toBeLessThan(300);
      await eventually(async () => {
        const res = await b.app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await b.as('LNSPNORTH') });
        expect(res.statusCode).toBe(200);
      });
      await eventually(() => expect(b.ctx.events.subscriberCount('MDPONE')).toBe(0));
      void onB;
    });
  });
}
