/**
 * A payload-check worker (src/services/payload-pool.ts): inflates one gzip body, hashes both forms for
 * the signature check, and runs `checkPayload` — the same function the event loop runs for small bodies.
 * Answers with plain data; the uncompressed JSON is transferred back, not copied.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { boundedValidator } from '../contract/bounded-validation.js';
import { Contract } from '../contract/openapi.js';
import { IdxError } from '../domain/errors.js';
import { checkPayload, refusalData } from './payload-check.js';
import type { PayloadTask, WorkerAnswer } from './payload-pool.js';

const { contractDir, payloadDocument } = workerData as { contractDir: string; payloadDocument: unknown };
// The hub hands over pqd.yaml as it bundled it: compiling its payload schema is all this worker needs.
const contract = new Contract(contractDir, new Map([['pqd.yaml', payloadDocument]]));
const validatePayload = boundedValidator(contract.firstErrorValidator('pqd.yaml', '#/components/schemas/BpqdPayload'),
  contract.validator('pqd.yaml', '#/components/schemas/BpqdPayload'));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();

function answer(task: PayloadTask): { answer: WorkerAnswer; transfer: ArrayBuffer[] } {
  const gzip = Buffer.from(task.gzip.buffer, task.gzip.byteOffset, task.gzip.byteLength);
  let json: Buffer;
  try {
    json = gunzipSync(gzip, { maxOutputLength: task.maxOutputLength });
  } catch (err) {
    return { answer: { id: task.id, inflateError: { code: (err as { code?: string }).code, message: (err as Error).message } }, transfer: [] };
  }
  const digests = { json: sha256(json), gzip: sha256(gzip) };
  let outcome: Extract<WorkerAnswer, { jsonLength: number }>['outcome'];
  try {
    outcome = { ok: true, facts: checkPayload(json, task.messageContextId, { validatePayload, allowGaps: task.allowGaps }) };
  } catch (err) {
    outcome = err instanceof IdxError ? { ok: false, refusal: refusalData(err) } : { ok: false, failure: err instanceof Error ? err.stack ?? err.message : String(err) };
  }
  if (!task.returnJson) return { answer: { id: task.id, json: undefined, jsonLength: json.length, digests, outcome }, transfer: [] };
  // The inflated bytes go back without a copy when they fill their own ArrayBuffer (zlib's output does).
  const whole = json.byteOffset === 0 && json.buffer.byteLength === json.length && json.buffer instanceof ArrayBuffer;
  const bytes = whole ? new Uint8Array(json.buffer) : new Uint8Array(json);
  return { answer: { id: task.id, json: bytes, jsonLength: json.length, digests, outcome }, transfer: [bytes.buffer as ArrayBuffer] };
}

parentPort!.on('message', (task: PayloadTask) => {
  const { answer: a, transfer } = answer(task);
  parentPort!.postMessage(a, transfer);
});
