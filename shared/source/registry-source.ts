// Images from registries, through mirrors (kaniko semantics): for Docker Hub references each
// --registry-mirror in order (`host` or `host/path-prefix`), for any registry each
// --registry-map entry for it in order, then the registry itself unless
// --skip-default-registry-fallback. A log line says which one served, or why one was skipped.
import { isKilnError, KilnError } from '../errors.ts';
import type { Image } from '../image/types.ts';
import type { Logger } from '../log.ts';
import { makeReferenceFrom } from './reference-of.ts';
import type { Reference } from '../reference/index.ts';
import { isNotFound, type RegistryClient } from '../registry/index.ts';
import type { ImageSource, ResolveOptions } from './types.ts';

export interface RegistrySourceOptions {
  /** --registry-mirror: mirrors of Docker Hub, tried in order. */
  mirrors: readonly string[];
  /** --registry-map: registry → mirrors tried in order. */
  maps: Readonly<Record<string, readonly string[]>>;
  skipDefaultFallback: boolean;
  logger: Logger;
}

const DOCKER_HUB = new Set(['index.docker.io', 'docker.io', 'registry-1.docker.io']);

/** The references to try for `ref`, in order, mirrors first. */
export function candidatesFor(ref: Reference, options: Pick<RegistrySourceOptions, 'mirrors' | 'maps'>): Reference[] {
  const hub = DOCKER_HUB.has(ref.registry);
  const mapped = Object.entries(options.maps)
    .filter(([from]) => from === ref.registry || (hub && DOCKER_HUB.has(from)))
    .flatMap(([, to]) => to);
  const entries = [...(hub ? options.mirrors : []), ...mapped].map((m) => m.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, ''));
  return [...new Set(entries)].filter((m) => m !== '').map((m) => {
    const slash = m.indexOf('/');
    const registry = slash < 0 ? m : m.slice(0, slash);
    const prefix = slash < 0 ? '' : `${m.slice(slash + 1)}/`;
    return makeReferenceFrom(ref, { registry, repository: `${prefix}${ref.repository}` });
  });
}

export function registrySource(client: RegistryClient, options: RegistrySourceOptions): ImageSource {
  return {
    name: 'registry',
    async resolve(ref: Reference, { platform }: ResolveOptions): Promise<Image | undefined> {
      const tried: string[] = [];
      for (const mirror of candidatesFor(ref, options)) {
        try {
          const image = await client.image(mirror, { platform });
          options.logger.info(`pulling ${ref.toString()} from mirror ${mirror.registry}`);
          return image;
        } catch (e) {
          const why = isNotFound(e) ? 'not found there' : isKilnError(e) ? e.message : String(e);
          tried.push(`${mirror.toString()}: ${why}`);
          options.logger.warn(`mirror ${mirror.registry} cannot serve ${ref.toString()} (${why}); trying the next source`);
        }
      }
      if (options.skipDefaultFallback && tried.length > 0) {
        throw new KilnError('E_REGISTRY', `pulling ${ref.toString()}: no mirror has it and --skip-default-registry-fallback is set (${tried.join('; ')})`, {
          hint: 'push the image to a mirror, or drop --skip-default-registry-fallback',
        });
      }
      try {
        return await client.image(ref, { platform });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
  };
}
