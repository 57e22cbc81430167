// Placeholder entry point for the build (owned by the executor-core work, which replaces this file).
import { KilnError } from '../shared/errors.ts';
import type { Logger } from '../shared/log.ts';
import type { ExecutorOptions } from './options.ts';

export async function runBuild(options: ExecutorOptions, logger: Logger): Promise<void> {
  logger.debug(`would build ${options.dockerfile}`);
  throw new KilnError('E_NOT_IMPLEMENTED', 'building images is not implemented yet');
}
