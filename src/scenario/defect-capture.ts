/**
 * A defect record from a trace id (issue #11, `idx-sim defect capture <traceId>`): everything the hub
 * knows about that exchange, bundled with the test plan's fields (seed 000 §4.7.1) — the journal entry
 * (request and answer), the RFC 9457 problem body, the transaction-log rows of its trace id or
 * messageContextId, the effective settings and the simulated clock.
 *
 * Transport-free: the caller supplies how to read the control API and the participant's transaction log
 * (the CLI over HTTPS; tests through app.inject).
 */
import type { components } from '../contract/types/sim-admin.js';
import { formatMarketDateTime } from '../domain/market-time.js';
import { classifyFailure, deriveSeverity, derivePriority, problemOf } from './defects.js';
import type { DefectRecord, Exchange, StepResult } from './result-model.js';

export interface HubEvidenceSource {
  /** GET `/sim/v1<path>` with the admin key; the parsed JSON answer (throws on a refusal). */
  control(path: string): Promise<unknown>;
  /** GET `/translog/v1/messages?<query>` as the participant; its records (throws when it cannot). */
  translog(participantId: string, query: Record<string, string>): Promise<Array<Record<string, unknown>>>;
}

/** A journal entry as GET /sim/v1/journal answers it: the contract's type (openapi/sim-admin.yaml JournalEntry). */
export type JournalEntryView = components['schemas']['JournalEntry'];

export class CaptureError extends Error {}

/** The result model's excerpt limits: 2 KB of request, 4 KB of response (src/scenario/result-model.ts). */
const REQUEST_EXCERPT = 2048;
const RESPONSE_EXCERPT = 4096;

function excerpt(body: JournalEntryView['request'], limit: number): string | undefined {
  if (!body) return undefined;
  if (body.encoding === 'base64') return `<${body.bytes} bytes${Buffer.from(body.body, 'base64').subarray(0, 2).equals(Buffer.from([0x1f, 0x8b])) ? ' gzip' : ''}>`;
  const text = body.body.length > limit ? body.body.slice(0, limit) : body.body;
  return body.truncated || text.length < body.body.length ? `${text}…` : text;
}

export function exchangeFromJournal(entry: JournalEntryView): Exchange {
  const requestBody = excerpt(entry.request, REQUEST_EXCERPT);
  const responseBody = excerpt(entry.response, RESPONSE_EXCERPT);
  const problem = responseBody?.startsWith('{') && entry.status >= 400;
  return {
    method: entry.method,
    url: entry.query ? `${entry.path}?${entry.query}` : entry.path,
    // The journal keeps bodies, not headers; what identifies the caller is kept here.
    requestHeaders: entry.participantId ? { 'x-initiatingParticipantId': entry.participantId } : {},
    ...(requestBody === undefined ? {} : { requestBody }),
    status: entry.status,
    responseHeaders: { 'x-traceId': entry.traceId, ...(problem ? { 'content-type': 'application/problem+json' } : {}) },
    ...(responseBody === undefined ? {} : { responseBody }),
    traceId: entry.traceId,
    durationMs: entry.durationMs,
  };
}

export interface CaptureOptions {
  detectedBy: string;
  /** Wall-clock time of the capture (ISO 8601). */
  detectedAt: string;
  title?: string;
  description?: string;
  scenarioId?: string;
  severity?: DefectRecord['severity'];
  priority?: DefectRecord['priority'];
}

/** Records of the trace id, or of the exchange's messageContextId, as its participant sees them. */
async function translogRows(source: HubEvidenceSource, entry: JournalEntryView): Promise<{ rows?: Array<Record<string, unknown>>; note?: string }> {
  if (!entry.participantId) return { note: 'no participant identified: no transaction log to read' };
  try {
    const query: Record<string, string> = entry.messageContextId
      ? { messageContextId: entry.messageContextId, itemCount: '100' }
      // A refusal without a messageContextId: its record is the one with the trace id, received within a second of the entry.
      : { startDateTime: formatMarketDateTime(Date.parse(entry.at) - 1000), endDateTime: formatMarketDateTime(Date.parse(entry.at) + 1000), itemCount: '500' };
    const records = await source.translog(entry.participantId, query);
    const rows = records.filter((r) => r.traceId === entry.traceId
      || (entry.messageContextId !== null && String(r.messageContextId ?? '').toLowerCase() === entry.messageContextId.toLowerCase()));
    return { rows };
  } catch (err) {
    return { note: `transaction log of ${entry.participantId} not read: ${(err as Error).message}` };
  }
}

export async function captureDefect(traceId: string, source: HubEvidenceSource, options: CaptureOptions): Promise<DefectRecord> {
  const page = await source.control(`/journal?traceId=${encodeURIComponent(traceId)}&itemCount=100`) as { data: JournalEntryView[] };
  if (page.data.length === 0) {
    throw new CaptureError(`the hub's journal has no exchange with trace id ${traceId} (it keeps the last IDX_SIM_JOURNAL_MAX_ENTRIES exchanges; was the hub reset?)`);
  }
  // One trace id is one exchange; should a fault rule have replayed it, the last answer is the evidence.
  const entry = page.data[page.data.length - 1]!;
  const clock = await source.control('/clock') as { now: string };
  let settings: Record<string, string> | undefined;
  try {
    settings = (await source.control('/settings') as { settings: Record<string, string> }).settings;
  } catch {
    settings = undefined; // a hub older than GET /sim/v1/settings: the record says so below
  }
  const translog = await translogRows(source, entry);
  const exchange = exchangeFromJournal(entry);
  const problem = problemOf(exchange);
  const step: StepResult = {
    index: 1, phase: 'steps', name: 'captured', action: 'capture', outcome: 'failed', durationMs: entry.durationMs,
    exchanges: [exchange], assertions: [],
  };
  const kind = classifyFailure(step);
  const detail = typeof problem?.detail === 'string' ? problem.detail : undefined;
  const who = entry.participantId ?? 'an unidentified caller';
  const summaryLine = `${entry.method} ${exchange.url} by ${who} -> ${entry.status}${entry.code ? ` ${entry.code}` : ''}`;
  const description = [
    ...(options.description ? [options.description, ''] : []),
    `${summaryLine} at ${entry.at} (simulated)${entry.operationId ? `, operation ${entry.operationId}` : ''}${entry.faultRuleId !== null ? `, changed by fault rule ${entry.faultRuleId}` : ''}.`,
    ...(detail ? [`Problem: ${detail}`] : []),
    ...(entry.messageContextId ? [`messageContextId: ${entry.messageContextId}`] : []),
    `Transaction log: ${translog.rows ? `${translog.rows.length} row(s)` : translog.note}.`,
    ...(settings ? [] : ['Settings: not available from this hub (no GET /sim/v1/settings).']),
    `Captured by idx-sim defect capture ${traceId}; simulated clock at capture ${clock.now}.`,
  ].join('\n');
  return {
    id: `DEF-${traceId}`,
    title: (options.title ?? `${summaryLine}${detail ? `: ${detail}` : ''}`).replace(/\s+/g, ' ').slice(0, 140),
    description,
    ...(options.scenarioId ? { scenarioId: options.scenarioId } : {}),
    traceId,
    detectedBy: options.detectedBy,
    detectedAt: options.detectedAt,
    severity: options.severity ?? deriveSeverity(kind, 'medium'),
    priority: options.priority ?? derivePriority(kind, 'medium'),
    status: 'open',
    evidence: {
      request: exchange,
      ...(problem ? { problem } : {}),
      ...(translog.rows ? { translogRows: translog.rows } : {}),
      ...(settings ? { settings } : {}),
      simulatedClock: entry.at,
    },
  };
}
