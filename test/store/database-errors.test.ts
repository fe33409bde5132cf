/** Which errors mean the database failed rather than the request (issue #14): those become 503 IDX_ERR_STORAGE_UNAVAILABLE (test/api/database-failure.test.ts). */
import { describe, expect, it } from 'vitest';
import { DatabaseConflictError, DatabaseUnavailableError, storageFailure } from '../../src/store/database-errors.js';

describe('storageFailure', () => {
  it.each([
    ['the port\'s unavailable error', new DatabaseUnavailableError('gone', 'connection-lost'), 'unavailable'],
    ['one rebuilt by name (from a worker thread)', Object.assign(new Error('gone'), { name: 'DatabaseUnavailableError' }), 'unavailable'],
    ['the port\'s conflict error', new DatabaseConflictError('deadlock detected', '40P01'), 'conflict'],
    ['SQLSTATE 08006 connection failure', Object.assign(new Error('x'), { code: '08006' }), 'unavailable'],
    ['SQLSTATE 57P01 admin shutdown', Object.assign(new Error('x'), { code: '57P01' }), 'unavailable'],
    ['SQLSTATE 53300 too many connections', Object.assign(new Error('x'), { code: '53300' }), 'unavailable'],
    ['SQLSTATE 40001 serialization failure', Object.assign(new Error('x'), { code: '40001' }), 'conflict'],
    ['SQLSTATE 40P01 deadlock', Object.assign(new Error('x'), { code: '40P01' }), 'conflict'],
    ['SQLite busy', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }), 'conflict'],
  ])('reads %s as a database failure', (_name, err, expected) => {
    expect(storageFailure(err)).toBe(expected);
  });

  it.each([
    ['a unique violation (the request\'s own fault)', Object.assign(new Error('x'), { code: '23505' })],
    ['a client hanging up', Object.assign(new Error('x'), { code: 'ECONNRESET' })],
    ['a SQLite constraint', Object.assign(new Error('x'), { code: 'SQLITE_CONSTRAINT_UNIQUE' })],
    ['a plain error', new Error('x')],
    ['a thrown string', 'x'],
  ])('does not read %s as one', (_name, err) => {
    expect(storageFailure(err)).toBeUndefined();
  });
});
