// skopeo (1.9) and umoci read only OCI manifests from a layout's index.json: they skip or refuse
// a Docker v2 schema 2 descriptor. The store keeps a Docker image's own manifest (its digest is
// what `FROM x@sha256:…` and the build's base digest name, so the executor sees exactly what the
// registry serves), and beside it an OCI "view": the same config and layer blobs under OCI media
// types, as a second index entry carrying the ref name. Kiln never reads views.
import { sha256 } from '../digest.ts';
import { MediaTypes, type Descriptor, type Manifest, type MediaType } from '../image/types.ts';
import { Annotations } from './entry.ts';

const OCI_LAYER: Record<string, MediaType> = {
  [MediaTypes.dockerLayer]: MediaTypes.ociLayerGzip,
  [MediaTypes.dockerLayerUncompressed]: MediaTypes.ociLayer,
  [MediaTypes.dockerForeignLayer]: MediaTypes.ociLayerNondistributableGzip,
};

/** The OCI view's manifest bytes, or undefined when the manifest is OCI already. */
export function ociViewOf(manifest: Manifest, mediaType: MediaType): Buffer | undefined {
  if (mediaType !== MediaTypes.dockerManifest) return undefined;
  const view: Manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { ...manifest.config, mediaType: MediaTypes.ociConfig },
    layers: manifest.layers.map((l) => ({ ...l, mediaType: OCI_LAYER[l.mediaType] ?? l.mediaType })),
  };
  return Buffer.from(JSON.stringify(view));
}

/** The index.json descriptor of a view of the entry named `refName` (whose manifest is `of`). */
export function viewDescriptor(bytes: Buffer, o: { refName: string; of: Descriptor }): Descriptor {
  const d: Descriptor = {
    mediaType: MediaTypes.ociManifest,
    digest: sha256(bytes),
    size: bytes.length,
    annotations: { [Annotations.refName]: o.refName, [Annotations.viewOf]: o.of.digest },
  };
  if (o.of.platform !== undefined) d.platform = o.of.platform;
  return d;
}

export function isView(d: Descriptor): boolean {
  return d.annotations?.[Annotations.viewOf] !== undefined;
}
