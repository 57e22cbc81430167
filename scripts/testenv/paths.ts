import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Built base-image layouts, kept between runs (gitignored). */
export const DEFAULT_CACHE_DIR = join(REPO_ROOT, '.testenv', 'cache');

/** Bump when TestEnv's shape or what the setup provides changes (with the image keys, it forms TestEnv.schema). */
export const ENV_SCHEMA_VERSION = 6;
