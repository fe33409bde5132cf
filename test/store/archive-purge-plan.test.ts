/**
 * The archive's purge (every 30 s and on every clock move, on the event loop) costs what it purges, not what
 * was ever accepted (issue #13; migration 15): its statements find payloads still stored through the partial
 * index messages_unpurged_by_received instead of scanning `messages`, and when nothing is old enough neither
 * the purge nor the journal's copy of referred-to bytes (beforePurge) runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveStore, PURGE_SQL } from '../../src/store/archive-store.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { openTestDatabase, testBackend } from '../helpers/database.js';

const DAY = 86_400_000;

function addMessage(db: Db, n: number, receivedAt: number, queued: boolean): void {
  const { id: pk } = db.prepare(`INSERT INTO messages (message_id, message_context_id, context_key, sender_id, business_function_id, resource_id, priority,
      message_date_time, received_at, size_bytes, gzip_size_bytes, schema_version, transaction_count, signature, trace_id, payload_gzip)
    VALUES (?, ?, ?, 'MDPONE', 'pqd', 'bpqd', 'l', '2026-07-02T01:00:00.000+10:00', ?, 3, 3, '1.0.0', 1, NULL, 't', x'1f8b08') RETURNING id`)
    .get(`MSG-${n}`, `pqd~bpqd~l~mdpone~m-${n}`, `pqd~bpqd~l~mdpone~m-${n}`, receivedAt) as { id: number };
  if (queued) {
    db.prepare(`INSERT INTO queue_items (message_pk, recipient_id, business_function_id, enqueued_at, state, delivery_seq) VALUES (?, 'LNSPNORTH', 'pqd', ?, 'delivered', ?)`)
      .run(pk, receivedAt, n);
  }
}

const stored = (db: Db) => (db.prepare('SELECT count(*) AS n FROM messages WHERE length(payload_gzip) > 0').get() as { n: number }).n;

describe('the archive purge', () => {
  let db: Db | undefined;
  afterEach(() => db?.close());

  it('runs the journal copy and empties payloads only when something is past the retention and out of every queue', () => {
    db = openTestDatabase();
    const calls: number[] = [];
    const archive = new ArchiveStore(db, (olderThan) => calls.push(olderThan));
    addMessage(db, 1, 100 * DAY, false);
    addMessage(db, 2, 10 * DAY, true); // old but still queued: kept
    addMessage(db, 3, 5 * DAY, false); // old and out of the queue: purged
    expect(archive.purge(1 * DAY)).toBe(0);
    expect(calls).toEqual([]);
    expect(archive.purge(20 * DAY)).toBe(1);
    expect(calls).toEqual([20 * DAY]);
    expect(stored(db)).toBe(2);
    // Emptied payloads are not found again: nothing more to copy or purge at the same cut-off.
    expect(archive.purge(20 * DAY)).toBe(0);
    expect(calls).toEqual([20 * DAY]);
  });

  it.skipIf(testBackend() === 'postgres')('finds payloads through the partial index, never by scanning messages (SQLite only: EXPLAIN QUERY PLAN)', () => {
    db = openDatabase({ path: ':memory:' });
    for (let n = 1; n <= 2000; n++) addMessage(db, n, n * 1000, n % 10 === 0);
    for (const stats of ['without statistics', 'after ANALYZE'] as const) {
      if (stats === 'after ANALYZE') db.exec('ANALYZE');
      for (const [name, sql] of Object.entries(PURGE_SQL)) {
        const steps = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(0) as Array<{ detail: string }>).map((r) => r.detail);
        // (Each candidate's NOT EXISTS probe of the queue walks its (recipient_id, message_pk) index: a cost per
        // message old enough to purge, not per message stored.)
        expect(steps.filter((s) => /^SCAN messages\b/.test(s)), `${name} ${stats}: ${steps.join(' | ')}`).toEqual([]);
        expect(steps.join('\n'), `${name} ${stats}`).toMatch(/SEARCH messages USING INDEX messages_unpurged_by_received \(received_at<\?\)/);
      }
    }
  });
});
