/**
 * What a request may meet when the database itself fails, rather than the request (issue #14,
 * "Operations"): the hub answers 503 with Retry-After and keeps running; nothing the failed request wrote
 * was committed, so nothing half-written is acknowledged.
 *
 * The PostgreSQL port throws `DatabaseUnavailableError` when the connection is lost, refused or times out,
 * and a conflict error when PostgreSQL rolls a transaction back as a deadlock or serialization failure.
 * `storageFailure` also reads the SQLSTATE (`code`) of a driver error that reaches a route unwrapped, and
 * SQLite's SQLITE_BUSY (the busy timeout ran out): every one of them means "try again shortly".
 */

/** The database did not answer: the connection was lost, refused or timed out. Nothing was committed. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/** The database rolled the transaction back because it conflicted with another (deadlock, serialization failure). */
export class DatabaseConflictError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseConflictError';
  }
}

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
  if (err instanceof DatabaseConflictError || /^Database(Conflict|Deadlock|Serialization)\w*Error$/.test(err.name)) return 'conflict';
  const code = (err as { code?: unknown }).code;
  // Not Node's socket errno codes (ECONNRESET…): a client hanging up raises those too, and is no database failure.
  if (typeof code !== 'string') return undefined;
  if (UNAVAILABLE_SQLSTATE.test(code)) return 'unavailable';
  if (CONFLICT_SQLSTATE.test(code) || code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT') return 'conflict';
  return undefined;
}
