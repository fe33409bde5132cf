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
