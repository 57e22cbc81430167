// Cached steps in an OCI image layout (`--cache-repo=oci:/path`), through the same store code
// as /cache (shared/cache: verified temp+rename blobs, index.json updated under a
// proper-lockfile lock), so many builds may share one directory. Each entry is named
// `layer-cache:<key>` (skopeo: `oci:/path:layer-cache:<key>+<os>-<arch>`). It is a separate
// directory from the base-image store in --cache-dir.
import { mkdir } from 'node:fs/promises';
import { openStore } from '../../shared/cache/index.ts';
import { KilnError } from '../../shared/errors.ts';
import type { Image, Platform } from '../../shared/image/types.ts';
import type { Logger } from '../../shared/log.ts';
import type { Reference } from '../../shared/reference/index.ts';
import type { CacheBackend } from './backend.ts';

export interface LayoutBackendOptions {
  /** The layout directory (absolute). */
  dir: string;
  platform: Platform;
  logger: Logger;
}

export const LAYOUT_REPOSITORY = 'layer-cache';

/** The reference an entry is stored under (only its text and tag are used by the store). */
export function layoutRef(key: string): Reference {
  return { registry: 'oci', repository: LAYOUT_REPOSITORY, tag: key, toString: () => `${LAYOUT_REPOSITORY}:${key}` };
}

export function layoutBackend(o: LayoutBackendOptions): CacheBackend {
  const store = openStore(o.dir, { logger: o.logger });
  return {
    describe: (key) => `oci:${o.dir}:${LAYOUT_REPOSITORY}:${key}`,
    get: async (key) => {
      // The TTL is checked on config.created by the caller, as for a registry.
      const found = await store.lookup(layoutRef(key), o.platform, { ttlMs: Number.POSITIVE_INFINITY });
      return found.kind === 'hit' ? found.image : undefined;
    },
    put: async (key, image: Image) => {
      try {
        await mkdir(o.dir, { recursive: true });
      } catch (cause) {
        throw new KilnError('E_CACHE', `creating the layer cache ${o.dir}: ${(cause as Error).message}`, { cause });
      }
      await store.put(layoutRef(key), o.platform, image);
    },
  };
}
