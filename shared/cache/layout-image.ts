// An Image read lazily from the store's blobs: nothing is read until asked for, and every
// read is verified against its descriptor (a corrupt blob fails with E_DIGEST_MISMATCH).
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { isDigest, type Digest } from '../digest.ts';
import { KilnError } from '../errors.ts';
import { MediaTypes, type ConfigFile, type Descriptor, type Image, type Layer, type Manifest } from '../image/types.ts';
import { openVerified, readVerified } from './blobs.ts';

/** The image whose manifest `desc` describes, reading from the store in `dir`. */
export function imageFromLayout(dir: string, desc: Descriptor): Image {
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, f: () => Promise<T>): Promise<T> => {
    let p = memo.get(key) as Promise<T> | undefined;
    if (p === undefined) {
      p = f();
      memo.set(key, p);
      p.catch(() => memo.delete(key));
    }
    return p;
  };
  const rawManifest = (): Promise<Buffer> => once('m', () => readVerified(dir, desc, `manifest ${desc.digest}`));
  const manifest = (): Promise<Manifest> => once('mj', async () => parseJson<Manifest>(await rawManifest(), `manifest ${desc.digest}`));
  const rawConfig = (): Promise<Buffer> =>
    once('c', async () => {
      const m = await manifest();
      return readVerified(dir, m.config, `config ${m.config.digest}`);
    });
  const config = (): Promise<ConfigFile> => once('cj', async () => parseJson<ConfigFile>(await rawConfig(), 'image config'));
  const layers = (): Promise<Layer[]> =>
    once('l', async () => {
      const [m, c] = await Promise.all([manifest(), config()]);
      const diffIds = c.rootfs?.diff_ids ?? [];
      if (diffIds.length !== m.layers.length) {
        throw new KilnError('E_MANIFEST', `reading image ${desc.digest} from ${dir}: ${m.layers.length} layers but ${diffIds.length} diff_ids`);
      }
      return m.layers.map((l, i) => layoutLayer(dir, l, diffIds[i] as Digest));
    });
  return {
    rawManifest,
    manifest,
    rawConfig,
    config,
    digest: () => Promise.resolve(desc.digest),
    mediaType: async () => (await manifest()).mediaType ?? desc.mediaType,
    layers,
    layer: async (digest) => {
      const [m, ls] = await Promise.all([manifest(), layers()]);
      const i = m.layers.findIndex((l) => l.digest === digest);
      const found = ls[i];
      if (found === undefined) throw new KilnError('E_MANIFEST', `image ${desc.digest} has no layer ${digest}`);
      return found;
    },
  };
}

function layoutLayer(dir: string, desc: Descriptor, diffId: Digest): Layer {
  if (!isDigest(diffId)) throw new KilnError('E_MANIFEST', `layer ${desc.digest}: bad diff_id "${String(diffId)}"`);
  const compressed = (): Promise<Readable> => openVerified(dir, desc, `layer ${desc.digest}`);
  return {
    digest: () => Promise.resolve(desc.digest),
    diffId: () => Promise.resolve(diffId),
    size: () => Promise.resolve(desc.size),
    mediaType: () => desc.mediaType,
    compressed,
    uncompressed: async () => {
      const src = await compressed();
      const out = decompressor(desc.mediaType);
      src.on('error', (e) => out.destroy(e));
      return src.pipe(out);
    },
  };
}

function decompressor(mediaType: string): Transform {
  if (mediaType === MediaTypes.ociLayerZstd) return zstdStream();
  if (mediaType === MediaTypes.ociLayer || mediaType.endsWith('.tar')) return new Transform({ transform: (c, _e, cb) => cb(null, c) });
  return createGunzip();
}

function zstdStream(): Transform {
  const t: Transform = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        z.push(chunk);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb) {
      try {
        z.push(new Uint8Array(0), true);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
  const z = new Decompress((data) => t.push(Buffer.from(data)));
  return t;
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (e) {
    throw new KilnError('E_MANIFEST', `parsing ${what}: ${(e as Error).message}`, { cause: e });
  }
}
