/**
 * The refusals every operation shares, driven by the contract itself so that an operation added to the
 * documents is covered the day it appears: a malformed x-initiatingParticipantId is 400 naming it, a
 * token without the operation's URM entity is 403, a spent request quota is 429 with Retry-After, and an
 * unexpected error is a 500 problem with the trace id. Each response is checked against the documents by
 * the harness, and counts towards the contract coverage (test/helpers/contract-coverage.ts).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Operation } from '../../src/contract/openapi.js';
import { type Harness, useHarness } from '../helpers/harness.js';

const CALLER = 'LNSPNORTH';
/** A valid value for each path parameter of the documents. */
const PATH_VALUES: Record<string, string> = {
  messageContextId: 'pqd~bpqd~l~mdpone~x1', businessFunctionId: 'pqd', participantId: CALLER, messageId: 'MSG-0c6f4a5e-9d1b-4f5e-8a55-2f8a9d8a7e11',
};
/** A valid body for each operation that takes one and is not an admin or token operation. */
const BODIES: Record<string, { type: string; payload: string | Buffer }> = {
  manageOutboundDelivery: { type: 'application/json', payload: JSON.stringify({ outboundDelivery: 'Stopped' }) },
  submitBpqd: { type: 'application/json', payload: gzipSync('{}') },
};

function urlOf(op: Operation): string {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = PATH_VALUES[name];
    if (!value) throw new Error(`every-operation.test.ts needs a sample value for path parameter ${name} (${op.operationId})`);
    return encodeURIComponent(value);
  });
}

async function call(h: Harness, op: Operation, headers: Record<string, string>) {
  const body = BODIES[op.operationId];
  return h.app.inject({
    method: op.method.toUpperCase() as 'GET', url: urlOf(op),
    headers: { ...headers, ...(body ? { 'content-type': body.type, ...(op.operationId === 'submitBpqd' ? { 'content-encoding': 'gzip', 'x-messageContextId': 'pqd~bpqd~l~lnspnorth~x1' } : {}) } : {}) },
    ...(body ? { payload: body.payload } : {}),
  });
}

const operations = (h: Harness, keep: (op: Operation) => boolean) => [...h.ctx.contract.operations.values()].filter(keep);
const takesParticipantHeader = (op: Operation) => op.parameters.some((p) => p.in === 'header' && p.name === 'x-initiatingParticipantId');

describe('every IDX operation', () => {
  const h = useHarness({ profile: 'ci' });

  it('refuses a malformed x-initiatingParticipantId with 400 naming the header', async () => {
    const ops = operations(h(), takesParticipantHeader);
    expect(ops.length).toBeGreaterThanOrEqual(15);
    for (const op of ops) {
      const res = await call(h(), op, { ...(await h().as(CALLER, 'PQD_BPQD FCTRL_STATUS FCTRL_FCTRL TRANSLOG_TRANSLOG ARCH_RETRIEVE EVENT_NOTIFY')), 'x-initiatingParticipantId': 'not an id!' });
      expect(res.statusCode, `${op.operationId}: ${res.body}`).toBe(400);
      expect(res.json().errors, op.operationId).toContainEqual(expect.objectContaining({ in: 'header', name: 'x-initiatingParticipantId' }));
    }
  });

  it('refuses a token that does not grant the operation\'s URM entity with 403 IDX_ERR_ENTITY_NOT_GRANTED naming it', async () => {
    const ops = operations(h(), (op) => op.auth.entity !== undefined);
    expect(ops.length).toBeGreaterThanOrEqual(14);
    for (const op of ops) {
      // A token for every entity but this one: the refusal is about the entity, not about the token.
      const others = ['PQD_BPQD', 'FCTRL_STATUS', 'FCTRL_FCTRL', 'TRANSLOG_TRANSLOG', 'ARCH_RETRIEVE', 'EVENT_NOTIFY'].filter((e) => e !== op.auth.entity);
      const res = await call(h(), op, await h().as(CALLER, others.join(' ')));
      expect(res.statusCode, `${op.operationId}: ${res.body}`).toBe(403);
      expect(res.json().code, op.operationId).toBe('IDX_ERR_ENTITY_NOT_GRANTED');
      expect(res.json().detail, op.operationId).toContain(op.auth.entity);
    }
  });

  it('refuses a token of another participant\'s URM user with 403 where no URM entity is needed (Business Function Information)', async () => {
    const ops = operations(h(), (op) => op.auth.token === true && op.auth.entity === undefined);
    expect(ops.length).toBeGreaterThanOrEqual(2);
    const theirs = await h().as('LNSPSOUTH', '');
    const mine = await h().as(CALLER, '');
    for (const op of ops) {
      const res = await call(h(), op, { ...mine, authorization: theirs.authorization! });
      expect(res.statusCode, `${op.operationId}: ${res.body}`).toBe(403);
      expect(res.json().code, op.operationId).toBe('IDX_ERR_TOKEN_PARTICIPANT_MISMATCH');
    }
  });
});

describe('every operation with a request quota', () => {
  // 0 refuses every request: each quota'd operation answers 429 on its first call.
  const h = useHarness({ pqdRequestsPerMinute: 0, fctrlRequestsPerDay: 0, fctrlPatchRequestsPerDay: 0, bfinfoRequestsPerDay: 0 });

  it('refuses a request over its quota with 429 IDX_ERR_RATE_LIMITED and Retry-After', async () => {
    const ops = operations(h(), (op) => op.quotas.length > 0);
    expect(ops.length).toBeGreaterThanOrEqual(11);
    const headers = await h().as(CALLER, 'PQD_BPQD FCTRL_STATUS FCTRL_FCTRL');
    for (const op of ops) {
      const res = await call(h(), op, headers);
      expect(res.statusCode, `${op.operationId}: ${res.body}`).toBe(429);
      expect(res.json().code, op.operationId).toBe('IDX_ERR_RATE_LIMITED');
      expect(Number(res.headers['retry-after']), op.operationId).toBeGreaterThan(0);
    }
  });
});

describe('an unexpected error', () => {
  const h = useHarness({ profile: 'ci' });

  it('is a 500 problem with the trace id, not a stack trace (the one error handler answers it for every route)', async () => {
    h().ctx.bpqd.list = () => {
      throw new Error('disk on fire at /var/lib/secret');
    };
    const res = await h().app.inject({ method: 'GET', url: '/pqd/v1/bpqd', headers: await h().as(CALLER) });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'IDX_ERR_INTERNAL', traceId: res.headers['x-traceid'] });
    expect(res.body).not.toContain('disk on fire');
  });
});
