import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { randomImage, tarOf } from '../../test/helpers/random-image.ts';
import { sha256, type Digest } from '../digest.ts';
import { imageFromParts, layerFromCompressedBlob, layerFromFile, parseManifest } from './partial.ts';
import { MediaTypes, type Image } from './types.ts';
import { validateImage } from './validate.ts';

async function bytes(s: NodeJS.ReadableStream): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(Buffer.from(c as Buffer));
  return Buffer.concat(out);
}

function testdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-image-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The blobs of an image, keyed by digest. */
async function blobsOf(img: Image): Promise<Map<string, Buffer>> {
  const blobs = new Map<string, Buffer>();
  for (const l of await img.layers()) blobs.set(await l.digest(), await bytes(await l.compressed()));
  return blobs;
}

async function rebuilt(img: Image, counter = { config: 0, opens: 0 }): Promise<Image> {
  const blobs = await blobsOf(img);
  const rawConfig = await img.rawConfig();
  return imageFromParts({
    rawManifest: await img.rawManifest(),
    rawConfig: async () => {
      counter.config++;
      return rawConfig;
    },
    layer: (descriptor, diffId) =>
      layerFromCompressedBlob({
        descriptor,
        diffId,
        open: async () => {
          counter.opens++;
          return Readable.from([blobs.get(descriptor.digest) ?? Buffer.alloc(0)]);
        },
      }),
  });
}

describe('imageFromParts', () => {
  it('rebuilds an image from its raw parts, lazily and once', async () => {
    const img = await randomImage({ layers: 3, layerBytes: 4096 });
    const counter = { config: 0, opens: 0 };
    const copy = await rebuilt(img, counter);
    expect(counter.config).toBe(0);
    expect(await copy.digest()).toBe(await img.digest());
    expect(await copy.digest()).toBe(sha256(await copy.rawManifest()));
    await Promise.all([copy.config(), copy.config(), copy.rawConfig(), copy.layers()]);
    expect(counter.config).toBe(1);
    expect(await copy.mediaType()).toBe(MediaTypes.dockerManifest);
    expect(Object.isFrozen(await copy.manifest())).toBe(true);
    expect(Object.isFrozen((await copy.config()).rootfs.diff_ids)).toBe(true);
    await validateImage(copy);
    const second = (await copy.manifest()).layers[1];
    expect(await (await copy.layer(second?.digest as Digest)).digest()).toBe(second?.digest);
    await expect(copy.layer(sha256('nope'))).rejects.toMatchObject({ code: 'E_MANIFEST' });
  });

  it('infers the manifest media type from the config when the manifest omits it', async () => {
    const raw = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: MediaTypes.ociConfig, digest: sha256('{}'), size: 2 }, layers: [] }));
    const img = imageFromParts({ rawManifest: raw, rawConfig: Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]}}'), layer: () => { throw new Error('no layers'); } });
    expect(await img.mediaType()).toBe(MediaTypes.ociManifest);
  });

  it('rejects a config whose diff_ids do not match the manifest layers', async () => {
    const img = await randomImage({ layers: 2 });
    const cfg = JSON.parse((await img.rawConfig()).toString()) as { rootfs: { diff_ids: string[] } };
    cfg.rootfs.diff_ids.pop();
    const broken = imageFromParts({ rawManifest: await img.rawManifest(), rawConfig: Buffer.from(JSON.stringify(cfg)), layer: () => { throw new Error('unused'); } });
    await expect(broken.layers()).rejects.toMatchObject({ code: 'E_MANIFEST', message: expect.stringContaining('2 layers, the config 1 diff_ids') });
  });
});

describe('parseManifest', () => {
  it.each([
    ['not json', 'not valid JSON'],
    ['{"schemaVersion":1,"fsLayers":[]}', 'schema 1'],
    [`{"schemaVersion":2,"mediaType":"${MediaTypes.ociIndex}","manifests":[]}`, 'is an index'],
    ['{"schemaVersion":2,"layers":[]}', 'config descriptor'],
    ['[]', 'config descriptor'],
  ])('rejects %s', (raw, why) => {
    expect(() => parseManifest(Buffer.from(raw))).toThrow(expect.objectContaining({ code: 'E_MANIFEST', message: expect.stringContaining(why) }));
  });
});

describe('layerFromCompressedBlob', () => {
  const tarBytes = () => tarOf([{ name: 'hello.txt', content: Buffer.from('hello\n') }]);

  it('streams compressed and uncompressed bytes, verified', async () => {
    const tar = await tarBytes();
    const gz = gzipSync(tar);
    const layer = layerFromCompressedBlob({
      descriptor: { mediaType: MediaTypes.ociLayerGzip, digest: sha256(gz), size: gz.length },
      diffId: sha256(tar),
      open: async () => Readable.from([gz]),
    });
    expect((await bytes(await layer.compressed())).equals(gz)).toBe(true);
    expect((await bytes(await layer.uncompressed())).equals(tar)).toBe(true);
    expect(await layer.diffId()).toBe(sha256(tar));
    expect(layer.mediaType()).toBe(MediaTypes.ociLayerGzip);
  });

  it('fails the stream when the bytes do not match the descriptor', async () => {
    const gz = gzipSync(await tarBytes());
    const other = gzipSync(Buffer.from('something else entirely'));
    const make = (size: number, body: Buffer) =>
      layerFromCompressedBlob({
        descriptor: { mediaType: MediaTypes.dockerLayer, digest: sha256(gz), size },
        diffId: sha256('x'),
        open: async () => Readable.from([body]),
        what: 'layer of test/repo',
      });
    await expect(bytes(await make(gz.length, other).compressed())).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH', message: expect.stringContaining('layer of test/repo') });
    await expect(bytes(await make(gz.length - 1, gz).compressed())).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH', message: expect.stringContaining('more than') });
    await expect(bytes(await make(gz.length, other).uncompressed())).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
  });
});

describe('layerFromFile', () => {
  it('reads a blob from disk and verifies it', async () => {
    const dir = testdir();
    const tar = await tarBytes2();
    const gz = gzipSync(tar);
    const path = join(dir, 'blob');
    writeFileSync(path, gz);
    const f = { path, mediaType: MediaTypes.dockerLayer, digest: sha256(gz), diffId: sha256(tar), size: gz.length };
    expect((await bytes(await layerFromFile(f).uncompressed())).equals(tar)).toBe(true);
    writeFileSync(path, Buffer.concat([gz.subarray(0, 10), Buffer.alloc(gz.length - 10)]));
    await expect(bytes(await layerFromFile(f).compressed())).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH', message: expect.stringContaining(path) });
    await expect(layerFromFile({ ...f, path: join(dir, 'missing') }).compressed()).rejects.toMatchObject({ code: 'E_IO' });
  });
});

function tarBytes2(): Promise<Buffer> {
  return tarOf([{ name: 'a/b.txt', content: Buffer.from('file on disk') }]);
}
