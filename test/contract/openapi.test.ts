import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Contract } from '../../src/contract/openapi.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { isUrmEntity } from '../../src/domain/participants.js';
import { isRequestQuotaName } from '../../src/domain/quotas.js';
import { useHarness, type Json } from '../helpers/harness.js';

const contract = new Contract(join(PROJECT_ROOT, 'openapi'));
const problem = (over: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({
  type: 'https://idx.sim/problems/x', title: 't', status: 400, detail: 'd', instance: '/pqd/v1/bpqd', traceId: '0'.repeat(32), code: 'IDX_ERR_X', ...over,
}));
const json = { 'content-type': 'application/problem+json', 'x-traceid': '0'.repeat(32) };

describe('the OpenAPI documents', () => {
  it('give every operation an operationId, an x-idx-auth rule with a known URM entity, and a documented 500', () => {
    expect(contract.operations.size).toBeGreaterThanOrEqual(6);
    for (const op of contract.operations.values()) {
      expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      if (op.auth.entity) expect(isUrmEntity(op.auth.entity), `${op.operationId} entity`).toBe(true);
      if (op.auth.token) expect(op.parameters.some((p) => p.name === 'Authorization'), `${op.operationId} documents Authorization`).toBe(true);
    }
  });

  it('name only known quotas in x-idx-quota, document 429 wherever one applies, and give every PQD operation its per-minute limit', () => {
    for (const op of contract.operations.values()) {
      for (const name of op.quotas) expect(isRequestQuotaName(name), `${op.operationId}: ${name}`).toBe(true);
      const responses = Object.values<Json>(contract.documents.get(op.file).paths).flatMap((item) => Object.values<Json>(item))
        .find((o) => o?.operationId === op.operationId)?.responses;
      if (op.quotas.length) expect(responses?.['429'], `${op.operationId} documents 429`).toBeDefined();
    }
    const pqd = [...contract.operations.values()].filter((op) => op.file === 'pqd.yaml');
    expect(pqd.map((op) => [op.operationId, op.quotas])).toEqual(pqd.map((op) => [op.operationId, ['pqd-requests-per-minute']]));
  });

  it('compile: every payload schema and response schema is valid JSON Schema', () => {
    expect(() => contract.validator('pqd.yaml', '#/components/schemas/BpqdPayload')).not.toThrow();
    expect(() => contract.validator('common.yaml', '#/components/schemas/Problem')).not.toThrow();
  });
});

describe('the response check itself', () => {
  it('passes a documented problem response', () => {
    expect(contract.checkResponse({ method: 'POST', url: '/pqd/v1/bpqd', statusCode: 400, headers: json, body: problem() })).toEqual([]);
  });

  it('flags an undocumented status', () => {
    expect(contract.checkResponse({ method: 'POST', url: '/pqd/v1/bpqd', statusCode: 418, headers: json, body: problem() })).toEqual([
      expect.stringMatching(/status 418 is not documented for submitBpqd/),
    ]);
  });

  it('flags a body field the schema does not know, and a missing required field', () => {
    const problems = contract.checkResponse({ method: 'POST', url: '/pqd/v1/bpqd', statusCode: 400, headers: json, body: problem({ extra: 1, traceId: undefined }) });
    expect(problems?.join('\n')).toMatch(/additional properties/);
    expect(problems?.join('\n')).toMatch(/traceId/);
  });

  it('flags an undeclared content type and a missing required header', () => {
    expect(contract.checkResponse({ method: 'POST', url: '/pqd/v1/bpqd', statusCode: 400, headers: { 'content-type': 'text/html' }, body: Buffer.from('<p>') }))
      .toEqual([expect.stringMatching(/required header x-traceId missing/), expect.stringMatching(/content type "text\/html" not documented/)]);
  });

  it('flags a body on a response documented without one', () => {
    expect(contract.checkResponse({ method: 'DELETE', url: '/pqd/v1/bpqd/pqd~bpqd~l~a~b', statusCode: 204, headers: { 'x-traceid': '0'.repeat(32) }, body: Buffer.from('x') }))
      .toEqual([expect.stringMatching(/body sent but none documented/)]);
  });

  it('ignores URLs that are not API routes', () => {
    expect(contract.checkResponse({ method: 'GET', url: '/docs', statusCode: 200, headers: {}, body: Buffer.from('') })).toBeUndefined();
  });
});

describe('the app serves the contract', () => {
  const h = useHarness();

  it('registers a route for every operation in the documents', async () => {
    for (const op of contract.operations.values()) {
      const url = op.path.replace(/\{[^}]+\}/g, 'pqd~bpqd~l~mdpone~x1');
      const res = await h().app.inject({ method: op.method.toUpperCase() as 'GET', url });
      expect(res.json().code, `${op.operationId}`).not.toBe('IDX_ERR_ROUTE_NOT_FOUND');
    }
  });

  it('serves each document raw and lists them', async () => {
    const index = await h().app.inject({ method: 'GET', url: '/openapi' });
    const files = index.json().documents.map((d: { file: string }) => d.file);
    expect(files).toEqual(expect.arrayContaining(['common.yaml', 'pqd.yaml', 'token.yaml', 'fctrl.yaml', 'events.yaml', 'events.asyncapi.yaml']));
    for (const file of files) {
      const res = await h().app.inject({ method: 'GET', url: `/openapi/${file}` });
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(file.includes('asyncapi') ? /^asyncapi: 3\.0\.0/ : /^openapi: 3\.1\.0/);
    }
  });

  it('renders the documents at /docs with the bundled swagger-ui (no CDN)', async () => {
    const page = await h().app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('/openapi/pqd.yaml');
    expect(page.body).not.toMatch(/https?:\/\/(cdn|unpkg)/);
    const asset = await h().app.inject({ method: 'GET', url: '/docs/assets/swagger-ui-bundle.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect((await h().app.inject({ method: 'GET', url: '/docs/assets/..%2Fpackage.json' })).statusCode).toBe(404);
  });
});
