// Images held as documents plus layers: the result of every mutation and of scratchImage().
// The raw bytes are the canonical JSON of the documents (json.ts), with the config
// descriptor recomputed, so the same documents always give the same digest.
import { sha256 } from '../digest.ts';
import { configJson, manifestJson } from './json.ts';
import { findLayer, manifestMediaType, once, parseConfig, parseManifest } from './partial.ts';
import type { ConfigFile, Image, Layer, Manifest } from './types.ts';

export interface ImageDocuments {
  manifest: Manifest;
  config: ConfigFile;
  layers: Layer[];
}

interface Built {
  rawManifest: Buffer;
  rawConfig: Buffer;
  manifest: Manifest;
  config: ConfigFile;
  layers: Layer[];
}

function build(d: ImageDocuments): Built {
  const rawConfig = configJson(d.config);
  const manifest: Manifest = { ...d.manifest, config: { ...d.manifest.config, digest: sha256(rawConfig), size: rawConfig.length } };
  const rawManifest = manifestJson(manifest);
  return { rawManifest, rawConfig, manifest: parseManifest(rawManifest), config: parseConfig(rawConfig), layers: [...d.layers] };
}

function fromBuilt(get: () => Promise<Built>): Image {
  return {
    rawManifest: async () => (await get()).rawManifest,
    manifest: async () => (await get()).manifest,
    rawConfig: async () => (await get()).rawConfig,
    config: async () => (await get()).config,
    digest: async () => sha256((await get()).rawManifest),
    mediaType: async () => manifestMediaType((await get()).manifest),
    layers: async () => [...(await get()).layers],
    layer: async (digest) => findLayer((await get()).layers, digest),
  };
}

/** An Image from documents already in memory. */
export function imageFromDocuments(d: ImageDocuments): Image {
  const built = build(d);
  return fromBuilt(async () => built);
}

/**
 * An Image computed lazily from `base` (wrap, don't copy): `compute` runs once, on first use,
 * and returns the new documents, or undefined to keep the base exactly (same bytes, same digest).
 */
export function derivedImage(base: Image, compute: () => Promise<ImageDocuments | undefined>): Image {
  const get = once(async (): Promise<Built | undefined> => {
    const d = await compute();
    return d === undefined ? undefined : build(d);
  });
  const either = <T>(own: (b: Built) => T | Promise<T>, fallback: () => Promise<T>) => async (): Promise<T> => {
    const b = await get();
    return b === undefined ? fallback() : own(b);
  };
  return {
    rawManifest: either((b) => b.rawManifest, () => base.rawManifest()),
    manifest: either((b) => b.manifest, () => base.manifest()),
    rawConfig: either((b) => b.rawConfig, () => base.rawConfig()),
    config: either((b) => b.config, () => base.config()),
    digest: either((b) => sha256(b.rawManifest), () => base.digest()),
    mediaType: either((b) => manifestMediaType(b.manifest), () => base.mediaType()),
    layers: either((b) => [...b.layers], () => base.layers()),
    layer: async (digest) => {
      const b = await get();
      return b === undefined ? base.layer(digest) : findLayer(b.layers, digest);
    },
  };
}

/** The documents of an image, for a mutation to change (deep copies: the originals are frozen). */
export async function documentsOf(img: Image): Promise<ImageDocuments> {
  const [manifest, config, layers] = await Promise.all([img.manifest(), img.config(), img.layers()]);
  return { manifest: structuredClone(manifest) as Manifest, config: structuredClone(config) as ConfigFile, layers };
}
