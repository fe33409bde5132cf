/**
 * Control API: a business function's flow-control watermarks changed at run time, so a test reaches the High
 * watermark with a handful of messages (seed 000 Table 7 "Delete messages … for 'High' watermark message
 * count"); a reset returns to the configured values (docs/spec-variance.md row 320).
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.js';

const h = useHarness({ adminKey: 'k3y' });
const put = (bf: string, payload: object, headers: Record<string, string> = h().admin()) =>
  h().app.inject({ method: 'PUT', url: `/sim/v1/flow-control/${bf}/watermarks`, headers: { ...headers, 'content-type': 'application/json' }, payload });
const flow = async () => (await h().app.inject({ method: 'GET', url: '/fctrl/v1/businessFunctions/pqd?expand=true', headers: await h().as('LNSPNORTH', 'FCTRL_STATUS') })).json().data;
const send = async () => {
  const res = await h().submit('MDPONE', h().payload({ sender: 'MDPONE', nmis: ['4102000001'], date: '2026-07-01' }));
  expect(res.statusCode, res.body).toBe(200);
};

describe('PUT /sim/v1/flow-control/{businessFunctionId}/watermarks', () => {
  it('sets Low, Warn and High for the queues from the next arrival; a reset restores the configured ones', async () => {
    const res = await put('pqd', { low: 1, warn: 2, high: 3 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toEqual({ businessFunctionId: 'pqd', low: 1, warn: 2, high: 3 });
    expect((await flow()).watermarks).toEqual({ low: 1, warn: 2, high: 3 });
    for (let i = 0; i < 3; i++) await send();
    expect(await flow()).toMatchObject({ messageStatus: 'Stopped', messageCount: 3 });
    await send();
    expect((await flow()).heldCount).toBe(1);

    expect((await h().app.inject({ method: 'POST', url: '/sim/v1/reset', headers: h().admin() })).statusCode).toBe(200);
    const configured = h().ctx.config;
    expect((await flow()).watermarks).toEqual({ low: configured.fcPqdLow, warn: configured.fcPqdWarn, high: configured.fcPqdHigh });
  });

  it('refuses watermarks that do not rise (400, pointing at the field), an unknown business function (404) and no key (401)', async () => {
    const flat = await put('pqd', { low: 5, warn: 5, high: 9 });
    expect(flat.statusCode).toBe(400);
    expect(flat.json()).toMatchObject({ code: 'IDX_ERR_SCHEMA_INVALID', errors: [{ pointer: '/warn', code: 'ORDER' }] });
    expect((await put('pqd', { low: 1, warn: 6, high: 6 })).json().errors[0].pointer).toBe('/high');
    expect((await put('pqd', { low: 1, warn: 2 })).statusCode).toBe(400);
    const unknown = await put('nope', { low: 1, warn: 2, high: 3 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('IDX_ERR_SIM_NOT_FOUND');
    expect((await put('pqd', { low: 1, warn: 2, high: 3 }, {})).statusCode).toBe(401);
    // Nothing changed by the refusals.
    expect((await flow()).watermarks.high).toBe(h().ctx.config.fcPqdHigh);
  });
});
