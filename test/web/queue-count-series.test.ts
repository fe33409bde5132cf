/** The Flow Control chart's count series (src/services/queue-count-series.ts): a point per change, bounded. */
import { describe, expect, it } from 'vitest';
import { AdjustableClock } from '../../src/domain/clock.js';
import { QueueCountSeries } from '../../src/services/queue-count-series.js';
import type { FlowControlRow } from '../../src/store/flow-control-store.js';

const row = (messageCount: number, extra: Partial<FlowControlRow> = {}): FlowControlRow => ({
  participantId: 'LNSPNORTH', businessFunctionId: 'pqd', messageStatus: 'Normal', outboundDelivery: 'Started', messageCount, heldCount: 0, messageBreachedAt: null, updatedAt: 0, ...extra,
});

describe('QueueCountSeries', () => {
  it('adds a point only when the count, held count, status or delivery changed, stamped with the simulated clock, and tells its listeners', () => {
    const clock = new AdjustableClock();
    clock.freeze(1000);
    const series = new QueueCountSeries(clock, 10);
    const heard: number[] = [];
    const stop = series.onChange((_p, _bf, s) => heard.push(s.messageCount));
    series.record(row(1));
    series.record(row(1));
    clock.freeze(2000);
    series.record(row(1, { outboundDelivery: 'Stopped' }));
    series.record(row(2, { outboundDelivery: 'Stopped' }));
    stop();
    series.record(row(3, { outboundDelivery: 'Stopped' }));
    expect(series.samples('LNSPNORTH', 'pqd').map((s) => [s.at, s.messageCount, s.outboundDelivery])).toEqual([
      [1000, 1, 'Started'], [2000, 1, 'Stopped'], [2000, 2, 'Stopped'], [2000, 3, 'Stopped']]);
    expect(heard).toEqual([1, 1, 2]);
    expect(series.samples('LNSPSOUTH', 'pqd')).toEqual([]);
  });

  it('keeps at most its bound per queue, dropping the oldest, and forgets everything on clear', () => {
    const clock = new AdjustableClock();
    const series = new QueueCountSeries(clock, 3);
    for (let n = 1; n <= 5; n++) series.record(row(n));
    expect(series.samples('LNSPNORTH', 'pqd').map((s) => s.messageCount)).toEqual([3, 4, 5]);
    // Past the point where the oldest are dropped in bulk: still the newest three, in order.
    for (let n = 6; n <= 13; n++) series.record(row(n));
    expect(series.samples('LNSPNORTH', 'pqd').map((s) => s.messageCount)).toEqual([11, 12, 13]);
    series.clear();
    expect(series.samples('LNSPNORTH', 'pqd')).toEqual([]);
  });
});
