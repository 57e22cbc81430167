import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.ts';
import { parseReference } from '../../shared/reference/index.ts';
import type { RegistryClient } from '../../shared/registry/index.ts';
import type { CacheOptions } from '../options.ts';
import { defaultRegistryOptions } from '../../shared/registry/index.ts';
import { cacheRepoFor, layerCacheFor, registryOptionsForCache, type BuildCacheInput } from './from-options.ts';

const cache: CacheOptions = {
  enabled: true, dir: '/cache', ttlMs: 1000, copyLayers: false, runLayers: true, compressed: true, noPush: false, mountDir: '/cache/mounts',
};

function input(over: Partial<CacheOptions>, destinations: string[] = []): BuildCacheInput {
  return {
    cache: { ...cache, ...over }, destinations: destinations.map((d) => parseReference(d)), platform: { os: 'linux', architecture: 'amd64' },
    layer: { compression: 'gzip' }, reproducibleEpoch: undefined, singleSnapshot: false,
    getClient: (): RegistryClient => {
      throw new Error('no registry in unit tests');
    },
    logger: silentLogger,
  };
}

describe('cacheRepoFor', () => {
  it('is --cache-repo when given, else <first destination repository>/cache (kaniko)', () => {
    expect(cacheRepoFor('reg.example/team/cache', [])).toBe('reg.example/team/cache');
    expect(cacheRepoFor(undefined, [parseReference('reg.example:5000/team/app:v1'), parseReference('other.example/x')])).toBe('reg.example:5000/team/app/cache');
    expect(cacheRepoFor('', [parseReference('busybox')])).toBe('index.docker.io/library/busybox/cache');
  });

  it('is a usage error with neither', () => {
    expect(() => cacheRepoFor(undefined, [])).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
});

describe('layerCacheFor', () => {
  it('is undefined without --cache and with --single-snapshot', () => {
    expect(layerCacheFor(input({ enabled: false, repo: 'r.example/c' }))).toBeUndefined();
    expect(layerCacheFor({ ...input({ repo: 'r.example/c' }), singleSnapshot: true })).toBeUndefined();
    expect(layerCacheFor(input({ repo: 'r.example/c' }))).toBeDefined();
    expect(layerCacheFor(input({ repo: 'oci:/tmp/x' }))).toBeDefined();
  });

  it('refuses a cache repo that is not a repository, and oci: without a path', () => {
    expect(() => layerCacheFor(input({ repo: 'r.example/c@sha256:' + 'a'.repeat(64) }))).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => layerCacheFor(input({ repo: 'Bad Repo' }))).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => layerCacheFor(input({ repo: 'oci:' }))).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
});

describe('registryOptionsForCache', () => {
  it('reads the cache registry with the push flags, as kaniko', () => {
    const on = { ...cache, repo: 'cache.example:5000/team/cache' };
    const insecure = registryOptionsForCache({ ...defaultRegistryOptions, insecure: true, skipTlsVerify: true }, on, []);
    expect(insecure.insecureRegistries).toEqual(['cache.example:5000']);
    expect(insecure.skipTlsVerifyRegistries).toEqual(['cache.example:5000']);
    expect(registryOptionsForCache(defaultRegistryOptions, on, [])).toBe(defaultRegistryOptions);
    const fromDest = registryOptionsForCache({ ...defaultRegistryOptions, insecure: true }, { ...cache }, [parseReference('reg.example/app:1')]);
    expect(fromDest.insecureRegistries).toEqual(['reg.example']);
    expect(fromDest.skipTlsVerifyRegistries).toEqual([]);
    expect(registryOptionsForCache({ ...defaultRegistryOptions, insecure: true }, { ...cache, repo: 'oci:/x' }, []).insecureRegistries).toEqual([]);
    expect(registryOptionsForCache({ ...defaultRegistryOptions, insecure: true }, { ...cache, enabled: false, repo: 'r.example/c' }, []).insecureRegistries).toEqual([]);
  });
});
