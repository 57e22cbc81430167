// Write a base image straight into an OCI image layout: one gzip layer, a config per
// architecture, an image manifest tagged `<name>` (amd64) and an index tagged `<name>-multi`.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface ImageSpec {
  /** Uncompressed layer tar. */
  layerTar: string;
  env: string[];
  cmd: string[];
  createdBy: string;
  /** Fixed creation time (RFC 3339). */
  created: string;
}

function hasher(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: string, cb: TransformCallback) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

function writeJsonBlob(layout: string, value: unknown, mediaType: string): Descriptor {
  const data = Buffer.from(JSON.stringify(value));
  const hex = createHash('sha256').update(data).digest('hex');
  writeFileSync(join(layout, 'blobs', 'sha256', hex), data);
  return { mediaType, digest: `sha256:${hex}`, size: data.length };
}

async function writeLayer(layout: string, tarFile: string): Promise<{ desc: Descriptor; diffId: string }> {
  const tmp = join(layout, 'blobs', 'sha256', `layer.tmp-${process.pid}`);
  const raw = createHash('sha256');
  const gz = createHash('sha256');
  await pipeline(createReadStream(tarFile), hasher(raw), createGzip({ level: 6 }), hasher(gz), createWriteStream(tmp));
  const hex = gz.digest('hex');
  renameSync(tmp, join(layout, 'blobs', 'sha256', hex));
  return {
    desc: { mediaType: OCI_LAYER_GZIP, digest: `sha256:${hex}`, size: statSync(join(layout, 'blobs', 'sha256', hex)).size },
    diffId: `sha256:${raw.digest('hex')}`,
  };
}

interface Plat {
  architecture: string;
  variant?: string;
}

function imageFor(layout: string, spec: ImageSpec, layer: { desc: Descriptor; diffId: string }, plat: Plat): Descriptor {
  const config = {
    created: spec.created,
    ...plat,
    os: 'linux',
    config: { Env: spec.env, Cmd: spec.cmd },
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created: spec.created, created_by: spec.createdBy }],
  };
  const configDesc = writeJsonBlob(layout, config, OCI_CONFIG);
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDesc, layers: [layer.desc] };
  return { ...writeJsonBlob(layout, manifest, OCI_MANIFEST), platform: { ...plat, os: 'linux' } };
}

function tagged(desc: Descriptor, tag: string): Descriptor {
  return { ...desc, annotations: { 'org.opencontainers.image.ref.name': tag } };
}

/** Build `<name>` (linux/amd64) and `<name>-multi` (index of linux/amd64 and linux/arm64/v8) in layout. */
export async function writeImageLayout(layout: string, name: string, spec: ImageSpec): Promise<void> {
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const layer = await writeLayer(layout, spec.layerTar);
  const amd64 = imageFor(layout, spec, layer, { architecture: 'amd64' });
  // Same layer, different config: enough for platform selection. arm64 carries variant v8, as
  // Docker Hub's images do.
  const arm64 = imageFor(layout, spec, layer, { architecture: 'arm64', variant: 'v8' });
  const index = writeJsonBlob(layout, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [amd64, arm64] }, OCI_INDEX);
  const { platform: _drop, ...amd64Plain } = amd64;
  const top = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [tagged(amd64Plain, name), tagged(index, `${name}-multi`)] };
  writeFileSync(join(layout, 'index.json'), JSON.stringify(top, null, 2));
}
