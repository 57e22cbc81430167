import { describe, expect, it } from 'vitest';
import { randomLayer } from '../../test/helpers/random-image.ts';
import { scratchImage } from './empty.ts';
import { appendLayers } from './mutate.ts';
import { MediaTypes } from './types.ts';
import { validateImage } from './validate.ts';

describe('scratchImage', () => {
  it('is an empty, valid Docker image for the platform', async () => {
    const img = scratchImage({ os: 'linux', architecture: 'arm64', variant: 'v8' }, { mediaTypes: 'docker' });
    await validateImage(img);
    const [m, c] = await Promise.all([img.manifest(), img.config()]);
    expect(m.mediaType).toBe(MediaTypes.dockerManifest);
    expect(m.config.mediaType).toBe(MediaTypes.dockerConfig);
    expect(m.layers).toEqual([]);
    expect(c).toEqual({ architecture: 'arm64', os: 'linux', variant: 'v8', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] });
    expect(await img.layers()).toEqual([]);
  });

  it('has OCI media types when asked, and a stable digest', async () => {
    const a = scratchImage({ os: 'linux', architecture: 'amd64' }, { mediaTypes: 'oci' });
    const b = scratchImage({ os: 'linux', architecture: 'amd64' }, { mediaTypes: 'oci' });
    expect(await a.mediaType()).toBe(MediaTypes.ociManifest);
    expect((await a.manifest()).config.mediaType).toBe(MediaTypes.ociConfig);
    expect(await a.digest()).toBe(await b.digest());
    expect((await a.config()).variant).toBeUndefined();
  });

  it('is a base to append to', async () => {
    const img = appendLayers(scratchImage({ os: 'linux', architecture: 'amd64' }, { mediaTypes: 'oci' }), [{ layer: await randomLayer({ mediaTypes: 'oci' }), history: { created_by: 'COPY a b' } }]);
    await validateImage(img);
    expect((await img.config()).history).toEqual([{ created_by: 'COPY a b' }]);
  });
});
