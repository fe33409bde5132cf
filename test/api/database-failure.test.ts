/**
 * Losing the database (issue #14, "Operations"; docs/deployment.md): a request that meets a database
 * failure gets 503 problem+json `IDX_ERR_STORAGE_UNAVAILABLE` with Retry-After and a trace id, nothing
 * it half-wrote is kept, and the same process answers normally once the database is back. The failures
 * are injected where the PostgreSQL port raises them (a store call inside the acceptance transaction);
 * test/postgres/database-outage.test.ts does the same with a real PostgreSQL stopped and started.
 */
import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../src/store/database-errors.js';
import { testBackend } from '../helpers/database.js';
import { useHarness } from '../helpers/harness.js';

let logLines: Array<Record<string, unknown>> = [];
const h = useHarness({ logLevel: 'info' }, () => {
  logLines = [];
  return { logStream: { write: (line: string) => void logLines.push(JSON.parse(line)) } };
});

/** Makes `object[method]` throw `err` until the returned function is called. */
function failing<T extends object>(object: T, method: keyof T, err: Error): () => void {
  const original = object[method];
  object[method] = (() => { throw err; }) as T[keyof T];
  return () => { object[method] = original; };
}

const queueSize = async (participantId: string) =>
  (await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as(participantId) })).json().meta.totalRecords as number;

describe('a request that meets a database failure', () => {
  it('gets 503 IDX_ERR_STORAGE_UNAVAILABLE with Retry-After, keeps nothing half-written, and the resend is accepted once the database is back', async () => {
    const payload = h().payload({ sender: 'MDPONE' });
    const contextId = h().contextId('MDPONE');
    // The message row and its queue item are written first; the flow-control row last, inside the same transaction.
    const restore = failing(h().ctx.flowControlStore, 'save', new DatabaseUnavailableError('Connection terminated unexpectedly', 'connection-lost'));
    const refused = await h().submit('MDPONE', payload, { 'x-messageContextId': contextId });
    restore();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json()).toMatchObject({ status: 503, code: 'IDX_ERR_STORAGE_UNAVAILABLE', traceId: refused.headers['x-traceid'], messageContextId: contextId });
    expect(refused.json().detail).toMatch(/nothing was done/);
    // Nothing of it was kept: no queue item, and the same messageContextId is not a duplicate.
    expect(await queueSize('LNSPNORTH')).toBe(0);
    const again = await h().submit('MDPONE', payload, { 'x-messageContextId': contextId });
    expect(again.statusCode).toBe(200);
    expect(await queueSize('LNSPNORTH')).toBe(1);
  });

  it('gets 503 with Retry-After 1 when the database rolled it back as a deadlock', async () => {
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const restore = failing(h().ctx.flowControlStore, 'save', deadlock);
    const refused = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    restore();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({ code: 'IDX_ERR_STORAGE_UNAVAILABLE' });
    expect(refused.json().detail).toMatch(/deadlock or serialization failure/);
    expect(await queueSize('LNSPNORTH')).toBe(0);
  });

  it('is not written to the transaction log (the database is what failed) but is logged', async () => {
    const rejected = (code: string) => (h().ctx.db.prepare('SELECT COUNT(*) AS n FROM transaction_log WHERE reason_code = ?').get(code) as { n: number }).n;
    const payload = h().payload({ sender: 'MDPONE' });
    const contextId = h().contextId('MDPONE');
    const restore = failing(h().ctx.flowControlStore, 'save', new DatabaseUnavailableError('connect ECONNREFUSED 127.0.0.1:5432', 'connection-lost'));
    const refused = await h().submit('MDPONE', payload, { 'x-messageContextId': contextId });
    restore();
    expect(refused.statusCode).toBe(503);
    expect(rejected('IDX_ERR_STORAGE_UNAVAILABLE')).toBe(0);
    expect(logLines.some((l) => l.msg === 'database failure: answered 503' && l.reqId === refused.json().traceId)).toBe(true);
    // A refusal of the request itself still is stored: the check above can tell the two apart.
    expect((await h().submit('MDPONE', payload, { 'x-messageContextId': contextId })).statusCode).toBe(200);
    expect((await h().submit('MDPONE', payload, { 'x-messageContextId': contextId })).statusCode).toBe(409);
    expect(rejected('IDX_ERR_DUPLICATE_MESSAGE')).toBe(1);
  });

  it('logs one line per refused request during an outage, not one more for the request journal that could not be written either', async () => {
    const outage = () => new DatabaseUnavailableError('connect ECONNREFUSED 127.0.0.1:5432', 'connection-lost');
    const restoreSave = failing(h().ctx.flowControlStore, 'save', outage());
    const restoreJournal = failing(h().ctx.journal, 'append', outage());
    const refused = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    restoreJournal();
    restoreSave();
    expect(refused.statusCode).toBe(503);
    const traceId = refused.json().traceId;
    const warnings = logLines.filter((l) => l.reqId === traceId && (l.level as number) >= 40).map((l) => l.msg);
    expect(warnings).toEqual(['database failure: answered 503']);

    // Any other failure to write the journal still is an error worth a line of its own.
    const restoreOther = failing(h().ctx.journal, 'append', new Error('disk I/O error'));
    const accepted = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    restoreOther();
    expect(accepted.statusCode).toBe(200);
    expect(logLines.filter((l) => l.reqId === accepted.headers['x-traceid']).map((l) => l.msg)).toContain('could not write the request journal');
  });
});

describe('health and readiness while the database does not answer', () => {
  it('health stays 200 and says unavailable; ready is 503 with Retry-After; both recover with the database, in the same process', async () => {
    const restore = failing(h().ctx.sim, 'ping', new DatabaseUnavailableError('timeout exceeded when trying to connect', 'connection-lost'));
    const health = await h().app.inject({ method: 'GET', url: '/sim/v1/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', backend: testBackend(), checks: { database: 'unavailable' } });
    const ready = await h().app.inject({ method: 'GET', url: '/sim/v1/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBe('5');
    expect(ready.json()).toMatchObject({ code: 'IDX_ERR_SIM_NOT_READY', traceId: expect.any(String) });
    expect(ready.json().detail).toContain(`the ${testBackend()} database does not answer (timeout exceeded when trying to connect)`);
    restore();
    expect((await h().app.inject({ method: 'GET', url: '/sim/v1/ready' })).json()).toEqual({ status: 'ready', backend: testBackend(), checks: { database: 'ok' } });
    expect((await h().app.inject({ method: 'GET', url: '/sim/v1/health' })).json()).toEqual({ status: 'ok', backend: testBackend(), checks: { database: 'ok' } });
  });
});
