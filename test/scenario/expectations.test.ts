import { describe, expect, it } from 'vitest';
import { capture, evaluate } from '../../src/scenario/expectations.js';
import { redactBody, redactHeaders } from '../../src/scenario/recorder.js';
import { addDays, parseIsoDuration, substitute, VariableError, type VariableScope } from '../../src/scenario/variables.js';

const submitted = {
  status: 200,
  headers: { 'x-traceid': 'abc123', 'content-type': 'application/json' },
  json: { data: { messageContextId: 'pqd~bpqd~l~mdpone~u1', status: 'delivery_pending', receivingParticipantIds: ['LNSPNORTH'], count: 3 } },
};
const refused = { status: 403, headers: {}, json: { code: 'IDX_ERR_FORBIDDEN', detail: 'not your queue', traceId: 't1' } };
const listed = { status: 200, headers: {}, json: { data: [{ priority: 'h' }, { priority: 'l' }, { priority: 'h' }] } };

const failures = (r: ReturnType<typeof evaluate>) => r.filter((a) => !a.passed).map((a) => a.description);

describe('expectations', () => {
  it('status: exact, list, class, and the 2xx default with the problem in the words', () => {
    expect(failures(evaluate(submitted, { status: 200 }))).toEqual([]);
    expect(failures(evaluate(submitted, { status: [201, 200] }))).toEqual([]);
    expect(failures(evaluate(refused, { status: '4xx' }))).toEqual([]);
    expect(failures(evaluate(refused, undefined, '2xx'))).toEqual(['status is 2xx, got 403 (IDX_ERR_FORBIDDEN: not your queue)']);
    expect(failures(evaluate({ json: undefined }, { status: 200 }))).toEqual(['status is 200, got no answer']);
  });

  it('code: the problem code, and a code alone replaces the 2xx default', () => {
    expect(failures(evaluate(refused, { code: 'IDX_ERR_FORBIDDEN' }, '2xx'))).toEqual([]);
    expect(failures(evaluate(refused, { code: 'IDX_ERR_NOT_FOUND' }, '2xx'))).toEqual(['problem code is IDX_ERR_NOT_FOUND, got IDX_ERR_FORBIDDEN']);
    expect(failures(evaluate(submitted, { code: 'IDX_ERR_NOT_FOUND' }))).toEqual(['problem code is IDX_ERR_NOT_FOUND, got no problem code (status 200)']);
  });

  it('json: literals and every matcher, passing and failing with what was seen', () => {
    expect(failures(evaluate(submitted, { json: {
      '$.data.status': 'delivery_pending', '$.data.receivingParticipantIds': { contains: 'LNSPNORTH', length: 1 }, '$.data.messageContextId': { matches: '^pqd~bpqd~l~' },
      '$.data.count': { gte: 3, lt: 4, oneOf: [3, 5] }, '$.data.nothing': { exists: false }, '$.data.messageId': { exists: false }, "$.data['status']": { notEquals: 'held' },
    } }))).toEqual([]);
    expect(failures(evaluate(submitted, { json: {
      '$.data.status': 'held', '$.data.receivingParticipantIds': { contains: 'LNSPSOUTH' }, '$.data.count': { gt: 3 }, '$.data.missing': 'x', '$.data[': 1,
    } }))).toEqual([
      "$.data.status equals 'held', got 'delivery_pending'",
      "$.data.receivingParticipantIds contains 'LNSPSOUTH', got [\"LNSPNORTH\"]",
      '$.data.count > 3, got 3',
      "$.data.missing equals 'x', got nothing at that path",
      expect.stringMatching(/^JSONPath \$\.data\[ is not valid/),
    ]);
  });

  it('count: of $.data, of a filter, with bounds', () => {
    expect(failures(evaluate(listed, { count: 3 }))).toEqual([]);
    expect(failures(evaluate(listed, { count: { path: "$.data[?@.priority=='h']", equals: 2 } }))).toEqual([]);
    expect(failures(evaluate(listed, { count: { gte: 4 } }))).toEqual(['count of $.data ≥ 4, got 3']);
    expect(failures(evaluate(listed, { count: 0 }))).toEqual(['count of $.data = 0, got 3']);
  });

  it('header: case-insensitive, numbers match text', () => {
    expect(failures(evaluate(submitted, { header: { 'X-TraceId': { exists: true }, 'Content-Type': { matches: 'json' } } }))).toEqual([]);
    expect(failures(evaluate(submitted, { header: { 'retry-after': 60 } }))).toEqual(['header retry-after equals 60, got nothing']);
  });

  it('captures by JSONPath and header; a capture that finds nothing says where it looked', () => {
    expect(capture(submitted, { id: '$.data.messageContextId', trace: 'header:X-TraceId', all: '$.data.receivingParticipantIds[*]' }))
      .toEqual({ id: 'pqd~bpqd~l~mdpone~u1', trace: 'abc123', all: 'LNSPNORTH' });
    expect(() => capture(submitted, { x: '$.data.nope' })).toThrow(/^capture x: nothing at \$\.data\.nope in /);
    expect(() => capture(submitted, { x: 'header:retry-after' })).toThrow('capture x: the answer has no header retry-after');
  });
});

describe('variables', () => {
  const scope = (values: Record<string, unknown>): VariableScope => ({
    values: new Map(Object.entries(values)),
    builtin: (name) => (name === 'today' ? '2026-07-02' : /^today([+-]\d+)$/.test(name) ? addDays('2026-07-02', Number(name.slice(5))) : undefined),
  });

  it('substitutes in nested values, keeps the type of a whole reference, reads properties of captured objects', () => {
    const s = scope({ n: 3, mcid: 'abc', obj: { a: { b: 'deep' } } });
    expect(substitute({ count: '${n}', path: '/x/${mcid}/${n}', list: ['${today}', '${today-1}', '${today+30}'], deep: '${obj.a.b}' }, s))
      .toEqual({ count: 3, path: '/x/abc/3', list: ['2026-07-02', '2026-07-01', '2026-08-01'], deep: 'deep' });
  });

  it('an undefined variable is an error naming the ones defined', () => {
    expect(() => substitute('${nope}', scope({ a: 1, b: 2 }))).toThrow(new VariableError('${nope} is not defined (defined: a, b)'));
  });

  it('parses ISO 8601 durations and refuses others', () => {
    expect(parseIsoDuration('PT10M')).toBe(600_000);
    expect(parseIsoDuration('P1DT1H30M0.5S')).toBe(86_400_000 + 5_400_000 + 500);
    expect(parseIsoDuration('P1W')).toBe(7 * 86_400_000);
    for (const bad of ['10m', 'P', 'PT', 'P1H']) expect(() => parseIsoDuration(bad)).toThrow(/not an ISO 8601 duration/);
  });
});

describe('redaction', () => {
  it('hides Authorization, client_secret, access_token and the admin key; cuts long header values', () => {
    expect(redactHeaders({ Authorization: 'Bearer eyJabc', 'x-signature': `RSA-SHA256;${'A'.repeat(2000)}`, accept: 'application/json' })).toEqual({
      Authorization: 'Bearer [redacted]', 'x-signature': expect.stringMatching(/^RSA-SHA256;A+… \(2011 characters\)$/), accept: 'application/json',
    });
    expect(redactBody('grant_type=client_credentials&client_secret=mdpone-secret&scope=X')).toBe('grant_type=client_credentials&client_secret=[redacted]&scope=X');
    expect(redactBody('{"access_token":"eyJ.x.y","adminKey":"k","token_type":"Bearer"}')).toBe('{"access_token":"[redacted]","adminKey":"[redacted]","token_type":"Bearer"}');
  });
});
