/**
 * Refusals made below the routes, over a real TLS socket (issue 7 defects 5 and 8, issue 8 "HTTP
 * conventions"): Node's HTTP parser and Fastify's router refuse these before any operation runs, and
 * each must still be RFC 9457 problem+json with a trace id — with `Connection: close` when the socket
 * is closed — and never echo a long URL back.
 */
import { describe, expect, it } from 'vitest';
import { useE2eServer } from '../helpers/e2e.js';
import { rawExchange, type RawResponse } from '../helpers/raw-http.js';

const e2e = useE2eServer('socket-refusals', { profile: 'ci' });

function expectProblem(res: RawResponse, status: number, code: string) {
  expect(res.status, res.raw.slice(0, 500)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.body);
  expect(body).toMatchObject({ status, code });
  expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(res.headers['x-traceid']).toBe(body.traceId);
  return body;
}

function expectClosed(res: RawResponse) {
  expect(res.headers.connection).toBe('close');
  expect(res.closed).toBe(true);
}

describe('refusals of the HTTP parser are problem+json with a trace id (defect 8)', () => {
  it('431: request headers over 16 KiB', async () => {
    const res = await rawExchange(e2e, `GET /pqd/v1/bpqd HTTP/1.1\r\nHost: localhost\r\nx-padding: ${'a'.repeat(20_000)}\r\n\r\n`, { participantId: 'LNSPNORTH' });
    expectProblem(res, 431, 'IDX_ERR_HEADERS_TOO_LARGE');
    expectClosed(res);
  });

  it('400: a malformed request line', async () => {
    const res = await rawExchange(e2e, 'THIS IS NOT HTTP\r\n\r\n', { participantId: 'LNSPNORTH' });
    expectProblem(res, 400, 'IDX_ERR_HTTP_INVALID');
    expectClosed(res);
  });

  it('400: a header line without a colon, even without a client certificate', async () => {
    const res = await rawExchange(e2e, 'GET /pqd/v1/bpqd HTTP/1.1\r\nHost: localhost\r\nbroken header line\r\n\r\n', { participantId: undefined });
    expectProblem(res, 400, 'IDX_ERR_HTTP_INVALID');
    expectClosed(res);
  });

  it('417: an Expect the hub cannot meet', async () => {
    const res = await rawExchange(e2e, 'POST /oauth/v1/token HTTP/1.1\r\nHost: localhost\r\nExpect: 200-ok\r\nContent-Length: 0\r\n\r\n', { participantId: 'MDPONE' });
    expectProblem(res, 417, 'IDX_ERR_EXPECTATION_FAILED');
    expectClosed(res);
  });
});

describe('refusals of the router are problem+json with a trace id (defect 8, issue 8)', () => {
  it('414: a 5,000-character messageContextId, without echoing the URL', async () => {
    const id = `pqd~bpqd~l~mdpone~${'x'.repeat(5000)}`;
    const res = await e2e.call('LNSPNORTH', 'GET', `/pqd/v1/bpqd/${id}`, await e2e.as('LNSPNORTH'));
    expect(res.status).toBe(414);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({ code: 'IDX_ERR_URI_TOO_LONG', traceId: res.headers['x-traceid'] });
    expect(res.bytes.length).toBeLessThan(1000);
    expect(res.bytes.toString()).not.toContain('x'.repeat(200));
  });

  it('400: a URL that is not valid percent-encoding', async () => {
    const res = await rawExchange(e2e, 'GET /pqd/v1/bpqd/%E0%A4%A HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', { participantId: 'LNSPNORTH' });
    expectProblem(res, 400, 'IDX_ERR_HTTP_INVALID');
  });

  it('405 with Allow: a known path with another method', async () => {
    const res = await e2e.call('LNSPNORTH', 'PUT', '/pqd/v1/bpqd', await e2e.as('LNSPNORTH'), '{}');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_METHOD_NOT_ALLOWED', traceId: res.headers['x-traceid'] });
    const token = await e2e.call('MDPONE', 'GET', '/oauth/v1/token');
    expect(token.status).toBe(405);
    expect(token.headers.allow).toBe('POST');
    const message = await e2e.call('LNSPNORTH', 'PATCH', '/pqd/v1/bpqd/pqd~bpqd~l~mdpone~abc');
    expect(message.status).toBe(405);
    expect(message.headers.allow).toBe('DELETE, GET, HEAD');
  });

  it('404: an unknown path stays 404, whatever the method', async () => {
    for (const method of ['GET', 'PUT']) {
      const res = await e2e.call('LNSPNORTH', method, '/pqd/v1/nothing-here');
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ code: 'IDX_ERR_ROUTE_NOT_FOUND', traceId: res.headers['x-traceid'] });
    }
  });

  it('QUERY /anything without a certificate is 4xx problem+json, not 500 (defect 5)', async () => {
    const res = await rawExchange(e2e, 'QUERY /anything HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', { participantId: undefined });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(JSON.parse(res.body).traceId).toBe(res.headers['x-traceid']);
  });

  it('413: a body over the limit is refused from its Content-Length', async () => {
    const res = await rawExchange(e2e, 'POST /oauth/v1/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 50000000\r\n\r\ngrant_type=', { participantId: 'MDPONE' });
    expectProblem(res, 413, 'IDX_ERR_PAYLOAD_TOO_LARGE');
  });
});
