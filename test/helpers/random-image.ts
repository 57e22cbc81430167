// randomImage: an image with real random tar layers (go-containerregistry's random.Image),
// built in memory with tar-stream. For tests: call validateImage on what you build from it.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { sha256 } from '../../shared/digest.ts';
import {
  MediaTypes, appendLayers, compressStream, layerFromCompressedBlob, scratchImage, type Compression, type Image, type Layer, type MediaType,
} from '../../shared/image/index.ts';

export interface RandomImageOptions {
  /** Number of layers (default 1). */
  layers?: number;
  /** Bytes of random content per layer (default 1024). */
  layerBytes?: number;
  mediaTypes?: 'docker' | 'oci';
  /** Layer compression (default gzip; zstd needs Node 22.15+, 'none' gives OCI plain tar layers). */
  compression?: Compression;
}

/** A tar holding one regular file with `content` (mode 0644, mtime 0), like ggcr's random layers. */
export async function tarOf(files: { name: string; content: Buffer; mode?: number }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const f of files) pack.entry({ name: f.name, size: f.content.length, mode: f.mode ?? 0o644, mtime: new Date(0) }, f.content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function compress(data: Buffer, c: Compression): Promise<Buffer> {
  if (c === 'gzip') return gzipSync(data);
  if (c === 'none') return data;
  const chunks: Buffer[] = [];
  for await (const x of Readable.from([data]).pipe(compressStream('zstd'))) chunks.push(x as Buffer);
  return Buffer.concat(chunks);
}

function layerMediaType(c: Compression, mediaTypes: 'docker' | 'oci'): MediaType {
  if (c === 'zstd') return MediaTypes.ociLayerZstd;
  if (mediaTypes === 'docker') return c === 'gzip' ? MediaTypes.dockerLayer : MediaTypes.dockerLayerUncompressed;
  return c === 'gzip' ? MediaTypes.ociLayerGzip : MediaTypes.ociLayer;
}

/** A Layer over an in-memory tar, compressed as asked. */
export async function layerFromTar(tarBytes: Buffer, opts: { compression?: Compression; mediaTypes?: 'docker' | 'oci' } = {}): Promise<Layer> {
  const c = opts.compression ?? 'gzip';
  const blob = await compress(tarBytes, c);
  return layerFromCompressedBlob({
    descriptor: { mediaType: layerMediaType(c, opts.mediaTypes ?? 'docker'), digest: sha256(blob), size: blob.length },
    diffId: sha256(tarBytes),
    open: async () => Readable.from([blob]),
  });
}

/** A layer with one file of `bytes` random bytes. */
export async function randomLayer(opts: { bytes?: number; compression?: Compression; mediaTypes?: 'docker' | 'oci' } = {}): Promise<Layer> {
  const content = randomBytes(opts.bytes ?? 1024);
  const name = `random_file_${content.subarray(0, 8).toString('hex')}.txt`;
  return layerFromTar(await tarOf([{ name, content }]), opts);
}

/** An image of `layers` random layers on scratch (linux/amd64), each with a history entry. */
export async function randomImage(opts: RandomImageOptions = {}): Promise<Image> {
  // Docker manifests cannot carry zstd layers: zstd images get OCI media types.
  const mediaTypes = opts.compression === 'zstd' ? 'oci' : (opts.mediaTypes ?? 'docker');
  const adds = [];
  for (let i = 0; i < (opts.layers ?? 1); i++) {
    const layer = await randomLayer({ bytes: opts.layerBytes ?? 1024, compression: opts.compression ?? 'gzip', mediaTypes });
    adds.push({ layer, history: { created_by: `random layer ${i}`, created: new Date(0).toISOString() } });
  }
  return appendLayers(scratchImage({ os: 'linux', architecture: 'amd64' }, { mediaTypes }), adds);
}
