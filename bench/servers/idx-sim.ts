/**
 * idx-sim as the bench suite runs it (bench/suite.ts): a child process, `startServer` on a fresh data
 * directory and the dev PKI in `--dir`, 127.0.0.1 and a free port. Settings: the `ci` profile (quotas
 * relaxed, as in every benchmark), flow-control watermarks raised to 8M/9M/10M so a filled queue of a
 * million messages is plainly delivered (no held messages, no QUEUE_* events in the measured work), and
 * up to 250 event subscribers per participant (the events case opens 200). Everything else is default.
 *
 * `fill` writes straight through the store (MessageStore.insertMessage + enqueue and the flow-control
 * counter, and with `logged` each message's transaction-log row and record) in one SQLite transaction: the
 * queue a backlog would leave, without a million HTTP requests.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../../src/context.js';
import { encodeCursor } from '../../src/domain/cursor.js';
import { parseMessageContextId } from '../../src/domain/message-context-id.js';
import { startServer } from '../../src/server.js';
import type { NewMessage } from '../../src/store/message-store.js';
import { filledContextId, serveParent, submission, type ChildCommand } from '../lib/common.js';

// --database-url: PostgreSQL instead of SQLite (the backends case); --data-subdir: this child's own data
// directory under --dir, when several run side by side.
const { values } = parseArgs({ options: { dir: { type: 'string' }, 'database-url': { type: 'string' }, 'data-subdir': { type: 'string' } }, strict: true });
const dir = values.dir!;

const server = await startServer({
  dataDir: join(dir, values['data-subdir'] ?? 'idx-sim-data'),
  ...(values['database-url'] ? { databaseUrl: values['database-url'] } : {}),
  certsDir: join(dir, 'certs'),
  fixturesDir: join(PROJECT_ROOT, 'fixtures'),
  port: 0,
  host: '127.0.0.1',
  logLevel: 'warn',
  profile: 'ci',
  fcPqdLow: 8_000_000,
  fcPqdWarn: 9_000_000,
  fcPqdHigh: 10_000_000,
  eventSubscribersPerParticipant: 250,
});
const { ctx } = server;

function fill(recipient: string, prefix: string, count: number, signed: boolean, logged: boolean): number {
  const body = submission(join(dir, 'certs'), { intervals: 1, recipient });
  const now = ctx.clock.now();
  ctx.messages.transaction(() => {
    for (let n = 1; n <= count; n++) {
      const raw = filledContextId(prefix, n);
      const context = parseMessageContextId(raw);
      if (!context.ok) throw new Error(`${raw}: ${context.reason}`);
      const message: NewMessage = {
        messageId: `MSG-fill-${prefix}-${n}`, messageContextId: raw, contextKey: context.value.key, senderId: 'MDPONE',
        businessFunctionId: 'pqd', resourceId: 'bpqd', priority: 'l', messageDateTime: '2026-07-02T01:00:00.000+10:00', receivedAt: now,
        sizeBytes: body.json.length, schemaVersion: ctx.config.schemaVersions.at(-1)!, transactionCount: 1, signature: signed ? body.signature : null,
        traceId: `fill-${prefix}`, payloadGzip: body.gzip,
      };
      const messagePk = ctx.messages.insertMessage(message);
      ctx.messages.enqueue(message, messagePk, recipient, now, 'delivered');
      // What delivery writes for a submission (src/services/delivery-service.ts): a GET or DELETE then moves
      // the message's existing record on, as it does after a real submission.
      if (logged) {
        ctx.transactionLog.appendWithinTransaction({
          loggedAt: now, traceId: `fill-${prefix}`, messageId: message.messageId, messagePk, messageContextId: raw, businessFunctionId: 'pqd', resourceId: 'bpqd',
          fromParticipant: 'MDPONE', toParticipant: recipient, messageType: 'message', priority: 'l', status: 'delivery_pending', reasonCode: null, detail: null,
        });
      }
    }
    const state = ctx.flowControlStore.get(recipient, 'pqd', now);
    ctx.flowControlStore.save({ ...state, messageCount: state.messageCount + count, queuedCount: (state.queuedCount ?? 0) + count, updatedAt: now });
  });
  // Setup, not measured work: write the fill's WAL back now, so no measured request pays for checkpointing it.
  ctx.db.pragma('wal_checkpoint(TRUNCATE)');
  return ctx.messages.recount(recipient, 'pqd').delivered;
}

/** The cursor idx-sim would hand out for the page starting at this position of the queue (src/services/bpqd-service.ts). */
function cursorAt(recipient: string, position: number): string {
  const row = ctx.db.prepare<[string, number], { seq: number }>(
    `SELECT delivery_seq AS seq FROM queue_items WHERE recipient_id = ? AND state = 'delivered' ORDER BY delivery_seq LIMIT 1 OFFSET ?`).get(recipient, position);
  if (!row) throw new Error(`${recipient}'s queue has no message at position ${position}`);
  return encodeCursor('pqd~bpqd', [row.seq]);
}

serveParent(server.url, (c: ChildCommand) => {
  switch (c.cmd) {
    case 'fill': return fill(c.recipient, c.prefix, c.count, c.signed, c.logged ?? false);
    case 'cursorAt': return cursorAt(c.recipient, c.position);
    case 'memory': return process.memoryUsage();
    case 'cpu': return process.cpuUsage();
    default: throw new Error(`unknown command ${c.cmd}`);
  }
}, () => server.close());
