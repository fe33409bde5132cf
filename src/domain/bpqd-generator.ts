/**
 * Builds plausible BPQD payloads (spec §5.1, §5.2 [D]) from a seedable random source: the same seed gives
 * the same payload. Used by the CLI, the tests, the benchmark and testers' scenarios.
 */
import type { BpqdPayload, Interval, NmiDetail, PhaseReading } from './bpqd-payload.js';
import { formatMarketDateTime } from './market-time.js';
import { PRIORITY_WORD, type PriorityLetter } from './message-context-id.js';
import { nmiChecksum } from './nmi.js';
import type { Random } from './random.js';

export interface GenerateOptions {
  sender: string;
  recipients: string[];
  nmis: string[];
  /** Market date of the first interval, `YYYY-MM-DD`. */
  date: string;
  /** Minutes; 5 by default (spec §12 [D]). */
  intervalLength?: number;
  /** How many intervals per meter from market midnight; a whole day by default. */
  intervalCount?: number;
  priority?: PriorityLetter;
  phases?: Array<'A' | 'B' | 'C'>;
  /** Message date-time; defaults to the end of the BPQD period. */
  messageDateTime?: string;
}

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

function marketMidnight(date: string): number {
  return Date.parse(`${date}T00:00:00.000+10:00`);
}

export function generateBpqdPayload(random: Random, options: GenerateOptions): BpqdPayload {
  const intervalLength = options.intervalLength ?? 5;
  const intervalCount = options.intervalCount ?? (24 * 60) / intervalLength;
  const phases = options.phases ?? ['A', 'B', 'C'];
  const start = marketMidnight(options.date);
  const messageDateTime = options.messageDateTime ?? formatMarketDateTime(start + 86_400_000 + 3_600_000);

  const reading = (phase: 'A' | 'B' | 'C'): PhaseReading => {
    const v = 230 + random.next() * 16; // LV nominal 230 V +10%/-6% (AS 60038)
    const a = 0.5 + random.next() * 20;
    return {
      phase,
      voltage: { avg: round(v, 1), min: round(v - random.next() * 2, 1), max: round(v + random.next() * 2, 1), uom: 'V' },
      current: { avg: round(a, 2), min: round(a * 0.9, 2), max: round(a * 1.1, 2), uom: 'A' },
      phaseAngle: { avg: round(random.next() * 40 - 10, 1), uom: 'deg' },
      qualityFlag: 'A',
    };
  };

  const detail = (nmi: string, i: number): NmiDetail => ({
    nmi,
    nmiChecksum: String(nmiChecksum(nmi)),
    meters: [{
      meterSerialNumber: `M${String(100000 + i)}`,
      intervalLength,
      phases,
      intervals: Array.from({ length: intervalCount }, (_, k): Interval => ({
        intervalStartDateTime: formatMarketDateTime(start + k * intervalLength * 60_000),
        intervalEndDateTime: formatMarketDateTime(start + (k + 1) * intervalLength * 60_000),
        readings: phases.map(reading),
      })),
    }],
  });

  return {
    data: {
      header: {
        initiatingParticipantId: options.sender,
        receivingParticipantId: options.recipients,
        messageId: random.uuid(),
        messageDateTime,
        businessFunctionId: 'pqd',
        businessFunctionResourceId: 'bpqd',
        priority: PRIORITY_WORD[options.priority ?? 'l'],
        market: 'NEM',
      },
      transactions: [{
        transactionId: `TXN-${options.date.replace(/-/g, '')}-${random.hex(4)}`,
        transactionType: 'BasicPowerQualityData',
        transactionDateTime: messageDateTime,
        nmiDetails: options.nmis.map(detail),
      }],
    },
  };
}
