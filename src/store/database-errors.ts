/** The database port's typed failures (issue #14): the HTTP layer maps them to 503 and to a retry. */

/** The database cannot be reached (refused or lost connection, statement timeout): the request may succeed later. 503. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(message: string, readonly reason: 'connect' | 'connection-lost' | 'timeout', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** PostgreSQL gave up on a transaction to resolve a conflict (40P01 deadlock, 40001 serialization failure): retry it. */
export class DatabaseConflictError extends Error {
  override readonly name = 'DatabaseConflictError';
  constructor(message: string, readonly sqlState: '40P01' | '40001', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/*
 * What a request may meet when the database itself fails, rather than the request (issue #14,
 * "Operations"; docs/deployment.md): the hub answers 503 IDX_ERR_STORAGE_UNAVAILABLE with Retry-After
 * and keeps running; nothing the failed request wrote was committed, so nothing half-written is
 * acknowledged. `storageFailure` also reads the SQLSTATE (`code`) of a driver error that reaches a
 * route unwrapped, and SQLite's SQLITE_BUSY (the busy timeout ran out): each means "try again shortly".
 */
export type StorageFailure = 'unavailable' | 'conflict';

/**
 * PostgreSQL SQLSTATE classes and codes that mean the database, not the request, failed (PostgreSQL
 * documentation, appendix A): 08 connection exception, 57P01..57P03 admin/crash shutdown and cannot
 * connect now, 53300 too many connections; 40001 serialization failure and 40P01 deadlock detected.
 */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
const CONFLICT_SQLSTATE = /^(40001|40P01)$/;

/** Whether `err` is the database failing (and which way), or `undefined` for any other error. */
export function storageFailure(err: unknown): StorageFailure | undefined {
  if (!(err instanceof Error)) return undefined;
  // By name as well as by class: the PostgreSQL port's worker thread may rebuild the error on this side.
  if (err instanceof DatabaseUnavailableError || err.name === 'DatabaseUnavailableError') return 'unavailable';
  if (err instanceof DatabaseConflictError || err.name === 'DatabaseConflictError') return 'conflict';
  const code = (err as { code?: unknown }).code;
  // Not Node's socket errno codes (ECONNRESET…): a client hanging up raises those too, and is no database failure.
  if (typeof code !== 'string') return undefined;
  if (UNAVAILABLE_SQLSTATE.test(code)) return 'unavailable';
  if (CONFLICT_SQLSTATE.test(code) || code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT') return 'conflict';
  return undefined;
}
