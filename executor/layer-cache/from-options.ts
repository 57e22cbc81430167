// The build's layer cache from the executor's options: --cache-repo (a registry repository or
// `oci:/path`), else `<first destination's repository>/cache` as kaniko does.
import path from 'node:path';
import { KilnError } from '../../shared/errors.ts';
import type { Platform } from '../../shared/image/types.ts';
import type { Logger } from '../../shared/log.ts';
import { parseReference, type Reference } from '../../shared/reference/index.ts';
import type { RegistryClient, RegistryOptions } from '../../shared/registry/index.ts';
import type { CacheOptions, LayerOptions } from '../options.ts';
import { OCI_PREFIX, type CacheBackend } from './backend.ts';
import { canonicalJson } from './key.ts';
import { createLayerCache, type LayerCache } from './layer-cache.ts';
import { layoutBackend } from './layout-backend.ts';
import { registryBackend } from './registry-backend.ts';

export interface BuildCacheInput {
  cache: CacheOptions;
  destinations: readonly Reference[];
  platform: Platform;
  layer: LayerOptions;
  /** --reproducible with its epoch: layer timestamps differ from a normal build's. */
  reproducibleEpoch: number | undefined;
  /** --single-snapshot: steps make no layers, so there is nothing to cache. */
  singleSnapshot: boolean;
  getClient: () => RegistryClient;
  logger: Logger;
}

/** undefined when --cache is off. */
export function layerCacheFor(b: BuildCacheInput): LayerCache | undefined {
  if (!b.cache.enabled) return undefined;
  if (b.singleSnapshot) {
    b.logger.warn('--cache has no effect with --single-snapshot: steps make no layers to cache');
    return undefined;
  }
  const backend = backendFor(b);
  return createLayerCache({
    backend,
    ttlMs: b.cache.ttlMs,
    copyLayers: b.cache.copyLayers,
    runLayers: b.cache.runLayers,
    noPush: b.cache.noPush,
    platform: b.platform,
    salt: canonicalJson({ compression: b.layer.compression, reproducible: b.reproducibleEpoch ?? null }),
    logger: b.logger,
  });
}

/** The --cache-repo value the build uses: as given, or `<destination repository>/cache`. */
export function cacheRepoFor(repo: string | undefined, destinations: readonly Reference[]): string {
  if (repo !== undefined && repo !== '') return repo;
  const first = destinations[0];
  if (first === undefined) {
    throw new KilnError('E_USAGE', 'using the layer cache: no --cache-repo and no --destination to derive it from', {
      hint: 'pass --cache-repo REGISTRY/REPO (or oci:/path)',
    });
  }
  return `${first.registry}/${first.repository}/cache`;
}

function backendFor(b: BuildCacheInput): CacheBackend {
  const repo = cacheRepoFor(b.cache.repo, b.destinations);
  if (repo.startsWith(OCI_PREFIX)) {
    const dir = repo.slice(OCI_PREFIX.length);
    if (dir === '') throw new KilnError('E_USAGE', 'using --cache-repo "oci:": no directory after oci:', { hint: 'pass --cache-repo oci:/path/to/layout' });
    b.logger.info(`Using layer cache oci:${path.resolve(dir)}`);
    return layoutBackend({ dir: path.resolve(dir), platform: b.platform, logger: b.logger });
  }
  b.logger.info(`Using layer cache ${repo}`);
  return registryBackend({ repo, getClient: b.getClient, platform: b.platform });
}

/**
 * kaniko reads the cache repository with the push flags (--insecure, --skip-tls-verify), since
 * Kiln writes it too: the cache registry joins --insecure-registry / --skip-tls-verify-registry
 * when those are set, so a lookup over plain HTTP works with --insecure alone.
 */
export function registryOptionsForCache(registry: RegistryOptions, cache: CacheOptions, destinations: readonly Reference[]): RegistryOptions {
  if (!cache.enabled || (!registry.insecure && !registry.skipTlsVerify)) return registry;
  let host: string;
  try {
    const repo = cacheRepoFor(cache.repo, destinations);
    if (repo.startsWith(OCI_PREFIX)) return registry;
    host = parseReference(`${repo}:latest`).registry;
  } catch {
    return registry; // layerCacheFor reports a bad --cache-repo
  }
  const add = (list: readonly string[], on: boolean): readonly string[] => (on && !list.includes(host) ? [...list, host] : list);
  return {
    ...registry,
    insecureRegistries: add(registry.insecureRegistries, registry.insecure),
    skipTlsVerifyRegistries: add(registry.skipTlsVerifyRegistries, registry.skipTlsVerify),
  };
}
