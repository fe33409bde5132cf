/**
 * A participant's own Python system (standard library only: http.client over ssl for mutual TLS, a WebSocket
 * client written to RFC 6455 over an ssl socket, csv, OpenSSL's CMS for signing and verifying) against the
 * hub over real TLS: tokens with HTTP Basic, a gzip submission, a repeated messageContextId refused as
 * problem+json, MESSAGE_AVAILABLE, list, fetch, delete, 404, the outbound archive's copy whose hub signature
 * OpenSSL verifies, and the sender's transaction log and CSV export (examples/python-client/idx_round_trip.py).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { useE2eServer } from '../helpers/e2e.js';
import { hubLog, roundTripPayload } from './round-trip.js';

const run = promisify(execFile);
const e2e = useE2eServer('python-client');

describe('a standard-library Python participant system', () => {
  it('sends as MDPONE and receives as LNSPNORTH, then both check: 409 problem, events, queue, archive signature, translog and CSV', async () => {
    const file = roundTripPayload(e2e, 'python-client');

    const result = await run('python3', [join(PROJECT_ROOT, 'examples/python-client/idx_round_trip.py'),
      '--url', e2e.server.url, '--certs', join(e2e.dir, 'certs'), '--payload', file, '--sender', 'MDPONE', '--recipient', 'LNSPNORTH'],
    { timeout: 90_000 }).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }));
    const last = result.stdout.trim().split('\n').pop();
    expect(last, result.stderr).toBeTruthy();
    const seen = JSON.parse(last!);
    expect(seen).toMatchObject({
      failures: [], tokens: 2, post: 200, duplicate: 409, duplicateCode: 'IDX_ERR_DUPLICATE_MESSAGE', messageAvailable: true, list: 200,
      get: 200, sameBytes: true, delete: 204, getAfterDelete: 404, archive: 200, hubSignatureVerified: true, translog: ['removed'], csvRows: 1,
    });

    // The hub's transaction log tells the same story, the refused repeat included.
    expect(hubLog(e2e, seen.messageContextId)).toEqual(['delivery_pending', 'message_rejected IDX_ERR_DUPLICATE_MESSAGE', 'completed RETRIEVED', 'removed DELETED',
      'message_rejected IDX_ERR_MESSAGE_NOT_FOUND']);
  });
});
