// Pull one image for the warmer: through --registry-mirror / --registry-map first (as the
// executor's registry source does), then the registry itself unless
// --skip-default-registry-fallback. The manifest is fetched once to learn whether the reference
// names an index, so the store can also answer `ref@<index digest>`; the image is then read
// pinned to that digest, so a tag moving meanwhile cannot mix two versions.
import type { Digest } from '../shared/digest.ts';
import { isKilnError, KilnError } from '../shared/errors.ts';
import { isIndexMediaType, type Image, type Platform } from '../shared/image/index.ts';
import type { Logger } from '../shared/log.ts';
import { withDigest, type Reference } from '../shared/reference/index.ts';
import type { RegistryClient, RegistryOptions } from '../shared/registry/index.ts';
import { candidatesFor } from '../shared/source/index.ts';

export interface Pulled {
  image: Image;
  /** The index digest when the reference named an index (manifest list). */
  indexDigest?: Digest;
  /** The registry that served it. */
  servedBy: string;
}

export interface PullContext {
  client: RegistryClient;
  registry: RegistryOptions;
  logger: Logger;
}

export async function pullForCache(ctx: PullContext, ref: Reference, platform: Platform): Promise<Pulled> {
  const mirrors = candidatesFor(ref, { mirrors: ctx.registry.registryMirrors, maps: ctx.registry.registryMaps });
  const tried: string[] = [];
  for (const mirror of mirrors) {
    try {
      return await pullFrom(ctx.client, mirror, platform);
    } catch (e) {
      const why = isKilnError(e) ? e.message : String(e);
      tried.push(`${mirror.toString()}: ${why}`);
      ctx.logger.warn(`mirror ${mirror.registry} cannot serve ${ref.toString()} (${why}); trying the next source`);
    }
  }
  if (ctx.registry.skipDefaultRegistryFallback && mirrors.length > 0) {
    throw new KilnError('E_REGISTRY', `pulling ${ref.toString()}: no mirror has it and --skip-default-registry-fallback is set (${tried.join('; ')})`, {
      hint: 'push the image to a mirror, or drop --skip-default-registry-fallback',
    });
  }
  return pullFrom(ctx.client, ref, platform);
}

async function pullFrom(client: RegistryClient, ref: Reference, platform: Platform): Promise<Pulled> {
  const raw = await client.manifest(ref);
  const pinned = ref.digest === raw.digest ? ref : withDigest(ref, raw.digest);
  const image = await client.image(pinned, { platform });
  const indexDigest = isIndexMediaType(raw.mediaType) || isIndexBytes(raw.bytes) ? raw.digest : undefined;
  return indexDigest === undefined ? { image, servedBy: ref.registry } : { image, indexDigest, servedBy: ref.registry };
}

function isIndexBytes(bytes: Buffer): boolean {
  try {
    return Array.isArray((JSON.parse(bytes.toString('utf8')) as { manifests?: unknown }).manifests);
  } catch {
    return false;
  }
}
