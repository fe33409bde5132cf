/** The simulator control API (/sim/v1): the simulated clock and injected outages, behind the admin key. */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';

/** The app's log lines of the current test. */
let logLines: Array<Record<string, unknown>> = [];
const h = useHarness({ adminKey: 'k3y-for-tests', logLevel: 'info' }, () => {
  logLines = [];
  return { logStream: { write: (line: string) => void logLines.push(JSON.parse(line)) } };
});
const json = { 'content-type': 'application/json' };

describe('control API', () => {
  it.each([
    ['no key', {}],
    ['a wrong key', { authorization: 'Bearer idx-sim-admin' }],
    // As many characters as the key, more bytes: a header byte over 0x7f arrives as one latin-1 character.
    ['a wrong key of as many characters but not bytes', { authorization: 'Bearer k3y-for-t\u00e9sts' }],
    ['a participant token', null],
  ])('refuses %s with 401 IDX_ERR_ADMIN_KEY', async (_label, headers) => {
    const res = await h().app.inject({ method: 'GET', url: '/sim/v1/clock', headers: headers ?? { authorization: `Bearer ${await h().token('LNSPNORTH')}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_ADMIN_KEY', errors: [{ in: 'header', name: 'Authorization' }] });
  });

  it('reads, sets, advances, freezes and unfreezes the clock', async () => {
    const get = await h().app.inject({ method: 'GET', url: '/sim/v1/clock', headers: h().admin() });
    expect(get.json()).toEqual({ now: '2026-07-02T09:00:00.000+10:00', frozen: true });
    const set = await h().app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: { ...h().admin(), ...json }, payload: { dateTime: '2026-07-15T00:00:00+10:00', advanceSeconds: 90 } });
    expect(set.json()).toEqual({ now: '2026-07-15T00:01:30.000+10:00', frozen: true, expiredMessages: 0 });
    expect(h().clock.now()).toBe(Date.parse('2026-07-15T00:01:30.000+10:00'));
    const thawed = await h().app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: { ...h().admin(), ...json }, payload: { frozen: false } });
    expect(thawed.json().frozen).toBe(false);
    expect(h().clock.frozen).toBe(false);
  });

  it.each([
    [{}, ''],
    [{ dateTime: 'tomorrow' }, '/dateTime'],
    [{ advanceSeconds: -5 }, '/advanceSeconds'],
  ])('refuses clock body %j with 400', async (payload, pointer) => {
    const res = await h().app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: { ...h().admin(), ...json }, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_SCHEMA_INVALID', errors: [expect.objectContaining({ in: 'body', pointer })] });
  });

  it.each([
    [{ advanceSeconds: 1e300 }, '/advanceSeconds'],
    [{ advanceSeconds: 366 * 86_400 + 1 }, '/advanceSeconds'],
    [{ dateTime: '9999-12-31T00:00:00Z' }, '/dateTime'],
    [{ dateTime: '1970-01-01T00:00:00Z' }, '/dateTime'],
    [{ dateTime: '2099-12-31T23:00:00Z', advanceSeconds: 7200 }, '/advanceSeconds'],
  ])('refuses clock body %j, which would leave 2000..2100, with 400 and leaves the clock alone', async (payload, pointer) => {
    const res = await h().app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: { ...h().admin(), ...json }, payload });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_SCHEMA_INVALID', errors: [expect.objectContaining({ in: 'body', pointer })] });
    expect(h().clock.now()).toBe(Date.parse('2026-07-02T09:00:00.000+10:00'));
    // Participants are still served: the clock did not become NaN.
    expect((await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as('LNSPNORTH') })).statusCode).toBe(200);
  });

  it('logs every control action, and every refused key', async () => {
    await h().app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: { ...h().admin(), ...json }, payload: { advanceSeconds: 60 } });
    await h().app.inject({ method: 'POST', url: '/sim/v1/outages', headers: { ...h().admin(), ...json },
      payload: { outageStart: '2026-07-03T00:00:00+10:00', outageEnd: '2026-07-03T01:00:00+10:00', description: 'release' } });
    await h().app.inject({ method: 'PUT', url: '/sim/v1/clock', headers: { authorization: 'Bearer idx-sim-admin', ...json }, payload: { advanceSeconds: 60 } });
    const actions = logLines.filter((l) => 'controlAction' in l);
    expect(actions).toEqual([
      expect.objectContaining({ level: 30, controlAction: 'setClock', change: { advanceSeconds: 60 }, from: '2026-07-02T09:00:00.000+10:00', to: '2026-07-02T09:01:00.000+10:00', msg: 'control API: clock changed' }),
      expect.objectContaining({ level: 30, controlAction: 'createOutage', outage: expect.objectContaining({ description: 'release' }), msg: 'control API: outage injected' }),
      expect.objectContaining({ level: 40, controlAction: 'refused', method: 'PUT', url: '/sim/v1/clock', reason: 'wrong key' }),
    ]);
    // The key itself is never logged.
    expect(JSON.stringify(logLines)).not.toContain('k3y-for-tests');
  });

  it('records outages and refuses impossible ones', async () => {
    const bad = await h().app.inject({ method: 'POST', url: '/sim/v1/outages', headers: { ...h().admin(), ...json },
      payload: { outageStart: '2026-07-03T02:00:00+10:00', outageEnd: '2026-07-03T01:00:00+10:00', description: 'backwards' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({ pointer: '/outageEnd', code: 'RANGE' });
    const unknown = await h().app.inject({ method: 'POST', url: '/sim/v1/outages', headers: { ...h().admin(), ...json },
      payload: { outageStart: '2026-07-03T00:00:00+10:00', outageEnd: '2026-07-03T01:00:00+10:00', description: 'x', participantIds: ['NOBODY'] } });
    expect(unknown.json().detail).toMatch(/unknown participants: NOBODY/);
    const ok = await h().app.inject({ method: 'POST', url: '/sim/v1/outages', headers: { ...h().admin(), ...json },
      payload: { outageStart: '2026-07-03T00:00:00+10:00', outageEnd: '2026-07-03T01:00:00+10:00', description: 'release' } });
    expect(ok.statusCode).toBe(201);
    const list = await h().app.inject({ method: 'GET', url: '/sim/v1/outages', headers: h().admin() });
    expect(list.json().data).toEqual([{ id: 1, outageStart: '2026-07-03T00:00:00.000+10:00', outageEnd: '2026-07-03T01:00:00.000+10:00', description: 'release', participantIds: null, apis: null, state: 'scheduled' }]);
    // Every participant gets a history row for an outage that names nobody in particular.
    const history = await h().app.inject({ method: 'GET', url: '/fctrl/v1/participants/LNSPSOUTH/history', headers: await h().as('LNSPSOUTH', 'FCTRL_STATUS') });
    expect(history.json().data.map((r: { event: string }) => r.event)).toEqual(['OUTAGE']);
  });
});
