import { describe, expect, it } from 'vitest';
import {
  businessFunctionCatalogue, businessFunctionsOf, findBusinessFunction, PUBLISHED_PQD_PRIORITY_LIMITS, summaryOf,
} from '../../src/domain/business-functions.js';
import { IdxError } from '../../src/domain/errors.js';
import { MESSAGE_CONTEXT_ID_PATTERN, parseMessageContextId } from '../../src/domain/message-context-id.js';

const MB = 1_000_000;
const watermarks = { low: 400, warn: 800, high: 1000 };
const settings = { schemaVersions: ['1.0.0'], maxPayloadBytes: 10 * MB, archiveRetentionDays: 90, deletePermission: 'R' as const, watermarks };

describe('the business function catalogue', () => {
  it('describes the hub as configured: schema versions, archive retention, payload limit, delete permission', () => {
    const [pqd] = businessFunctionCatalogue({ schemaVersions: ['1.0.0', '1.1.0'], maxPayloadBytes: 2 * MB, archiveRetentionDays: 30, deletePermission: 'D', watermarks, queueRetentionDays: 7 });
    const bpqd = pqd!.resources[0]!;
    expect(bpqd.schemaVersions).toEqual({ supported: ['1.0.0', '1.1.0'], default: '1.1.0' });
    expect(bpqd.maxPayloadBytes).toBe(2 * MB);
    expect(bpqd.operations.find((o) => o.method === 'DELETE')!.permission).toBe('D');
    expect(pqd!.retention).toEqual({ queueDays: 7, queueDayBasis: 'calendar', archiveDays: 30 });
    expect(pqd!.limits.watermarks).toEqual(watermarks);
    // A priority's size cap never exceeds the hub's payload limit.
    expect(pqd!.limits.priorities.map((p) => p.maxMessageBytes)).toEqual([1 * MB, 2 * MB, 2 * MB]);
  });

  it('quotes the published per-priority limits (spec §8) unless configured otherwise', () => {
    expect(PUBLISHED_PQD_PRIORITY_LIMITS.map((l) => [l.priorityName, l.maxMessageBytes / MB, l.dailyMessageQuota]))
      .toEqual([['High', 1, 180_000], ['Medium', 5, 35_000], ['Low', 10, 18_000]]);
    const custom = [{ priority: 'l' as const, priorityName: 'Low' as const, maxMessageBytes: MB, dailyMessageQuota: 5 }];
    const [pqd] = businessFunctionCatalogue({ ...settings, priorityLimits: custom, requestsPerMinutePerEndpoint: 1000 });
    expect(pqd!.limits).toMatchObject({ requestsPerMinutePerEndpoint: 1000, priorities: custom });
  });

  it('publishes the messageContextId grammar the PQD API enforces', () => {
    const { identifiers } = businessFunctionCatalogue(settings)[0]!;
    expect(identifiers.messageContextId.pattern).toBe(MESSAGE_CONTEXT_ID_PATTERN);
    for (const id of ['pqd~bpqd~l~mdpone~20260702a', 'pqd~bpqd~h~MDPONE~x', 'pqd~bpqd~l~mdpone~a~b', 'pqd~bpqd~q~mdpone~a', 'pqd~bpqd~l~mdpone~UPPER']) {
      expect(new RegExp(MESSAGE_CONTEXT_ID_PATTERN).test(id), id).toBe(parseMessageContextId(id).ok);
    }
  });

  it('summarises without resources or details', () => {
    const summary = summaryOf(businessFunctionCatalogue(settings)[0]!);
    expect(Object.keys(summary).sort()).toEqual(['apiVersion', 'basePath', 'businessFunctionId', 'businessFunctionName', 'description', 'market']);
  });

  it('finds by id within a market, and says what exists otherwise', () => {
    const catalogue = businessFunctionCatalogue(settings);
    expect(businessFunctionsOf(catalogue, 'NEM').map((bf) => bf.businessFunctionId)).toEqual(['pqd']);
    expect(businessFunctionsOf(catalogue, 'WAGAS')).toEqual([]);
    expect(findBusinessFunction(catalogue, 'pqd', 'NEM').businessFunctionId).toBe('pqd');
    expect(() => findBusinessFunction(catalogue, 'mtrd', 'NEM')).toThrowError(IdxError);
    expect(() => findBusinessFunction(catalogue, 'mtrd', 'NEM')).toThrowError(/no business function "mtrd" on this hub; NEM has: pqd/);
    expect(() => findBusinessFunction(catalogue, 'pqd', 'WAGAS')).toThrowError(/pqd is a NEM business function, and x-market is WAGAS/);
    expect(() => findBusinessFunction(catalogue, 'pqd', 'WAGAS')).toThrowError(expect.objectContaining({ code: 'IDX_ERR_BUSINESS_FUNCTION_NOT_FOUND' }));
  });
});
