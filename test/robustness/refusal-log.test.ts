/**
 * Issue 7 defect 3: clients without a certificate cannot fill the disk. A refusal of a request no
 * participant owns goes to the log (pino), not the database; a participant's refusals are stored
 * truncated, at most IDX_SIM_TRANSLOG_REFUSALS_PER_MINUTE a minute, and purged after
 * IDX_SIM_TRANSLOG_REFUSAL_RETENTION_DAYS like the rest of the transaction log's retention.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';

const h = useHarness({ profile: 'ci', translogRefusalsPerMinute: 5, translogRefusalRetentionDays: 2 });

const rows = () => h().ctx.db.prepare('SELECT (SELECT count(*) FROM transaction_log) AS log, (SELECT count(*) FROM translog_records) AS records').get() as { log: number; records: number };
const bigContextId = `pqd~bpqd~l~mdpone~${'x'.repeat(10_000)}`;

describe('refusals in the transaction log are bounded (defect 3)', () => {
  it('a request without a client certificate writes nothing, whatever its headers', async () => {
    const before = rows();
    for (let i = 0; i < 20; i++) {
      const res = await h().app.inject({ method: 'POST', url: '/pqd/v1/bpqd', headers: { 'x-messageContextId': bigContextId, 'x-initiatingParticipantId': 'MDPONE' }, payload: 'x' });
      expect(res.statusCode).toBe(401);
      expect(res.body.length).toBeLessThan(2000);
    }
    expect(rows()).toEqual(before);
  });

  it("a participant's refusal is stored truncated: no 10 KB messageContextId, a detail of at most 500 characters", async () => {
    const res = await h().app.inject({ method: 'GET', url: `/pqd/v1/bpqd?fromDateTime=${'9'.repeat(3000)}`, headers: { ...(await h().as('LNSPNORTH')), 'x-messageContextId': bigContextId } });
    expect(res.statusCode).toBe(400);
    const stored = h().ctx.db.prepare('SELECT message_context_id AS id, length(detail) AS detail FROM transaction_log WHERE trace_id = ?').get(res.json().traceId) as { id: string | null; detail: number };
    expect(stored.id).toBeNull();
    expect(stored.detail).toBeLessThanOrEqual(500);
  });

  it('stores at most IDX_SIM_TRANSLOG_REFUSALS_PER_MINUTE refusals a minute per participant; the next minute stores again', async () => {
    const headers = await h().as('LNSPNORTH');
    const south = await h().as('LNSPSOUTH');
    const before = rows().log;
    for (let i = 0; i < 12; i++) expect((await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd?itemCount=0', headers })).statusCode).toBe(400);
    expect(rows().log - before).toBe(5);
    // Another participant has its own budget.
    expect((await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd?itemCount=0', headers: south })).statusCode).toBe(400);
    expect(rows().log - before).toBe(6);
    h().clock.advance(60_000);
    expect((await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd?itemCount=0', headers: await h().as('LNSPNORTH') })).statusCode).toBe(400);
    expect(rows().log - before).toBe(7);
  });

  it('purges refusals older than the retention, keeping message records', async () => {
    const accepted = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    expect(accepted.statusCode).toBe(200);
    const refused = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd?itemCount=0', headers: await h().as('LNSPNORTH') });
    expect(refused.statusCode).toBe(400);
    const refusals = () => h().ctx.db.prepare("SELECT count(*) AS n FROM translog_records WHERE status = 'message_rejected'").get() as { n: number };
    expect(refusals().n).toBe(1);
    // Moving the clock through the control API purges, as the 30 s housekeeping does.
    const moved = await h().app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: h().admin(), payload: { advanceSeconds: 3 * 86_400 } });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(refusals().n).toBe(0);
    expect(h().ctx.db.prepare("SELECT count(*) AS n FROM transaction_log WHERE status = 'message_rejected'").get()).toEqual({ n: 0 });
    expect((h().ctx.db.prepare('SELECT count(*) AS n FROM translog_records WHERE message_id IS NOT NULL').get() as { n: number }).n).toBe(1);
  });
});
