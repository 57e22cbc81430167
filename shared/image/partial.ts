// Images and layers assembled from their parts (go-containerregistry's `partial`): lazy,
// each document parsed once, every blob stream verified against its descriptor.
import { open as openFile } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { VerifyingStream, sha256, type Digest } from '../digest.ts';
import { KilnError } from '../errors.ts';
import { decompressStream } from './compression.ts';
import { MediaTypes, isIndexMediaType, type ConfigFile, type Descriptor, type Image, type Layer, type Manifest, type MediaType } from './types.ts';

/** Run `fn` once; later calls share its promise (a failure is not cached). */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= fn().catch((e: unknown) => {
      p = undefined;
      throw e;
    });
    return p;
  };
}

/** Freeze a parsed document all the way down, so no reader can change what another sees. */
export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Pipe `src` through `t`, forwarding errors and early close both ways; returns `t`. */
export function chain<T extends NodeJS.ReadWriteStream>(src: Readable, t: T): T {
  return pipeline(src, t, () => {}) as unknown as T;
}

function parseJson(raw: Buffer, what: string): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (cause) {
    throw new KilnError('E_MANIFEST', `parsing ${what}: not valid JSON`, { cause });
  }
}

/** Parse and check an image manifest (Docker v2 schema 2 or OCI). */
export function parseManifest(raw: Buffer): Manifest {
  const m = parseJson(raw, 'image manifest') as Omit<Partial<Manifest>, 'schemaVersion'> & { manifests?: unknown; schemaVersion?: number };
  if (typeof m !== 'object' || m === null) throw new KilnError('E_MANIFEST', 'parsing image manifest: not a JSON object');
  if (m.schemaVersion === 1) {
    throw new KilnError('E_MANIFEST', 'parsing image manifest: Docker schema 1 manifests are not supported', {
      hint: 'push the image again with a current Docker, or convert it with `skopeo copy --format v2s2`',
    });
  }
  if (Array.isArray(m.manifests) || isIndexMediaType(m.mediaType)) {
    throw new KilnError('E_MANIFEST', 'parsing image manifest: this is an index (a manifest list), not an image manifest');
  }
  if (m.schemaVersion !== 2 || typeof m.config !== 'object' || m.config === null || !Array.isArray(m.layers)) {
    throw new KilnError('E_MANIFEST', 'parsing image manifest: want schemaVersion 2 with a config descriptor and a layers list');
  }
  return deepFreeze(m as unknown as Manifest);
}

/** Parse and check an image config. */
export function parseConfig(raw: Buffer): ConfigFile {
  const c = parseJson(raw, 'image config') as Partial<ConfigFile>;
  if (typeof c !== 'object' || c === null || !Array.isArray(c.rootfs?.diff_ids)) {
    throw new KilnError('E_MANIFEST', 'parsing image config: want an object with rootfs.diff_ids');
  }
  return deepFreeze(c as ConfigFile);
}

/** A manifest's media type, inferred from its config's when the manifest omits it (OCI allows that). */
export function manifestMediaType(m: Manifest): MediaType {
  return m.mediaType ?? (m.config.mediaType === MediaTypes.dockerConfig ? MediaTypes.dockerManifest : MediaTypes.ociManifest);
}

export interface ImageParts {
  rawManifest: Buffer;
  /** The config bytes, or a function fetching them on first use. */
  rawConfig: Buffer | (() => Promise<Buffer>);
  /** Makes the Layer for one manifest layer and its diff_id from the config. */
  layer: (desc: Descriptor, diffId: Digest) => Layer;
}

/** An Image from its raw manifest and config (ggcr partial). digest() is sha256(rawManifest). */
export function imageFromParts(parts: ImageParts): Image {
  const { rawManifest } = parts;
  const getRawConfig = parts.rawConfig;
  const manifest = once(async () => parseManifest(rawManifest));
  const rawConfig = once(async () => (typeof getRawConfig === 'function' ? getRawConfig() : getRawConfig));
  const config = once(async () => parseConfig(await rawConfig()));
  const layers = once(async () => {
    const [m, c] = await Promise.all([manifest(), config()]);
    const ids = c.rootfs.diff_ids;
    if (ids.length !== m.layers.length) {
      throw new KilnError('E_MANIFEST', `reading image ${sha256(rawManifest)}: the manifest lists ${m.layers.length} layers, the config ${ids.length} diff_ids`);
    }
    return m.layers.map((d, i) => parts.layer(d, ids[i] as Digest));
  });
  return {
    rawManifest: async () => rawManifest,
    manifest,
    rawConfig,
    config,
    digest: async () => sha256(rawManifest),
    mediaType: async () => manifestMediaType(await manifest()),
    layers,
    layer: async (digest) => findLayer(await layers(), digest),
  };
}

/** The layer with compressed digest `digest`, or E_MANIFEST. */
export async function findLayer(layers: Layer[], digest: Digest): Promise<Layer> {
  for (const l of layers) if ((await l.digest()) === digest) return l;
  throw new KilnError('E_MANIFEST', `finding layer ${digest}: the image has no such layer`);
}

export interface CompressedBlobLayer {
  descriptor: Descriptor;
  diffId: Digest;
  /** Opens a fresh stream of the compressed bytes. */
  open: () => Promise<Readable>;
  /** Names the source in errors: `layer sha256:… of host/repo`. Defaults to `layer <digest>`. */
  what?: string;
}

/** A Layer over compressed bytes; compressed() verifies digest and size while streaming. */
export function layerFromCompressedBlob(opts: CompressedBlobLayer): Layer {
  const { descriptor: d, diffId } = opts;
  const what = opts.what ?? `layer ${d.digest}`;
  const compressed = async (): Promise<Readable> => chain(await opts.open(), new VerifyingStream({ digest: d.digest, size: d.size, what }));
  return {
    digest: async () => d.digest,
    diffId: async () => diffId,
    size: async () => d.size,
    mediaType: () => d.mediaType,
    compressed,
    uncompressed: async () => chain(await compressed(), decompressStream(d.mediaType)),
  };
}

export interface FileLayer {
  path: string;
  mediaType: MediaType;
  digest: Digest;
  diffId: Digest;
  size: number;
}

/** A Layer over a compressed blob on disk (a layer Kiln wrote, a /cache blob), verified on read. */
export function layerFromFile(f: FileLayer): Layer {
  return layerFromCompressedBlob({
    descriptor: { mediaType: f.mediaType, digest: f.digest, size: f.size },
    diffId: f.diffId,
    what: `layer ${f.digest} in ${f.path}`,
    open: async () => {
      try {
        return (await openFile(f.path, 'r')).createReadStream();
      } catch (cause) {
        throw new KilnError('E_IO', `opening layer ${f.digest} at ${f.path}: ${(cause as Error).message}`, { cause });
      }
    },
  });
}
