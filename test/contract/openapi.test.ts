import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Contract, loadContract } from '../../src/contract/openapi.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { parse as parseYaml } from 'yaml';
import { isRequestQuotaName } from '../../src/domain/quotas.js';
import { ACCEPTED_UNEXERCISED } from './coverage-exemptions.js';
import { exampleProblems, schemaCompileProblems, securityProblems } from '../helpers/contract-checks.js';
import { certHeader, certificatePem, useHarness } from '../helpers/harness.js';

// The process's contract, the one every test hub serves (bundled once per run: test/helpers/project-contract.ts):
// the strict compile below then compiles each schema once in this process, for the response checks too.
const contract = await loadContract(join(PROJECT_ROOT, 'openapi'));
const problem = (over: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({
  type: 'https://idx.sim/problems/x', title: 't', status: 400, detail: 'd', instance: '/pqd/v1/bpqd', traceId: '0'.repeat(32), code: 'IDX_ERR_X', ...over,
}));
const json = { 'content-type': 'application/problem+json', 'x-traceid': '0'.repeat(32) };

describe('the OpenAPI documents', () => {
  it('give every operation an operationId, a security requirement of the standard schemes with a known URM entity as its scope, and no Authorization parameter', () => {
    expect(contract.operations.size).toBeGreaterThanOrEqual(6);
    for (const op of contract.operations.values()) expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
    expect(securityProblems(contract)).toEqual([]);
  });

  it('derive each route\'s authentication and URM rule from security and x-idx-auth', () => {
    expect(contract.operation('submitBpqd').auth).toEqual({ certificate: true, token: true, entity: 'PQD_BPQD', permission: 'C' });
    expect(contract.operation('deleteBpqd').auth).toEqual({ certificate: true, token: true, entity: 'PQD_BPQD', permission: 'delete' });
    expect(contract.operation('requestToken').auth).toEqual({ certificate: true });
    expect(contract.operation('getJwks').auth).toEqual({});
    expect(contract.operation('getClock').auth).toEqual({ admin: true });
    const bfinfo = [...contract.operations.values()].filter((op) => op.file === 'bfinfo.yaml');
    expect(bfinfo.map((op) => op.auth)).toEqual(bfinfo.map(() => ({ certificate: true, token: true })));
  });

  it('name only known quotas in x-idx-quota, document 429 wherever one applies, and give every PQD operation its per-minute limit', () => {
    for (const op of contract.operations.values()) {
      for (const name of op.quotas) expect(isRequestQuotaName(name), `${op.operationId}: ${name}`).toBe(true);
      if (op.quotas.length) expect(contract.documentedStatuses(), `${op.operationId} documents 429`).toContainEqual({ operationId: op.operationId, status: '429' });
    }
    const pqd = [...contract.operations.values()].filter((op) => op.file === 'pqd.yaml');
    expect(pqd.map((op) => [op.operationId, op.quotas])).toEqual(pqd.map((op) => [op.operationId, ['pqd-requests-per-minute']]));
  });

  it('compile strictly: every schema of every document is valid JSON Schema with no unknown keyword', () => {
    expect(contract.schemaLocations().length).toBeGreaterThan(100);
    expect(schemaCompileProblems(contract)).toEqual([]);
  });

  it('give only examples that validate against their schemas', () => {
    expect(exampleProblems(contract)).toEqual([]);
  });

  it('accept unexercised statuses only for pairs they document, each with a reason', () => {
    const documented = new Set(contract.documentedStatuses().map(({ operationId, status }) => `${operationId} ${status}`));
    const statuses = new Set(contract.documentedStatuses().map(({ status }) => status));
    for (const [key, reason] of Object.entries(ACCEPTED_UNEXERCISED)) {
      const [operationId, status] = key.split(' ');
      expect(operationId === '*' ? statuses.has(status!) : documented.has(key), `${key} is a documented pair`).toBe(true);
      expect(reason.length, `${key} has a reason`).toBeGreaterThan(40);
    }
  });

  it('match literal paths before templated ones, whatever the document order', () => {
    const doc = `openapi: 3.1.0
info: { title: t, version: '1' }
servers: [{ url: /t/v1 }]
paths:
  /participants/{participantId}:
    get: { operationId: getOne, security: [], responses: { '200': { description: one } } }
  /participants/me:
    get: { operationId: getMe, security: [], responses: { '200': { description: me } } }
`;
    const ordered = new Contract('/nowhere', new Map([['t.yaml', parseYaml(doc)]]));
    expect(ordered.exercised({ method: 'GET', url: '/t/v1/participants/me', statusCode: 200 })).toEqual({ operationId: 'getMe', status: '200' });
    expect(ordered.exercised({ method: 'GET', url: '/t/v1/participants/ACMEMC', statusCode: 200 })).toEqual({ operationId: 'getOne', status: '200' });
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

  it('flags a response header whose value breaks its schema, numeric ones read as numbers', () => {
    expect(contract.checkResponse({ method: 'POST', url: '/pqd/v1/bpqd', statusCode: 400, headers: { ...json, 'x-traceid': 'not-a-trace-id' }, body: problem() }))
      .toEqual([expect.stringMatching(/header x-traceId: "not-a-trace-id" does not match its schema \(\/: must match pattern/)]);
    const limited = { ...json, 'retry-after': 40 };
    expect(contract.checkResponse({ method: 'POST', url: '/pqd/v1/bpqd', statusCode: 429, headers: limited, body: problem({ status: 429 }) })).toEqual([]);
    expect(contract.checkResponse({ method: 'POST', url: '/pqd/v1/bpqd', statusCode: 429, headers: { ...limited, 'retry-after': 'soon' }, body: problem({ status: 429 }) }))
      .toEqual([expect.stringMatching(/header Retry-After: "soon" does not match its schema/)]);
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

  it('gives /docs a working Authorize: swagger-ui\'s client-credentials request to the documents\' tokenUrl, then a call with the token', async () => {
    const page = await h().app.inject({ method: 'GET', url: '/docs' });
    expect(page.body).toContain("initOAuth({ scopeSeparator: ' ' })");
    expect(page.body).toMatch(/import it once .*pkcs12/s);
    // What swagger-ui reads: the token URL of the idxOAuth scheme (relative: same host) and the scopes on offer.
    const flow = contract.documents.get('pqd.yaml').components.securitySchemes.idxOAuth.flows.clientCredentials;
    expect(flow.tokenUrl).toBe('/oauth/v1/token');
    expect(Object.keys(flow.scopes)).toEqual(['PQD_BPQD', 'FCTRL_FCTRL', 'FCTRL_STATUS', 'TRANSLOG_TRANSLOG', 'ARCH_RETRIEVE', 'EVENT_NOTIFY']);
    // What swagger-ui sends (client authentication "Basic auth header"), from a browser holding the participant certificate.
    const token = await h().app.inject({
      method: 'POST', url: flow.tokenUrl,
      headers: { ...certHeader(certificatePem('LNSPNORTH')), 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('lnspnorth-api:lnspnorth-secret').toString('base64')}` },
      payload: 'grant_type=client_credentials&scope=PQD_BPQD',
    });
    expect(token.statusCode, token.body).toBe(200);
    const call = await h().app.inject({
      method: 'GET', url: '/pqd/v1/bpqd',
      headers: { ...certHeader(certificatePem('LNSPNORTH')), authorization: `Bearer ${token.json().access_token}`, 'x-initiatingParticipantId': 'LNSPNORTH' },
    });
    expect(call.statusCode, call.body).toBe(200);
    // A browser without the certificate gets as far as the token request, which says what is missing.
    const bare = await h().app.inject({ method: 'POST', url: flow.tokenUrl, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials&client_id=lnspnorth-api&client_secret=lnspnorth-secret' });
    expect(bare.statusCode).toBe(401);
    expect(bare.json().code).toBe('IDX_ERR_CLIENT_CERT_REQUIRED');
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
