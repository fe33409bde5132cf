/**
 * Issue 7 defect 2: no payload of at most the size limit takes unbounded work to refuse. Every array and
 * string of the BPQD schema is bounded; a valid payload is checked by a validator that stops at the
 * first error, and the list of problems is computed on a copy of at most REPORT_NODE_BUDGET values.
 * The tests count work (values examined, problems listed, the validator's code) instead of timing it.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { boundedValidator, clipForReport, REPORT_NODE_BUDGET } from '../../src/contract/bounded-validation.js';
import { useHarness } from '../helpers/harness.js';

const h = useHarness({ profile: 'ci' });

/** A payload whose header is valid and whose `data.transactions` is `transactions` as given. */
function withTransactions(transactions: string): Buffer {
  const valid = h().payload({ sender: 'MDPONE' });
  const json = JSON.stringify({ data: { header: valid.data.header, transactions: '__T__' } }).replace('"__T__"', transactions);
  return gzipSync(json);
}

describe('BPQD payloads are refused with bounded work (defect 2)', () => {
  it('1,000,000 empty transactions (a 3 KB gzip body) are refused listing at most 100 problems, the bound first', async () => {
    const body = withTransactions(`[${Array(1_000_000).fill('{}').join(',')}]`);
    expect(body.length).toBeLessThan(10_000);
    const res = await h().submit('MDPONE', body);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
    const problem = res.json();
    expect(problem.code).toBe('IDX_ERR_SCHEMA_INVALID');
    expect(problem.errors.length).toBeLessThanOrEqual(100);
    expect(problem.errors[0]).toMatchObject({ pointer: '/data/transactions', code: 'MAXITEMS' });
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/data/transactions/0/transactionId', code: 'REQUIRED' })]));
    expect(problem.detail).toMatch(/first \d+ values/);
  });

  it('the problem list examines at most REPORT_NODE_BUDGET values of any payload', () => {
    const validate = boundedValidator(h().ctx.contract.firstErrorValidator('pqd.yaml', '#/components/schemas/BpqdPayload'),
      h().ctx.contract.validator('pqd.yaml', '#/components/schemas/BpqdPayload'));
    const nested = { data: { header: {}, transactions: Array.from({ length: 300 }, () => ({ nmiDetails: Array.from({ length: 300 }, () => ({ meters: [{}, {}] })) })) } };
    for (const payload of [{ data: { transactions: Array(1_000_000).fill({}) } }, nested, Array(1_000_000).fill(0)]) {
      const result = validate(payload);
      expect(result.valid).toBe(false);
      if (result.valid) continue;
      expect(result.examinedNodes).toBeLessThanOrEqual(REPORT_NODE_BUDGET + 40);
      expect(result.errors.length).toBeLessThan(REPORT_NODE_BUDGET * 5);
    }
  });

  it('clipping never invents problems: cut arrays and objects are remembered', () => {
    const clip = clipForReport({ a: [1, 2, 3, 4, 5], b: { c: 1 } }, 4);
    expect(clip.value).toEqual({ a: [1, 2], b: { c: 1 } });
    expect([...clip.cut]).toEqual(['/a']);
    const deep = clipForReport(JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`));
    expect(deep.nodes).toBeLessThan(50);
  });

  it('100,000 distinct receivingParticipantIds are refused by maxItems; no uniqueness check in the payload schema is quadratic', async () => {
    const payload = h().payload({ sender: 'MDPONE' });
    (payload.data.header as { receivingParticipantId: string[] }).receivingParticipantId = Array.from({ length: 100_000 }, (_, i) => `P${i}`);
    const res = await h().submit('MDPONE', payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ pointer: '/data/header/receivingParticipantId', code: 'MAXITEMS' });
    // ajv's quadratic uniqueItems loop is labelled `outer`: it is used when it cannot tell the item type.
    for (const validator of [h().ctx.contract.validator('pqd.yaml', '#/components/schemas/BpqdPayload'), h().ctx.contract.firstErrorValidator('pqd.yaml', '#/components/schemas/BpqdPayload')]) {
      expect(validator.toString()).not.toMatch(/outer\d*:/);
    }
  });

  it('every array and string of the payload schema has an upper bound', () => {
    const doc = h().ctx.contract.documents.get('pqd.yaml');
    const unbounded: string[] = [];
    const walk = (node: Record<string, unknown> | null, where: string) => {
      if (!node || typeof node !== 'object') return;
      if (node.type === 'array' && node.maxItems === undefined) unbounded.push(where);
      // A $ref'd schema is checked where it is defined.
      if (node.type === 'string' && node.maxLength === undefined && node.enum === undefined && node.const === undefined && node.$ref === undefined) unbounded.push(where);
      for (const [k, v] of Object.entries(node)) walk(v as Record<string, unknown> | null, `${where}/${k}`);
    };
    for (const name of ['BpqdPayload', 'BpqdHeader', 'BpqdTransaction', 'NmiDetail', 'Meter', 'Interval', 'PhaseReading', 'ParticipantId', 'PayloadDateTime']) {
      walk((doc as { components: { schemas: Record<string, Record<string, unknown>> } }).components.schemas[name]!, name);
    }
    expect(unbounded).toEqual([]);
  });

  it('a 5 MB string where a 64-character messageId belongs is refused by maxLength', async () => {
    const payload = h().payload({ sender: 'MDPONE' });
    payload.data.header.messageId = 'x'.repeat(5_000_000);
    const res = await h().submit('MDPONE', payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ pointer: '/data/header/messageId', code: 'MAXLENGTH' });
    expect(res.body.length).toBeLessThan(20_000);
  });
});
