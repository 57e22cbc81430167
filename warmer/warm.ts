// Placeholder entry point for warming (owned by the warmer work, which replaces this file).
import { KilnError } from '../shared/errors.ts';
import type { Logger } from '../shared/log.ts';
import type { WarmerOptions } from './options.ts';

export async function warm(options: WarmerOptions, logger: Logger): Promise<void> {
  logger.debug(`would warm ${options.images.length} images into ${options.cacheDir}`);
  throw new KilnError('E_NOT_IMPLEMENTED', 'warming the cache is not implemented yet');
}
