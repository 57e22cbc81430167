// Cached steps as `<repo>:<key>` images in a registry repository (kaniko's --cache-repo).
import { KilnError } from '../../shared/errors.ts';
import type { Image, Platform } from '../../shared/image/types.ts';
import { parseReference, type Reference } from '../../shared/reference/index.ts';
import { isNotFound, type RegistryClient } from '../../shared/registry/index.ts';
import type { CacheBackend } from './backend.ts';

export interface RegistryBackendOptions {
  /** A repository without tag or digest: `registry.example.com/team/app/cache`. */
  repo: string;
  getClient: () => RegistryClient;
  platform: Platform;
}

export function registryBackend(o: RegistryBackendOptions): CacheBackend {
  const refOf = (key: string): Reference => parseReference(`${o.repo}:${key}`);
  try {
    const probe = refOf('0'.repeat(64));
    if (probe.digest !== undefined) throw new Error('a digest is not allowed');
  } catch (cause) {
    throw new KilnError('E_USAGE', `using --cache-repo "${o.repo}": not a repository`, {
      cause,
      hint: 'give a repository without tag or digest, e.g. registry.example.com/team/app/cache, or oci:/path for an OCI layout',
    });
  }
  return {
    describe: (key) => `${o.repo}:${key}`,
    get: async (key) => {
      try {
        return await o.getClient().image(refOf(key), { platform: o.platform });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    put: async (key: string, image: Image) => {
      await o.getClient().push(image, refOf(key));
    },
  };
}
