// Mutations by wrapping (go-containerregistry's `mutate`): each returns a new lazy Image over
// its base; nothing is copied or read until the new image is used.
import { KilnError } from '../errors.ts';
import { derivedImage, documentsOf } from './derived.ts';
import { MediaTypes, type ConfigFile, type Descriptor, type History, type Image, type Layer, type MediaType } from './types.ts';

export interface Addendum {
  layer: Layer;
  /** The history entry for this layer; `{}` when omitted. `empty_layer` is dropped: it has a layer. */
  history?: History;
  annotations?: Record<string, string>;
}

/**
 * `base` with layers appended: manifest descriptors, config diff_ids and history grow together.
 * A base without any history gets one `{}` entry per existing layer, so the counts stay consistent.
 */
export function appendLayers(base: Image, adds: Addendum[]): Image {
  return derivedImage(base, async () => {
    const d = await documentsOf(base);
    const descs = await Promise.all(adds.map(descriptorOf));
    const diffIds = await Promise.all(adds.map((a) => a.layer.diffId()));
    const old = d.config.history ?? [];
    const history: History[] = old.length === 0 ? d.layers.map(() => ({})) : old;
    for (const a of adds) {
      const { empty_layer: _ignored, ...h } = a.history ?? {};
      history.push(h);
    }
    d.manifest.layers.push(...descs);
    d.config.rootfs = { type: 'layers', diff_ids: [...d.config.rootfs.diff_ids, ...diffIds] };
    d.config.history = history;
    return { manifest: d.manifest, config: d.config, layers: [...d.layers, ...adds.map((a) => a.layer)] };
  });
}

async function descriptorOf(a: Addendum): Promise<Descriptor> {
  const [digest, size] = await Promise.all([a.layer.digest(), a.layer.size()]);
  const d: Descriptor = { mediaType: a.layer.mediaType(), digest, size };
  if (a.annotations !== undefined) d.annotations = { ...a.annotations };
  return d;
}

/** `base` with another config; rawConfig and the manifest's config descriptor are recomputed. */
export function withConfig(base: Image, cfg: ConfigFile): Image {
  return derivedImage(base, async () => {
    const d = await documentsOf(base);
    return { manifest: d.manifest, config: structuredClone(cfg), layers: d.layers };
  });
}

/** `base` with history entries appended for steps that made no layer (marked `empty_layer: true`). */
export function withHistory(base: Image, entries: History[]): Image {
  return derivedImage(base, async () => {
    const d = await documentsOf(base);
    d.config.history = [...(d.config.history ?? []), ...entries.map((e) => ({ ...e, empty_layer: true }))];
    return d;
  });
}

/** `base` with annotations merged into its manifest's. */
export function withAnnotations(base: Image, annotations: Record<string, string>): Image {
  return derivedImage(base, async () => {
    const d = await documentsOf(base);
    d.manifest.annotations = { ...d.manifest.annotations, ...annotations };
    return d;
  });
}

type Flavour = 'docker' | 'oci';

const LAYER_TYPES: [docker: MediaType, oci: MediaType][] = [
  [MediaTypes.dockerLayer, MediaTypes.ociLayerGzip],
  [MediaTypes.dockerLayerUncompressed, MediaTypes.ociLayer],
  [MediaTypes.dockerForeignLayer, MediaTypes.ociLayerNondistributableGzip],
];

/** The layer media type `mt` becomes under `to`; unknown types are kept. */
function convertLayerType(mt: MediaType, to: Flavour): MediaType {
  if (to === 'docker' && mt === MediaTypes.ociLayerZstd) {
    throw new KilnError('E_MANIFEST', 'converting to Docker media types: Docker manifests cannot carry zstd layers', {
      hint: 'use OCI media types with zstd, or --compression=gzip',
    });
  }
  const pair = LAYER_TYPES.find(([d, o]) => d === mt || o === mt);
  return pair === undefined ? mt : to === 'docker' ? pair[0] : pair[1];
}

function withLayerMediaType(l: Layer, mediaType: MediaType): Layer {
  if (l.mediaType() === mediaType) return l;
  return {
    digest: () => l.digest(),
    diffId: () => l.diffId(),
    size: () => l.size(),
    mediaType: () => mediaType,
    compressed: () => l.compressed(),
    uncompressed: () => l.uncompressed(),
  };
}

/**
 * `base` with Docker v2 schema 2 or OCI media types throughout (manifest, config and layers,
 * as BuildKit converts them); the base itself when it already has them.
 */
export function withMediaTypes(base: Image, to: Flavour): Image {
  return derivedImage(base, async () => {
    const d = await documentsOf(base);
    const manifestType = to === 'docker' ? MediaTypes.dockerManifest : MediaTypes.ociManifest;
    const configType = to === 'docker' ? MediaTypes.dockerConfig : MediaTypes.ociConfig;
    const layerTypes = d.manifest.layers.map((l) => convertLayerType(l.mediaType, to));
    const same = d.manifest.mediaType === manifestType && d.manifest.config.mediaType === configType && layerTypes.every((t, i) => t === d.manifest.layers[i]?.mediaType);
    if (same) return undefined;
    d.manifest.mediaType = manifestType;
    d.manifest.config.mediaType = configType;
    d.manifest.layers.forEach((l, i) => {
      l.mediaType = layerTypes[i] as MediaType;
    });
    return { manifest: d.manifest, config: d.config, layers: d.layers.map((l, i) => withLayerMediaType(l, layerTypes[i] as MediaType)) };
  });
}

