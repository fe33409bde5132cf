/**
 * What the interop files share: the payload a client in another language sends, and the hub's side of the
 * story it tells (its transaction log for the message), to compare with what the client saw.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateBpqdPayload } from '../../src/domain/bpqd-generator.js';
import { createRandom } from '../../src/domain/random.js';
import type { E2e } from '../helpers/e2e.js';

/** Writes a 12-interval BPQD payload from MDPONE to LNSPNORTH into the server's folder; returns its path. */
export function roundTripPayload(e2e: E2e, seed: string): string {
  const payload = generateBpqdPayload(createRandom(seed), {
    sender: 'MDPONE', recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 12,
  });
  const file = join(e2e.dir, 'payload.json');
  writeFileSync(file, JSON.stringify(payload));
  return file;
}

/** The hub's transaction log for a messageContextId, oldest first, as "status CODE" lines. */
export function hubLog(e2e: E2e, messageContextId: string): string[] {
  return e2e.server.ctx.db.prepare('SELECT status, reason_code AS code FROM transaction_log WHERE message_context_id = ? ORDER BY id')
    .all(messageContextId).map((r) => { const { status, code } = r as { status: string; code: string | null }; return `${status} ${code ?? ''}`.trim(); });
}
