// Writing a layer in one pass (DESIGN.md §4): tar → sha256 (diffID) → compress → sha256
// (digest) → file. Memory stays flat whatever the layer size.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream, type Digest } from '../../shared/digest.ts';
import { isKilnError, KilnError } from '../../shared/errors.ts';
import { compressStream, MediaTypes, type Compression, type MediaType } from '../../shared/image/index.ts';
import type { IgnoreList } from '../root/ignore-list.ts';
import { layerXattrSource } from '../root/xattr.ts';
import { layerEntries, planEntries, type XattrSource } from './layer-entries.ts';
import { packTar, type PackEntry } from './tar-pack.ts';

export interface LayerOutput {
  /** The file to write (the compressed blob). */
  out: string;
  compression: Compression;
  level?: number;
  /** Media types of the base image's family (default oci; zstd and none are always OCI). */
  format?: 'oci' | 'docker';
}

export interface WriteLayerOptions extends LayerOutput {
  root: string;
  /** Root-relative paths; each one's parent directories are added, as Docker does. */
  paths: readonly string[];
  /** Root-relative paths deleted since the lower layers: `.wh.<name>` entries. */
  deletions?: readonly string[];
  /** Directories replaced as a whole: `.wh..wh..opq` markers. */
  opaqueDirs?: readonly string[];
  /** --reproducible: mtimes clamped to this epoch (seconds; 0 zeroes them). */
  reproducible?: { epoch: number };
  ignore?: IgnoreList;
  /**
   * Where xattrs come from. Default: security.capability read from disk when the native
   * binding loads (as Docker); pass layerXattrSource(store) to add what extraction recorded,
   * or null to write none.
   */
  xattrs?: XattrSource | null;
}

/** What layerFromFile (shared/image) wraps into a Layer. */
export interface WrittenLayer {
  path: string;
  digest: Digest;
  diffId: Digest;
  /** Compressed size. */
  size: number;
  mediaType: MediaType;
  /** Bytes of the uncompressed tar. */
  uncompressedSize: number;
}

export async function writeLayer(opts: WriteLayerOptions): Promise<WrittenLayer> {
  const items = planEntries(opts);
  const xattrs = opts.xattrs === undefined ? layerXattrSource(undefined) : (opts.xattrs ?? undefined);
  const entries = layerEntries(items, { root: opts.root, epoch: opts.reproducible?.epoch, xattrs });
  return writeLayerFromEntries(entries, opts);
}

/** Pack given entries (a step that knows exactly what it writes) into a layer file. */
export async function writeLayerFromEntries(entries: Iterable<PackEntry> | AsyncIterable<PackEntry>, out: LayerOutput): Promise<WrittenLayer> {
  const diff = new HashingStream();
  const blob = out.compression === 'none' ? undefined : new HashingStream(); // none: digest = diffID
  const stages: NodeJS.ReadWriteStream[] = blob === undefined ? [diff] : [diff, compressStream(out.compression, out.level), blob];
  try {
    await pipeline([Readable.from(packTar(entries), { objectMode: false }), ...stages, createWriteStream(out.out, { mode: 0o600 })]);
  } catch (cause) {
    if (isKilnError(cause)) throw cause;
    throw new KilnError('E_IO', `writing layer ${out.out}: ${(cause as Error).message}`, { cause });
  }
  const done = blob ?? diff;
  return {
    path: out.out, digest: done.digest(), diffId: diff.digest(), size: done.size,
    mediaType: layerMediaType(out.compression, out.format ?? 'oci'), uncompressedSize: diff.size,
  };
}

export function layerMediaType(c: Compression, format: 'oci' | 'docker'): MediaType {
  if (c === 'gzip') return format === 'docker' ? MediaTypes.dockerLayer : MediaTypes.ociLayerGzip;
  return c === 'zstd' ? MediaTypes.ociLayerZstd : MediaTypes.ociLayer;
}
