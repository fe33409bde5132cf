import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { signerFor, useHarness } from '../helpers/harness.js';

interface Entry { file: string; sender: string; priority: 'h' | 'm' | 'l'; expect: { status: number; code?: string; recipients?: string[] }; about: string }
const dir = join(PROJECT_ROOT, 'fixtures', 'payloads');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { payloads: Entry[] };

describe('the sample payloads in fixtures/payloads do what manifest.json says', () => {
  const h = useHarness();

  // As a participant sends a file: the file's bytes gzipped, signed over those bytes as `idx-sim sign` signs them.
  it.each(manifest.payloads.map((e) => [e.file, e] as const))('%s', async (_file, entry) => {
    const json = readFileSync(join(dir, entry.file));
    const res = await h().submit(entry.sender, gzipSync(json), {
      'x-messageContextId': `pqd~bpqd~${entry.priority}~${entry.sender.toLowerCase()}~sample-1`,
      'x-signature': signerFor(entry.sender).sign(json),
    });
    expect(res.statusCode, res.body).toBe(entry.expect.status);
    if (entry.expect.code) expect(res.json().code).toBe(entry.expect.code);
    if (entry.expect.recipients) expect(res.json().data.receivingParticipantIds).toEqual(entry.expect.recipients);
  });
});
