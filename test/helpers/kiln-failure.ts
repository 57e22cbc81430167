import { isKilnError } from '../../shared/errors.ts';

/** Run `fn`, which must throw a KilnError, and return its code and message. */
export function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isKilnError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a KilnError');
}
