import { describe, expect, it } from 'vitest';
import { configJson, indexJson, manifestJson } from './json.ts';
import { MediaTypes, type ConfigFile, type IndexManifest, type Manifest } from './types.ts';

const D = `sha256:${'a'.repeat(64)}` as const;

describe('canonical JSON', () => {
  it('writes manifests in struct order, whatever the insertion order', () => {
    const m = { layers: [{ size: 3, digest: D, mediaType: MediaTypes.ociLayerGzip }], config: { size: 2, digest: D, mediaType: MediaTypes.ociConfig }, mediaType: MediaTypes.ociManifest, schemaVersion: 2, annotations: { z: '1', a: '2' } } as Manifest;
    expect(manifestJson(m).toString()).toBe(
      `{"schemaVersion":2,"mediaType":"${MediaTypes.ociManifest}","config":{"mediaType":"${MediaTypes.ociConfig}","digest":"${D}","size":2},` +
        `"layers":[{"mediaType":"${MediaTypes.ociLayerGzip}","digest":"${D}","size":3}],"annotations":{"a":"2","z":"1"}}`,
    );
  });

  it('writes indexes with platforms in order', () => {
    const i: IndexManifest = { manifests: [{ platform: { variant: 'v8', os: 'linux', architecture: 'arm64' }, size: 1, digest: D, mediaType: MediaTypes.ociManifest }], schemaVersion: 2 };
    expect(indexJson(i).toString()).toBe(`{"schemaVersion":2,"manifests":[{"mediaType":"${MediaTypes.ociManifest}","digest":"${D}","size":1,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}`);
  });

  it('sorts map keys and puts unknown keys last, sorted', () => {
    const c = { zeta: 1, alpha: 2, rootfs: { diff_ids: [], type: 'layers' }, config: { Labels: { b: '1', a: '2' }, Env: ['A=1'], User: 'u' }, os: 'linux', architecture: 'amd64' } as unknown as ConfigFile;
    expect(configJson(c).toString()).toBe(
      '{"architecture":"amd64","os":"linux","config":{"User":"u","Env":["A=1"],"Labels":{"a":"2","b":"1"}},"rootfs":{"type":"layers","diff_ids":[]},"alpha":2,"zeta":1}',
    );
  });
});
