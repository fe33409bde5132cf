/**
 * The checks of a BPQD payload that need only its bytes (spec §5.2, §11): JSON, the contract's schema,
 * NMI checksums, the content rules. One function, run on the event loop for small payloads and in a
 * worker thread for large ones (src/services/payload-pool.ts), so both paths give the same answer; it
 * returns what the rest of the submission needs (`PayloadFacts`) rather than the parsed payload, which
 * would cost as much to copy out of a worker as to parse.
 */
import type { BoundedResult } from '../contract/bounded-validation.js';
import type { BpqdHeader, BpqdPayload } from '../domain/bpqd-payload.js';
import { checkContentRules, checkNmiChecksums, MAX_PROBLEMS_LISTED, routingFacts, type RoutingFacts } from '../domain/bpqd-rules.js';
import { bodyProblem, IdxError, type ErrorCode, type ProblemItem } from '../domain/errors.js';
import { schemaProblems } from '../domain/schema-problems.js';

export interface PayloadFacts {
  header: Pick<BpqdHeader, 'initiatingParticipantId' | 'priority' | 'messageDateTime'>;
  transactionCount: number;
  routing: RoutingFacts;
}

export interface PayloadCheckOptions {
  /** The contract's BpqdPayload schema, bounded for any input (src/contract/bounded-validation.ts). */
  validatePayload: (payload: unknown) => BoundedResult;
  /** IDX_SIM_BPQD_INTERVAL_GAPS=accept. */
  allowGaps: boolean;
}

/** Parses and checks the uncompressed JSON; throws the refusal (IdxError) of the first check that fails. */
export function checkPayload(json: Buffer, messageContextId: string, options: PayloadCheckOptions): PayloadFacts {
  let payload: unknown;
  try {
    payload = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new IdxError('IDX_ERR_JSON_INVALID', `the uncompressed body is not JSON: ${(err as Error).message}`,
      { errors: [bodyProblem('', 'JSON', (err as Error).message)], messageContextId });
  }
  const result = options.validatePayload(payload);
  if (!result.valid) {
    const problems = schemaProblems(result.errors, { root: 'payload', unknownField: 'is not a field of the BPQD schema' });
    throw new IdxError('IDX_ERR_SCHEMA_INVALID', `payload failed schema validation: ${problems[0]?.message ?? 'invalid'}` +
      (problems.length > 1 ? ` (and ${problems.length - 1} more)` : '') +
      (result.clipped ? `; problems were looked for in the first ${result.examinedNodes} values of the payload only` : ''),
      { errors: problems.slice(0, MAX_PROBLEMS_LISTED), messageContextId });
  }
  const valid = payload as BpqdPayload;
  checkNmiChecksums(valid, messageContextId);
  checkContentRules(valid, messageContextId, { allowGaps: options.allowGaps });
  const { initiatingParticipantId, priority, messageDateTime } = valid.data.header;
  return { header: { initiatingParticipantId, priority, messageDateTime }, transactionCount: valid.data.transactions.length, routing: routingFacts(valid) };
}

/** An IdxError as plain data, to cross a thread boundary. */
export interface RefusalData {
  code: ErrorCode;
  detail: string;
  status: number;
  errors: ProblemItem[];
  headers: Record<string, string>;
  messageContextId: string | undefined;
}

export const refusalData = (e: IdxError): RefusalData =>
  ({ code: e.code, detail: e.detail, status: e.status, errors: e.errors, headers: e.headers, messageContextId: e.messageContextId });

export const refusalOf = (d: RefusalData): IdxError =>
  new IdxError(d.code, d.detail, { status: d.status, errors: d.errors, headers: d.headers, messageContextId: d.messageContextId });
