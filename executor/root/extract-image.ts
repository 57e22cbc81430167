// Extract an image's layers in order (DESIGN.md §3). While layer N is extracted, layer N+1 is
// downloaded and decompressed into a spool file outside the root (zlib runs on libuv's
// threadpool, so both cores work). Every layer's diff_id is checked as it streams: a layer that
// lies fails the build before the image is used.
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream, type Digest } from '../../shared/digest.ts';
import { isKilnError, KilnError } from '../../shared/errors.ts';
import type { Layer } from '../../shared/image/index.ts';
import type { ExtractOptions, ExtractStats } from './extract-context.ts';
import { extractLayer } from './extract-layer.ts';

export interface ExtractImageOptions extends Omit<ExtractOptions, 'layerName'> {
  /** A directory outside the root (and ignored) for spooling layers ahead; absent: no overlap. */
  spoolDir?: string;
  /** How many layers to spool ahead of the one being extracted (default 1). */
  prefetch?: number;
  /** A pass-through the tar of layer `index` flows through on its way to extraction (progress). */
  tap?: (index: number, name: string) => Transform | undefined;
}

interface Spool {
  done: Promise<string>;
  source?: Readable;
}

export async function extractImage(layers: readonly Layer[], opts: ExtractImageOptions): Promise<ExtractStats[]> {
  const ahead = opts.spoolDir === undefined ? 0 : Math.max(0, opts.prefetch ?? 1);
  const spools = new Map<number, Spool>();
  const results: ExtractStats[] = [];
  try {
    for (let i = 0; i < layers.length; i++) {
      for (let j = i + 1; j <= i + ahead && j < layers.length; j++) {
        if (!spools.has(j)) spools.set(j, spoolLayer(layers[j] as Layer, join(opts.spoolDir as string, `layer-${process.pid}-${j}.tar`)));
      }
      const layer = layers[i] as Layer;
      const name = await layerName(layer);
      const spool = spools.get(i);
      if (spool !== undefined) {
        const path = await spool.done;
        try {
          const tar = createReadStream(path, { highWaterMark: 1 << 20 });
          results.push(await extractLayer(tapped(tar, opts.tap?.(i, name)), { ...opts, layerName: name }));
        } finally {
          rmSync(path, { force: true });
        }
      } else {
        results.push(await extractStreaming(layer, name, { ...opts, tap: undefined }, opts.tap?.(i, name)));
      }
      opts.logger?.debug(`extracted layer ${name}`, { entries: results[i]?.entries, bytes: results[i]?.bytes });
    }
  } finally {
    for (const s of spools.values()) {
      s.source?.destroy();
      s.done.then((p) => rmSync(p, { force: true }), () => {});
    }
  }
  return results;
}

async function layerName(layer: Layer): Promise<string> {
  try {
    return await layer.digest();
  } catch {
    return await layer.diffId();
  }
}

function tapped(tar: Readable, tap: Transform | undefined): Readable {
  if (tap === undefined) return tar;
  tar.on('error', (e) => tap.destroy(e));
  return tar.pipe(tap);
}

async function extractStreaming(layer: Layer, name: string, opts: ExtractImageOptions, tap: Transform | undefined): Promise<ExtractStats> {
  const want = await layer.diffId();
  const hash = new HashingStream();
  const source = await layer.uncompressed();
  source.on('error', (e) => hash.destroy(e));
  try {
    const stats = await extractLayer(tapped(source.pipe(hash), tap), { ...opts, layerName: name });
    checkDiffId(name, hash.digest(), want);
    return stats;
  } finally {
    source.destroy(); // a failed extraction must not leave the download open
  }
}

function spoolLayer(layer: Layer, path: string): Spool {
  const spool: Spool = { done: Promise.resolve(path) };
  spool.done = (async () => {
    const want = await layer.diffId();
    const hash = new HashingStream();
    const source = await layer.uncompressed();
    spool.source = source;
    try {
      await pipeline(source, hash, createWriteStream(path, { mode: 0o600 }));
      checkDiffId(await layerName(layer), hash.digest(), want);
    } catch (cause) {
      rmSync(path, { force: true });
      if (isKilnError(cause)) throw cause;
      throw new KilnError('E_IO', `spooling layer ${await layerName(layer)} to ${path}: ${(cause as Error).message}`, { cause });
    }
    return path;
  })();
  spool.done.catch(() => {}); // observed when its turn comes; no unhandled rejection meanwhile
  return spool;
}

function checkDiffId(name: string, got: Digest, want: Digest): void {
  if (got !== want) {
    throw new KilnError('E_DIGEST_MISMATCH', `extracting layer ${name}: uncompressed content has diff_id ${got}, the image config says ${want}`, {
      hint: 'the image is corrupt or was tampered with; nothing from it is used',
    });
  }
}
