/**
 * The LNSP side's statements (src/store/message-store.ts QUEUE_SQL) never scan a table (issue #13): each
 * plans as an index lookup or range, before and after ANALYZE has gathered statistics of a skewed queue
 * (one participant holding nearly every message, all enqueued at the same instant — what a backlog or a
 * bulk fill leaves), so a list, GET, DELETE, release or expiry sweep costs the same at 10 or 1M queued.
 */
import { describe, expect, it } from 'vitest';
import { testBackend } from '../helpers/database.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { QUEUE_SQL } from '../../src/store/message-store.js';

/** What each statement must use (every step of its plan a SEARCH, and this index among them). */
const EXPECTED: Record<keyof typeof QUEUE_SQL, RegExp> = {
  item: /SEARCH q USING INTEGER PRIMARY KEY/,
  oldestHeld: /SEARCH q USING INDEX queue_items_held/,
  release: /SEARCH queue_items USING INTEGER PRIMARY KEY[\s\S]*SEARCH queue_items USING COVERING INDEX queue_items_by_delivery/,
  page: /SEARCH q USING INDEX queue_items_by_delivery \(recipient_id=\? AND delivery_seq>\?\)/,
  count: /SEARCH q USING INDEX queue_items_by_delivery \(recipient_id=\?\)/,
  queued: /SEARCH m USING INDEX sqlite_autoindex_messages_2 \(sender_id=\? AND context_key=\?\)[\s\S]*SEARCH q USING INDEX sqlite_autoindex_queue_items_1 \(recipient_id=\? AND message_pk=\?\)/,
  queuedItem: /SEARCH m USING INDEX sqlite_autoindex_messages_2 \(sender_id=\? AND context_key=\?\)[\s\S]*SEARCH q USING INDEX sqlite_autoindex_queue_items_1 \(recipient_id=\? AND message_pk=\?\)/,
  markRetrieved: /SEARCH queue_items USING INTEGER PRIMARY KEY/,
  dequeue: /SEARCH queue_items USING INTEGER PRIMARY KEY/,
  oldestEnqueuedAt: /SEARCH queue_items USING COVERING INDEX queue_items_by_enqueued/,
  expired: /SEARCH q USING INDEX queue_items_by_enqueued \(enqueued_at<\?\)/,
  overdue: /SEARCH queue_items USING INDEX queue_items_by_enqueued \(enqueued_at<\?\)/,
};

function plan(db: Db, sql: string): string[] {
  const statement = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const named = [...sql.matchAll(/@(\w+)/g)].map((m) => m[1]!);
  const rows = (named.length
    ? statement.all(Object.fromEntries(named.map((n) => [n, null])))
    : statement.all(...Array<null>((sql.match(/\?/g) ?? []).length).fill(null))) as Array<{ detail: string }>;
  return rows.map((r) => r.detail);
}

/** A skewed backlog: BIG holds nearly everything, all enqueued at one instant; a few held and retrieved items. */
function fill(db: Db): void {
  const message = db.prepare(`INSERT INTO messages (message_id, message_context_id, context_key, sender_id, business_function_id, resource_id, priority,
      message_date_time, received_at, size_bytes, gzip_size_bytes, schema_version, transaction_count, signature, trace_id, payload_gzip)
    VALUES (?, ?, ?, 'MDPONE', 'pqd', 'bpqd', 'l', '2026-07-02T01:00:00.000+10:00', 1, 1, 1, '1.0.0', 1, NULL, 't', x'00')`);
  const item = db.prepare(`INSERT INTO queue_items (message_pk, recipient_id, business_function_id, enqueued_at, state, delivery_seq, retrieved_at)
    VALUES (?, ?, 'pqd', 1000, ?, ?, ?)`);
  db.transaction(() => {
    const seq = new Map<string, number>();
    for (let n = 1; n <= 5000; n++) {
      const recipient = n % 100 === 0 ? 'SMALL' : 'BIG';
      const pk = Number(message.run(`MSG-${n}`, `pqd~bpqd~l~mdpone~m-${n}`, `pqd~bpqd~l~mdpone~m-${n}`).lastInsertRowid);
      const held = n > 4950;
      const s = held ? null : (seq.get(recipient) ?? 0) + 1;
      if (s !== null) seq.set(recipient, s);
      item.run(pk, recipient, held ? 'held' : 'delivered', s, n % 7 === 0 ? 2000 : null);
    }
  })();
}

describe.skipIf(testBackend() === 'postgres')('LNSP-side query plans (issue #13) (SQLite only: EXPLAIN QUERY PLAN)', () => {
  const db = openDatabase({ path: ':memory:' });
  fill(db);

  for (const stats of ['without statistics', 'after ANALYZE of a skewed queue'] as const) {
    it(`no statement scans a table, ${stats}`, () => {
      if (stats !== 'without statistics') db.exec('ANALYZE');
      expect((db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'").get() as { n: number }).n).toBe(stats === 'without statistics' ? 0 : 1);
      for (const [name, sql] of Object.entries(QUEUE_SQL) as Array<[keyof typeof QUEUE_SQL, string]>) {
        const steps = plan(db, sql);
        expect(steps.filter((s) => /^SCAN /.test(s)), `${name}: ${steps.join(' | ')}`).toEqual([]);
        expect(steps.join('\n'), name).toMatch(EXPECTED[name]);
      }
    });
  }
});
