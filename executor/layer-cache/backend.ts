// Where cached steps live: a registry repository (`<repo>:<key>` images, as kaniko) or an OCI
// image layout (`--cache-repo=oci:/path`). A backend only stores and finds images by key; the
// TTL, logging and "never fail the build" rules are layer-cache.ts's.
import type { Image } from '../../shared/image/types.ts';

export interface CacheBackend {
  /** For log lines: `<where>:<key>`. */
  describe(key: string): string;
  /** The cached image for `key`, or undefined when there is none. Other failures throw. */
  get(key: string): Promise<Image | undefined>;
  put(key: string, image: Image): Promise<void>;
}

export const OCI_PREFIX = 'oci:';
