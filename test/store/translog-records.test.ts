/**
 * translog_records, the current-state projection of the append-only transaction log: kept in step by
 * every append, and rebuilt from history when an existing database is migrated.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { asDb, migrate, type Db } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { TransactionLog, type TransactionLogEntry } from '../../src/store/transaction-log.js';
import { openTestDatabase, testBackend } from '../helpers/database.js';

const message = (over: Partial<TransactionLogEntry>): TransactionLogEntry => ({
  loggedAt: 1000, traceId: 't'.repeat(32), messageId: 'MSG-1', messageContextId: 'pqd~bpqd~l~MDPONE~a', businessFunctionId: 'pqd',
  resourceId: 'bpqd', fromParticipant: 'MDPONE', toParticipant: 'LNSPNORTH', messageType: 'message', priority: 'l', status: 'delivery_pending', ...over,
});

const HISTORY: TransactionLogEntry[] = [
  message({}),
  message({ toParticipant: 'LNSPSOUTH' }),
  message({ loggedAt: 2000, status: 'completed', reasonCode: 'RETRIEVED' }),
  { loggedAt: 2500, traceId: 'r'.repeat(32), fromParticipant: 'MDPTWO', messageType: 'message', status: 'message_rejected', reasonCode: 'IDX_ERR_GZIP_INVALID' },
  message({ loggedAt: 3000, status: 'removed', reasonCode: 'DELETED' }),
];

/** The stored message the log's message rows belong to: its row keys them (migration 13). */
const storeMessage = (db: Db, messageId: string): void => {
  db.prepare(`INSERT INTO messages (message_id, message_context_id, context_key, sender_id, business_function_id, resource_id, priority,
    message_date_time, received_at, size_bytes, gzip_size_bytes, schema_version, transaction_count, trace_id, payload_gzip)
    VALUES (?, 'pqd~bpqd~l~MDPONE~a', 'pqd~bpqd~l~mdpone~a', 'MDPONE', 'pqd', 'bpqd', 'l', '2026-07-01T00:00:00.000+10:00', 1000, 1, 1, '1.0', 1, 't', ?)`)
    .run(messageId, Buffer.from('x'));
};

const projection = (db: Db) => db.prepare(
  `SELECT message_id, message_context_key, from_participant, to_participant, status, created_at, status_at, first_log_id, last_log_id
   FROM translog_records ORDER BY id`).all();

const EXPECTED = [
  { message_id: 'MSG-1', message_context_key: 'pqd~bpqd~l~mdpone~a', from_participant: 'MDPONE', to_participant: 'LNSPNORTH', status: 'removed', created_at: 1000, status_at: 3000, first_log_id: 1, last_log_id: 5 },
  { message_id: 'MSG-1', message_context_key: 'pqd~bpqd~l~mdpone~a', from_participant: 'MDPONE', to_participant: 'LNSPSOUTH', status: 'delivery_pending', created_at: 1000, status_at: 1000, first_log_id: 2, last_log_id: 2 },
  { message_id: null, message_context_key: null, from_participant: 'MDPTWO', to_participant: null, status: 'message_rejected', created_at: 2500, status_at: 2500, first_log_id: 4, last_log_id: 4 },
];

describe('translog_records', () => {
  it('moves one record per message × receiver to its latest status on every append, and gives each refusal its own', () => {
    const db = openTestDatabase();
    storeMessage(db, 'MSG-1');
    const log = new TransactionLog(db);
    for (const entry of HISTORY) log.append(entry);
    expect(projection(db)).toEqual(EXPECTED);
    // The log itself stays append-only: every row is still there.
    expect(db.prepare('SELECT count(*) AS n FROM transaction_log').get()).toEqual({ n: 5 });
    db.close();
  });

  it.skipIf(testBackend() === 'postgres')('is rebuilt from the history of a database created before the Transaction Log API (migration 2) (SQLite only: no PostgreSQL database predates it)', () => {
    const db = asDb(new Database(':memory:'));
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    const insert = db.prepare(`INSERT INTO transaction_log (logged_at, trace_id, message_id, message_context_id, business_function_id, resource_id,
      from_participant, to_participant, message_type, priority, status, reason_code, detail)
      VALUES (@loggedAt, @traceId, @messageId, @messageContextId, @businessFunctionId, @resourceId, @fromParticipant, @toParticipant,
      @messageType, @priority, @status, @reasonCode, @detail)`);
    for (const entry of HISTORY) {
      insert.run({ messageId: null, messageContextId: null, businessFunctionId: null, resourceId: null, fromParticipant: null, toParticipant: null,
        priority: null, reasonCode: null, detail: null, ...entry });
    }
    migrate(db);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(projection(db)).toEqual(EXPECTED);
    db.close();
  });

  it.skipIf(testBackend() === 'postgres')('keeps the records of a database from before they were keyed by the message row (migration 13): the next status moves the same record', () => {
    const db = asDb(new Database(':memory:'));
    for (let version = 0; version < 12; version++) db.exec(MIGRATIONS[version]!);
    db.pragma('user_version = 12');
    storeMessage(db, 'MSG-1');
    // Appended as the log did before migration 13 (no message_pk column yet).
    const insert = db.prepare(`INSERT INTO transaction_log (logged_at, trace_id, message_id, message_context_id, business_function_id, resource_id,
      from_participant, to_participant, message_type, priority, status, reason_code, detail)
      VALUES (@loggedAt, @traceId, @messageId, @messageContextId, @businessFunctionId, @resourceId, @fromParticipant, @toParticipant,
      @messageType, @priority, @status, @reasonCode, @detail) RETURNING id`).pluck();
    const record = db.prepare(`INSERT INTO translog_records (message_id, message_context_key, from_participant, to_participant, message_type, status,
      created_at, status_at, first_log_id, last_log_id) VALUES (@messageId, lower(@messageContextId), @fromParticipant, @toParticipant, @messageType,
      @status, @loggedAt, @loggedAt, @id, @id)`);
    for (const entry of HISTORY.slice(0, 2)) {
      const row = { messageId: null, messageContextId: null, businessFunctionId: null, resourceId: null, fromParticipant: null, toParticipant: null,
        priority: null, reasonCode: null, detail: null, ...entry };
      record.run({ ...row, id: insert.get(row) });
    }
    migrate(db);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const log = new TransactionLog(db);
    for (const entry of HISTORY.slice(2)) log.append(entry);
    expect(projection(db)).toEqual(EXPECTED);
    expect(db.prepare('SELECT count(*) AS n FROM transaction_log WHERE message_pk IS NULL AND message_id IS NOT NULL').get()).toEqual({ n: 0 });
    db.close();
  });
});
