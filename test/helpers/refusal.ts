import { IdxError } from '../../src/domain/errors.js';

/** Runs `fn` and returns the IdxError it throws; fails when it throws nothing or something else. */
export function refusal(fn: () => unknown): IdxError {
  try {
    fn();
  } catch (err) {
    if (err instanceof IdxError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}
