import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect, onTestFinished, test } from 'vitest';
import { OCI_INDEX, OCI_MANIFEST, writeImageLayout } from './oci-layout.ts';

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; variant?: string };
}

test('writes an image tag and a two-platform index tag whose blobs match their digests', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-layout-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const tarFile = join(dir, 'layer.tar');
  const tarBytes = Buffer.alloc(2048, 0); // an empty tar: two zero blocks
  writeFileSync(tarFile, tarBytes);
  const layout = join(dir, 'layout');
  await writeImageLayout(layout, 'img', { layerTar: tarFile, env: ['PATH=/bin'], cmd: ['sh'], createdBy: 'test', created: '2024-01-01T00:00:00Z' });

  const blob = (d: Desc): Buffer => {
    const data = readFileSync(join(layout, 'blobs', 'sha256', d.digest.slice('sha256:'.length)));
    expect(`sha256:${createHash('sha256').update(data).digest('hex')}`).toBe(d.digest);
    expect(data.length).toBe(d.size);
    return data;
  };
  const top = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Desc[] };
  expect(top.manifests.map((m) => [m.mediaType, m.annotations?.['org.opencontainers.image.ref.name']])).toEqual([
    [OCI_MANIFEST, 'img'],
    [OCI_INDEX, 'img-multi'],
  ]);
  const manifest = JSON.parse(blob(top.manifests[0]!).toString()) as { config: Desc; layers: Desc[] };
  const config = JSON.parse(blob(manifest.config).toString()) as { architecture: string; rootfs: { diff_ids: string[] }; config: unknown };
  expect(config.architecture).toBe('amd64');
  expect(config.config).toEqual({ Env: ['PATH=/bin'], Cmd: ['sh'] });
  const layer = blob(manifest.layers[0]!);
  expect(gunzipSync(layer)).toEqual(tarBytes);
  expect(config.rootfs.diff_ids).toEqual([`sha256:${createHash('sha256').update(tarBytes).digest('hex')}`]);

  const index = JSON.parse(blob(top.manifests[1]!).toString()) as { manifests: Desc[] };
  expect(index.manifests.map((m) => m.platform)).toEqual([
    { architecture: 'amd64', os: 'linux' },
    { architecture: 'arm64', variant: 'v8', os: 'linux' },
  ]);
  const arm = JSON.parse(blob(index.manifests[1]!).toString()) as { config: Desc };
  expect(JSON.parse(blob(arm.config).toString())).toMatchObject({ architecture: 'arm64', variant: 'v8', os: 'linux' });
});
