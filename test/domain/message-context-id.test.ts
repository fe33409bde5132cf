import { describe, expect, it } from 'vitest';
import { formatMessageContextId, parseMessageContextId } from '../../src/domain/message-context-id.js';

describe('messageContextId grammar (spec §3)', () => {
  it("parses AEMO's example", () => {
    const r = parseMessageContextId('pqd~bpqd~m~mdpid~20250819235520790a');
    expect(r).toEqual({
      ok: true,
      value: {
        raw: 'pqd~bpqd~m~mdpid~20250819235520790a', key: 'pqd~bpqd~m~mdpid~20250819235520790a',
        businessFunctionId: 'pqd', businessFunctionResourceId: 'bpqd', priority: 'm', participantId: 'MDPID', uniqueId: '20250819235520790a',
      },
    });
  });

  it('accepts an upper-case participant part and compares it case-insensitively', () => {
    const r = parseMessageContextId('pqd~bpqd~l~MDPONE~abc');
    expect(r.ok && r.value.participantId).toBe('MDPONE');
    expect(r.ok && r.value.key).toBe('pqd~bpqd~l~mdpone~abc');
  });

  it('accepts a UUID as the unique id (36 characters)', () => {
    expect(parseMessageContextId('pqd~bpqd~h~acmemc~550e8400-e29b-41d4-a716-446655440000').ok).toBe(true);
  });

  it.each([
    ['pqd~bpqd~l~mdpone', /expected 5 parts/],
    ['pqd~bpqd~l~mdpone~a~b', /found 6/],
    ['pqdx1~bpqd~l~mdpone~a', /part 1 \(businessFunctionId\)/],
    ['pqd~bpqd12345~l~mdpone~a', /part 2 \(businessFunctionResourceId\)/],
    ['pqd~bpqd~x~mdpone~a', /part 3 \(priority\)/],
    ['pqd~bpqd~L~mdpone~a', /part 3 \(priority\)/],
    ['pqd~bpqd~l~mdponeisfartoolong~a', /part 4 \(initiatingParticipantId\)/],
    ['pqd~bpqd~l~mdp_one~a', /part 4/],
    ['pqd~bpqd~l~mdpone~ABC', /part 5 \(uniqueId\)/],
    ['pqd~bpqd~l~mdpone~' + 'a'.repeat(37), /part 5/],
    ['pqd~bpqd~l~mdpone~', /part 5/],
  ])('refuses %s and says which part is wrong', (raw, reason) => {
    const r = parseMessageContextId(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('formats with a lower-case participant part, round-tripping through the parser', () => {
    const raw = formatMessageContextId({ businessFunctionId: 'pqd', businessFunctionResourceId: 'bpqd', priority: 'l', participantId: 'ACMEMC', uniqueId: 'x-1' });
    expect(raw).toBe('pqd~bpqd~l~acmemc~x-1');
    expect(parseMessageContextId(raw).ok).toBe(true);
  });
});
