import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { randomImage, randomLayer, tarOf } from '../../test/helpers/random-image.ts';
import { sha256 } from '../digest.ts';
import { appendLayers, withConfig } from './mutate.ts';
import { imageFromParts, layerFromCompressedBlob } from './partial.ts';
import { MediaTypes, type ConfigFile, type Image, type Layer } from './types.ts';
import { validateImage } from './validate.ts';

async function failure(img: Image): Promise<{ code: string; message: string }> {
  try {
    await validateImage(img);
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('validateImage accepted a broken image');
}

describe('validateImage', () => {
  it('accepts good images of every kind', async () => {
    await validateImage(await randomImage({ layers: 3 }));
    await validateImage(await randomImage({ layers: 2, mediaTypes: 'oci', compression: 'none' }));
    await validateImage(await randomImage({ layers: 0 }));
  });

  it('detects a corrupt layer (bytes that do not match the descriptor)', async () => {
    const tar = await tarOf([{ name: 'f', content: Buffer.from('good') }]);
    const gz = gzipSync(tar);
    const corrupt = Buffer.from(gz);
    corrupt[20] = (corrupt[20] ?? 0) ^ 1;
    const layer = layerFromCompressedBlob({
      descriptor: { mediaType: MediaTypes.dockerLayer, digest: sha256(gz), size: gz.length },
      diffId: sha256(tar),
      open: async () => Readable.from([corrupt]),
    });
    const err = await failure(appendLayers(await randomImage({ layers: 1 }), [{ layer }]));
    expect(err.code).toBe('E_DIGEST_MISMATCH');
    expect(err.message).toContain(`layer 1 (${sha256(gz)})`);
  });

  it('detects a diff_id that does not match the uncompressed content', async () => {
    const good = await randomLayer();
    const liar: Layer = { ...good, diffId: async () => sha256('other') };
    const err = await failure(appendLayers(await randomImage({ layers: 1 }), [{ layer: liar }]));
    expect(err.code).toBe('E_DIGEST_MISMATCH');
    expect(err.message).toMatch(/decompressed content has digest sha256:[0-9a-f]{64}, the config's diff_id is sha256:/);
  });

  it('detects a config that does not match the manifest descriptor', async () => {
    const img = await randomImage({ layers: 1 });
    const other = Buffer.from((await img.rawConfig()).toString().replace('"os":"linux"', '"os":"linux" '));
    const forged = imageFromParts({ rawManifest: await img.rawManifest(), rawConfig: other, layer: () => { throw new Error('unused'); } });
    const err = await failure(forged);
    expect(err.code).toBe('E_DIGEST_MISMATCH');
    expect(err.message).toContain('config has digest');
    expect(err.message).toContain('config is ');
  });

  it('detects a history that disagrees with the layer count', async () => {
    const img = await randomImage({ layers: 2 });
    const cfg = structuredClone(await img.config()) as ConfigFile;
    cfg.history = [{ created_by: 'only one' }];
    const err = await failure(withConfig(img, cfg));
    expect(err.code).toBe('E_MANIFEST');
    expect(err.message).toContain('the history has 1 entries with a layer, the manifest 2 layers');
  });

  it('detects a layer whose size() lies', async () => {
    const good = await randomLayer();
    const liar: Layer = { ...good, size: async () => (await good.size()) + 1 };
    const img = appendLayers(await randomImage({ layers: 0 }), [{ layer: liar }]);
    const err = await failure(img);
    expect(err.code).toBe('E_DIGEST_MISMATCH');
  });
});
