import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { randomImage, randomLayer } from '../../test/helpers/random-image.ts';
import { sha256 } from '../digest.ts';
import { scratchImage } from './empty.ts';
import { appendLayers, withAnnotations, withConfig, withHistory, withMediaTypes } from './mutate.ts';
import { layerFromCompressedBlob } from './partial.ts';
import { MediaTypes, type ConfigFile, type Image } from './types.ts';
import { validateImage } from './validate.ts';

/** Count every call made on an image, to prove mutations are lazy. */
function counting(img: Image): { img: Image; calls: () => number } {
  let n = 0;
  const wrapped = Object.fromEntries(
    Object.entries(img).map(([k, fn]) => [k, (...a: unknown[]) => ((n++, (fn as (...x: unknown[]) => unknown)(...a)))]),
  ) as unknown as Image;
  return { img: wrapped, calls: () => n };
}

describe('appendLayers', () => {
  it('grows manifest, diff_ids and history together, and the result validates', async () => {
    const base = await randomImage({ layers: 2, layerBytes: 2048 });
    const baseDigest = await base.digest();
    const [l1, l2] = await Promise.all([randomLayer({ bytes: 3000 }), randomLayer({ bytes: 10 })]);
    const img = appendLayers(base, [{ layer: l1, history: { created_by: 'RUN one', empty_layer: true } }, { layer: l2, annotations: { a: 'b' } }]);
    await validateImage(img);
    const [m, c] = await Promise.all([img.manifest(), img.config()]);
    expect(m.layers.map((l) => l.digest)).toEqual([...(await base.manifest()).layers.map((l) => l.digest), await l1.digest(), await l2.digest()]);
    expect(m.layers[3]?.annotations).toEqual({ a: 'b' });
    expect(c.rootfs.diff_ids.slice(2)).toEqual([await l1.diffId(), await l2.diffId()]);
    expect(c.history?.slice(2)).toEqual([{ created_by: 'RUN one' }, {}]);
    expect(await base.digest()).toBe(baseDigest);
    expect((await img.layers()).length).toBe(4);
  });

  it('is lazy: nothing of the base is read before the new image is used', async () => {
    const { img: base, calls } = counting(await randomImage({ layers: 1 }));
    const img = appendLayers(base, [{ layer: await randomLayer() }]);
    expect(calls()).toBe(0);
    await img.digest();
    expect(calls()).toBeGreaterThan(0);
  });

  it('gives a base without history one entry per existing layer', async () => {
    const base = await randomImage({ layers: 2 });
    const cfg = structuredClone(await base.config()) as ConfigFile;
    delete cfg.history;
    const img = appendLayers(withConfig(base, cfg), [{ layer: await randomLayer(), history: { created_by: 'x' } }]);
    expect((await img.config()).history).toEqual([{}, {}, { created_by: 'x' }]);
    await validateImage(img);
  });

  it('is byte-stable: the same inputs give the same digest', async () => {
    const layers = [await randomLayer(), await randomLayer()];
    const build = () => appendLayers(scratchImage({ os: 'linux', architecture: 'arm64', variant: 'v8' }, { mediaTypes: 'oci' }), layers.map((layer) => ({ layer })));
    expect(await build().digest()).toBe(await build().digest());
    expect((await build().rawManifest()).equals(await build().rawManifest())).toBe(true);
  });
});

describe('withConfig, withHistory, withAnnotations', () => {
  it('withConfig recomputes rawConfig and the config descriptor, whatever the key order', async () => {
    const base = await randomImage({ layers: 1 });
    const cfg = structuredClone(await base.config()) as ConfigFile;
    // The same config with its keys inserted in reverse order gives the same bytes.
    const reversed = Object.fromEntries(Object.entries(cfg).reverse()) as unknown as ConfigFile;
    expect((await withConfig(base, reversed).rawConfig()).equals(await base.rawConfig())).toBe(true);
    expect(await withConfig(base, reversed).digest()).toBe(await base.digest());

    cfg.config = { Env: ['PATH=/bin'], Labels: { z: '1', a: '2' }, ExposedPorts: { '80/tcp': {} } };
    const img = withConfig(base, cfg);
    await validateImage(img);
    const m = await img.manifest();
    expect(m.config.digest).toBe(sha256(await img.rawConfig()));
    expect(m.config.size).toBe((await img.rawConfig()).length);
    expect(await img.digest()).not.toBe(await base.digest());
    expect((await img.rawConfig()).toString()).toContain('"Labels":{"a":"2","z":"1"}');
  });

  it('withHistory appends entries marked empty_layer', async () => {
    const base = await randomImage({ layers: 1 });
    const img = withHistory(base, [{ created_by: 'ENV A=b' }, { created_by: 'CMD ["sh"]', empty_layer: false }]);
    await validateImage(img);
    expect((await img.config()).history?.slice(1)).toEqual([
      { created_by: 'ENV A=b', empty_layer: true },
      { created_by: 'CMD ["sh"]', empty_layer: true },
    ]);
  });

  it('withAnnotations merges into the manifest', async () => {
    const base = withAnnotations(await randomImage({ layers: 1, mediaTypes: 'oci' }), { 'org.opencontainers.image.title': 't', keep: '1' });
    const img = withAnnotations(base, { 'org.opencontainers.image.title': 'u' });
    await validateImage(img);
    expect((await img.manifest()).annotations).toEqual({ 'org.opencontainers.image.title': 'u', keep: '1' });
  });
});

describe('withMediaTypes', () => {
  it('converts Docker to OCI and back, byte for byte', async () => {
    const docker = await randomImage({ layers: 2, mediaTypes: 'docker' });
    const oci = withMediaTypes(docker, 'oci');
    await validateImage(oci);
    const m = await oci.manifest();
    expect(m.mediaType).toBe(MediaTypes.ociManifest);
    expect(await oci.mediaType()).toBe(MediaTypes.ociManifest);
    expect(m.config.mediaType).toBe(MediaTypes.ociConfig);
    expect(m.layers.map((l) => l.mediaType)).toEqual([MediaTypes.ociLayerGzip, MediaTypes.ociLayerGzip]);
    expect((await oci.layers()).map((l) => l.mediaType())).toEqual([MediaTypes.ociLayerGzip, MediaTypes.ociLayerGzip]);
    const back = withMediaTypes(oci, 'docker');
    expect(await back.digest()).toBe(await docker.digest());
    await validateImage(back);
  });

  it('keeps the base untouched when it already has the media types', async () => {
    const docker = await randomImage({ layers: 1, mediaTypes: 'docker' });
    const same = withMediaTypes(docker, 'docker');
    expect((await same.rawManifest()).equals(await docker.rawManifest())).toBe(true);
  });

  it('converts uncompressed layers and refuses zstd layers in Docker manifests', async () => {
    const plain = await randomImage({ layers: 1, mediaTypes: 'oci', compression: 'none' });
    const docker = withMediaTypes(plain, 'docker');
    expect((await docker.manifest()).layers[0]?.mediaType).toBe(MediaTypes.dockerLayerUncompressed);
    await validateImage(docker);

    const zst = readFileSync(join(import.meta.dirname, 'testdata', 'content.zst'));
    const layer = layerFromCompressedBlob({
      descriptor: { mediaType: MediaTypes.ociLayerZstd, digest: sha256(zst), size: zst.length },
      diffId: sha256('unused'),
      open: async () => Readable.from([zst]),
    });
    const zstdImage = appendLayers(scratchImage({ os: 'linux', architecture: 'amd64' }, { mediaTypes: 'oci' }), [{ layer }]);
    await expect(withMediaTypes(zstdImage, 'docker').digest()).rejects.toMatchObject({ code: 'E_MANIFEST', message: expect.stringContaining('zstd') });
  });
});
