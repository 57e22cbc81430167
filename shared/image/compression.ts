// Layer compression: gzip through node:zlib, zstd through node:zlib when this Node has it
// (22.15+) and the pure-JS fzstd otherwise; uncompressed tar passes through.
import { Duplex, PassThrough, Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress as FzstdDecompress } from 'fzstd';
import { KilnError } from '../errors.ts';
import { MediaTypes, type MediaType } from './types.ts';
import { ZstdFrameSplitter } from './zstd-frames.ts';

export type Compression = 'gzip' | 'zstd' | 'none';

interface ZstdZlib {
  createZstdDecompress?: () => Transform;
  createZstdCompress?: (opts: { params: Record<number, number> }) => Transform;
  constants: Record<string, number>;
}
const zstdZlib = zlib as unknown as ZstdZlib;

const SNIFF_BYTES = 4;

/** The compression of a blob from its first bytes (at least 4 for zstd): gzip, zstd or none. */
export function detectCompression(firstBytes: Uint8Array): Compression {
  const b = firstBytes;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  // zstd skippable frame: magic 0x184D2A5? little-endian (zstd:chunked starts with one).
  if (b.length >= 4 && ((b[0] ?? 0) & 0xf0) === 0x50 && b[1] === 0x2a && b[2] === 0x4d && b[3] === 0x18) return 'zstd';
  return 'none';
}

/** The compression a layer media type declares; undefined when it declares none we know. */
export function compressionOf(mediaType: MediaType): Compression | undefined {
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.zstd')) return 'zstd';
  if (mediaType.endsWith('+gzip') || mediaType.endsWith('.gzip')) return 'gzip';
  if (mediaType.endsWith('.tar') || mediaType === MediaTypes.ociLayer) return 'none';
  return undefined;
}

/** fzstd's streaming decoder as a Transform. */
class JsZstdDecompress extends Transform {
  readonly #d = new FzstdDecompress((data) => {
    this.push(Buffer.from(data));
  });

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.#d.push(chunk);
      cb();
    } catch (e) {
      cb(zstdError(e));
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.#d.push(new Uint8Array(0), true);
      cb();
    } catch (e) {
      cb(zstdError(e));
    }
  }
}

function zstdError(cause: unknown): KilnError {
  return new KilnError('E_LAYER', `decompressing zstd: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

/** The pure-JS zstd decoder (what Node < 22.15 uses); exported for tests on newer Node. */
export function jsZstdDecompress(): Transform {
  return new JsZstdDecompress();
}

function decompressor(c: Compression): Transform {
  if (c === 'gzip') return zlib.createGunzip();
  if (c === 'zstd') return zstdZlib.createZstdDecompress?.() ?? new JsZstdDecompress();
  return new PassThrough();
}

/**
 * A stream that decompresses a layer blob. The compression is read from the first bytes (as
 * Docker and containerd do), so a layer whose media type misstates it still reads; a media
 * type that is not a tar layer at all is refused.
 */
export function decompressStream(mediaType?: MediaType): Duplex {
  if (mediaType !== undefined && compressionOf(mediaType) === undefined && !mediaType.includes('layer')) {
    throw new KilnError('E_LAYER', `decompressing a blob of media type "${mediaType}": not a layer media type`);
  }
  return new SniffingDecompressor();
}

/**
 * Buffers the first bytes, picks a decompressor, then streams through it with backpressure.
 * zstd goes in one frame per write (see zstd-frames.ts), so node:zlib's decoder reads every frame.
 */
class SniffingDecompressor extends Duplex {
  #head: Buffer[] = [];
  #headLength = 0;
  #inner: Transform | undefined;
  #frames: ZstdFrameSplitter | undefined;
  /** The reader asked for more and has not been refused since (push() returned false). */
  #wanted = false;

  #start(head: Buffer): Transform {
    const kind = detectCompression(head);
    const inner = decompressor(kind);
    this.#inner = inner;
    this.#frames = kind === 'zstd' ? new ZstdFrameSplitter() : undefined;
    this.#head = [];
    inner.on('readable', () => this.#pump());
    inner.on('end', () => this.push(null));
    inner.on('error', (e) => this.destroy(e));
    return inner;
  }

  #feed(inner: Transform, chunk: Buffer, cb: (e?: Error | null) => void): void {
    let pieces: Buffer[];
    try {
      pieces = this.#frames?.split(chunk) ?? [chunk];
    } catch (e) {
      return cb(e as Error);
    }
    let ok = true;
    for (const piece of pieces) ok = inner.write(piece);
    if (ok) cb();
    else inner.once('drain', () => cb());
  }

  #pump(): void {
    const inner = this.#inner;
    if (inner === undefined || !this.#wanted) return;
    for (let c = inner.read(); c !== null; c = inner.read()) {
      if (!this.push(c)) {
        this.#wanted = false;
        return;
      }
    }
  }

  override _read(): void {
    this.#wanted = true;
    this.#pump();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const inner = this.#inner;
    if (inner !== undefined) return this.#feed(inner, chunk, cb);
    this.#head.push(chunk);
    this.#headLength += chunk.length;
    if (this.#headLength < SNIFF_BYTES) return cb();
    const head = Buffer.concat(this.#head);
    this.#feed(this.#start(head), head, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    let inner = this.#inner;
    if (inner === undefined) {
      const head = Buffer.concat(this.#head); // under SNIFF_BYTES: never zstd
      inner = this.#start(head);
      if (head.length > 0) inner.write(head);
    }
    try {
      this.#frames?.end();
    } catch (e) {
      return cb(e as Error);
    }
    inner.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#inner?.destroy();
    cb(err);
  }
}

/**
 * A compressing stream for new layers. zstd needs Node 22.15+ (node:zlib's zstd);
 * on older Node it throws E_NOT_IMPLEMENTED. `level` defaults to each codec's default.
 */
export function compressStream(kind: Compression, level?: number): Transform {
  if (kind === 'gzip') return zlib.createGzip(level === undefined ? {} : { level });
  if (kind === 'none') return new PassThrough();
  const create = zstdZlib.createZstdCompress;
  if (create === undefined) {
    throw new KilnError('E_NOT_IMPLEMENTED', 'zstd compression needs Node 22.15 or newer', {
      hint: `use --compression=gzip, or run the Kiln image, which ships Node 22 (this is Node ${process.versions.node})`,
    });
  }
  const key = zstdZlib.constants.ZSTD_c_compressionLevel;
  return create({ params: level === undefined || key === undefined ? {} : { [key]: level } });
}
