// Images from the /cache base-image store (DESIGN.md §6), read-only. A hit (a digest reference,
// or a tag warmed within the TTL) is served with no registry request; a miss, an expired entry,
// an absent store or a corrupt blob answers undefined with a log line saying why, so that
// firstOf([layoutSource(dir, …), registrySource(…)]) falls back to the registry.
import { openStore, type LookupResult } from '../cache/index.ts';
import type { Image, Layer } from '../image/types.ts';
import type { Logger } from '../log.ts';
import type { Reference } from '../reference/index.ts';
import { formatPlatform } from '../image/index.ts';
import type { ImageSource, ResolveOptions } from './types.ts';

export interface LayoutSourceOptions {
  /** --cache-ttl: how long a warmed tag is served without asking the registry. */
  ttlMs: number;
  logger: Logger;
  /** Clock, ms since the epoch. */
  now?: () => number;
  /**
   * How much to check before answering a hit: 'digest' (default) hashes every blob, so a
   * corrupt one falls back to the registry before the build uses the image; 'size' only checks
   * that every blob is there (reads still verify as they stream, but too late to fall back).
   */
  verify?: 'digest' | 'size';
}

export function layoutSource(dir: string, options: LayoutSourceOptions): ImageSource {
  const store = openStore(dir, { logger: options.logger, now: options.now });
  const log = options.logger;
  return {
    name: 'oci-layout',
    async resolve(ref: Reference, { platform }: ResolveOptions): Promise<Image | undefined> {
      const what = `${ref.toString()} (${formatPlatform(platform)})`;
      let found: LookupResult;
      try {
        found = await store.lookup(ref, platform, { ttlMs: options.ttlMs });
      } catch (e) {
        log.warn(`Cached ${what} in ${dir} is unusable (${(e as Error).message}); pulling it from the registry`);
        return undefined;
      }
      if (found.kind === 'miss') {
        // An executor without a warmed volume should not say so at info level on every FROM.
        (found.reason.startsWith('no store') ? log.debug : log.info)(`${what} not in cache ${dir}: ${found.reason}`);
        return undefined;
      }
      if (found.kind === 'expired') {
        log.info(`Cached ${what} in ${dir} was warmed at ${found.warmedAt.toISOString()}, older than --cache-ttl; pulling it from the registry`);
        return undefined;
      }
      try {
        await check(found.image, options.verify ?? 'digest');
      } catch (e) {
        log.warn(`Cached ${what} in ${dir} is corrupt (${(e as Error).message}); pulling it from the registry`);
        return undefined;
      }
      log.info(`Found ${what} in cache ${dir} (${found.entry.descriptor.digest}, warmed ${found.entry.warmedAt.toISOString()})`);
      return found.image;
    },
  };
}

/** Read the config and every layer (two at a time); each read verifies digest and size. */
async function check(image: Image, depth: 'digest' | 'size'): Promise<void> {
  await image.config();
  const layers = await image.layers();
  if (depth === 'size') {
    // Opening every layer proves it exists; its size is checked when it is read.
    await Promise.all(layers.map(async (l) => (await l.compressed()).destroy()));
    return;
  }
  const queue = [...layers];
  const worker = async (): Promise<void> => {
    for (let l = queue.shift(); l !== undefined; l = queue.shift()) await drain(l);
  };
  await Promise.all([worker(), worker()]);
}

async function drain(layer: Layer): Promise<void> {
  const stream = await layer.compressed();
  for await (const _ of stream) {
    // reading is the check: the stream fails on a digest or size mismatch
  }
}
