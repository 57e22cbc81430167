// Images read from a registry: the manifest (an index resolved to the platform with
// selectManifest), the config on first use, layers streamed on demand. Each layer's origin
// (registry and repository) is recorded so that a push to the same registry can mount it.
import { KilnError } from '../errors.ts';
import { imageFromParts, layerFromCompressedBlob, selectManifest } from '../image/index.ts';
import { isIndexMediaType, isManifestMediaType, type Image, type ImageIndex, type IndexManifest, type Layer, type Platform } from '../image/types.ts';
import { type Reference, withDigest } from '../reference/index.ts';
import type { Digest } from '../digest.ts';
import type { ClientContext } from './context.ts';
import { blobStream, getManifest, readBlob, type RawManifest } from './pull.ts';

export interface LayerOrigin {
  registry: string;
  repository: string;
}

const MAX_CONFIG = 32 * 1024 * 1024;

export interface RemoteImageOptions {
  platform: Platform;
  /** Filled with the origin of each layer made (a client-owned WeakMap). */
  origins: WeakMap<Layer, LayerOrigin>;
}

/** Resolve `ref` (an image or an index) to the image for `platform`. */
export async function remoteImage(ctx: ClientContext, ref: Reference, options: RemoteImageOptions): Promise<Image> {
  let raw = await getManifest(ctx, ref);
  if (isIndexMediaType(raw.mediaType)) {
    const index = parseIndex(raw, ref);
    const desc = selectManifest(index, options.platform, ref.toString());
    ctx.logger.debug(`resolved ${ref.toString()} to ${desc.digest} for ${options.platform.os}/${options.platform.architecture}`);
    raw = await getManifest(ctx, withDigest(ref, desc.digest));
  }
  if (!isManifestMediaType(raw.mediaType)) {
    throw new KilnError('E_MANIFEST', `pulling ${ref.toString()}: unsupported manifest media type "${raw.mediaType}"`, {
      hint: 'Kiln reads Docker v2 schema 2 and OCI image manifests and indexes',
    });
  }
  return imageOf(ctx, ref, raw, options.origins);
}

export function parseIndex(raw: RawManifest, ref: Reference): IndexManifest {
  try {
    const index = JSON.parse(raw.bytes.toString('utf8')) as IndexManifest;
    if (!Array.isArray(index.manifests)) throw new Error('no manifests array');
    return index;
  } catch (cause) {
    throw new KilnError('E_MANIFEST', `pulling ${ref.toString()}: the index is not valid`, { cause });
  }
}

function imageOf(ctx: ClientContext, ref: Reference, raw: RawManifest, origins: WeakMap<Layer, LayerOrigin>): Image {
  const { registry, repository } = ref;
  let configDesc: { digest: `sha256:${string}`; size: number; mediaType: string };
  try {
    configDesc = (JSON.parse(raw.bytes.toString('utf8')) as { config: typeof configDesc }).config;
  } catch (cause) {
    throw new KilnError('E_MANIFEST', `pulling ${ref.toString()}: the manifest is not valid JSON`, { cause });
  }
  return imageFromParts({
    rawManifest: raw.bytes,
    rawConfig: () => readBlob(ctx, { registry, repository, descriptor: configDesc }, MAX_CONFIG),
    layer: (descriptor, diffId) => {
      const layer = layerFromCompressedBlob({
        descriptor,
        diffId,
        what: `layer ${descriptor.digest} of ${registry}/${repository}`,
        open: async () => blobStream(ctx, { registry, repository, descriptor }, { verify: false }),
      });
      origins.set(layer, { registry, repository });
      return layer;
    },
  });
}

/** An index as it is in the registry; its images are fetched by digest on demand. */
export async function remoteIndex(ctx: ClientContext, ref: Reference, origins: WeakMap<Layer, LayerOrigin>): Promise<ImageIndex> {
  const raw = await getManifest(ctx, ref);
  if (!isIndexMediaType(raw.mediaType)) {
    throw new KilnError('E_MANIFEST', `pulling index ${ref.toString()}: it is an image manifest (${raw.mediaType}), not an index`);
  }
  const index = parseIndex(raw, ref);
  return {
    rawManifest: async () => raw.bytes,
    indexManifest: async () => structuredClone(index),
    digest: async () => raw.digest,
    mediaType: async () => raw.mediaType,
    image: async (digest: Digest) => {
      const child = await getManifest(ctx, withDigest(ref, digest));
      if (!isManifestMediaType(child.mediaType)) {
        throw new KilnError('E_MANIFEST', `pulling ${digest} of index ${ref.toString()}: not an image manifest (${child.mediaType})`);
      }
      return imageOf(ctx, ref, child, origins);
    },
  };
}
