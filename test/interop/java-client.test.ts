/**
 * A participant's own Java system (JDK 17 standard library only: java.net.http's HttpClient and WebSocket,
 * JSSE for mutual TLS, a PKCS #8 key read with KeyFactory) against the hub over real TLS: tokens with HTTP
 * Basic, a gzip submission signed by OpenSSL's CMS, MESSAGE_AVAILABLE on the event WebSocket, list, fetch,
 * delete, and a problem+json 404 after it (examples/java-client/IdxRoundTrip.java). Interop with a TLS stack,
 * HTTP client and WebSocket client that are not Node's.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { useE2eServer } from '../helpers/e2e.js';
import { hubLog, roundTripPayload } from './round-trip.js';

const run = promisify(execFile);
const e2e = useE2eServer('java-client');

describe('a JDK-only Java participant system', () => {
  it('sends as MDPONE and receives as LNSPNORTH: token, signed gzip POST, MESSAGE_AVAILABLE, list, fetch the same bytes, delete, 404', async () => {
    const file = roundTripPayload(e2e, 'java-client');

    const { stdout } = await run('java', [join(PROJECT_ROOT, 'examples/java-client/IdxRoundTrip.java'),
      '--url', e2e.server.url, '--certs', join(e2e.dir, 'certs'), '--payload', file, '--sender', 'MDPONE', '--recipient', 'LNSPNORTH'],
    { timeout: 90_000 });
    const seen = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(seen).toMatchObject({
      failures: [], tokens: 2, post: 200, messageAvailable: true, list: 200, get: 200, sameBytes: true, signed: true, delete: 204, getAfterDelete: 404,
    });

    // The hub's transaction log tells the same story: delivered, retrieved, removed, then the refused fetch.
    expect(hubLog(e2e, seen.messageContextId)).toEqual(['delivery_pending', 'completed RETRIEVED', 'removed DELETED', 'message_rejected IDX_ERR_MESSAGE_NOT_FOUND']);
  });
});
