/**
 * The BPQD payload: header and transactions as published (spec §5.1), NMI detail as proposed in §5.2.
 * The JSON schema lives in openapi/pqd.yaml (components.schemas.BpqdPayload); these types mirror it.
 */
import type { PriorityWord } from './message-context-id.js';

export interface Measurement {
  avg: number;
  min?: number;
  max?: number;
  uom: string;
}

export interface PhaseReading {
  phase: 'A' | 'B' | 'C';
  voltage: Measurement;
  current: Measurement;
  phaseAngle: Measurement;
  qualityFlag?: string;
}

export interface Interval {
  intervalStartDateTime: string;
  intervalEndDateTime: string;
  readings: PhaseReading[];
}

export interface Meter {
  meterSerialNumber: string;
  intervalLength: number;
  phases: Array<'A' | 'B' | 'C'>;
  intervals: Interval[];
}

export interface NmiDetail {
  nmi: string;
  nmiChecksum: string;
  meters: Meter[];
}

export interface BpqdTransaction {
  transactionId: string;
  transactionType: 'BasicPowerQualityData';
  transactionDateTime: string;
  nmiDetails: NmiDetail[];
}

export interface BpqdHeader {
  initiatingParticipantId: string;
  receivingParticipantId: string[];
  messageId: string;
  messageDateTime: string;
  businessFunctionId: string;
  businessFunctionResourceId: string;
  priority: PriorityWord;
  market: string;
}

export interface BpqdPayload {
  data: {
    header: BpqdHeader;
    transactions: BpqdTransaction[];
  };
}
