// Cross-checks with a real client: layers Kiln writes are unpacked by umoci to the tree Kiln
// extracts, and layers umoci writes (repack: whiteouts, replaced directories) extract with
// Kiln to the tree umoci has.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { sha256, type Digest } from '../../shared/digest.ts';
import { layerFromFile, type Layer } from '../../shared/image/index.ts';
import { writeLayer, type WrittenLayer } from '../../executor/layer/write-layer.ts';
import { extractImage } from '../../executor/root/extract-image.ts';
import { IgnoreList } from '../../executor/root/ignore-list.ts';
import { takeSnapshot } from '../../executor/root/snapshot.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-umoci-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const ignore = new IgnoreList(['/proc', '/sys', '/dev']);

function blobPath(layout: string, d: string): string {
  return join(layout, 'blobs/sha256', d.slice('sha256:'.length));
}

function putBlob(layout: string, data: Buffer | string): { digest: Digest; size: number } {
  const digest = sha256(data);
  writeFileSync(blobPath(layout, digest), data);
  return { digest, size: Buffer.byteLength(data) };
}

/** An OCI layout holding one image made of Kiln-written layers. */
function layoutOf(layout: string, layers: WrittenLayer[], tag: string): void {
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  for (const l of layers) writeFileSync(blobPath(layout, l.digest), readFileSync(l.path));
  const config = putBlob(layout, JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }));
  const manifest = putBlob(layout, JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }] }));
}

/** The layers of a tagged image in an OCI layout, as shared/image Layers. */
function layersOf(layout: string, tag: string): Layer[] {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const m = index.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === tag);
  const manifest = JSON.parse(readFileSync(blobPath(layout, m?.digest ?? ''), 'utf8')) as { config: { digest: string }; layers: { digest: Digest; size: number; mediaType: string }[] };
  const config = JSON.parse(readFileSync(blobPath(layout, manifest.config.digest), 'utf8')) as { rootfs: { diff_ids: Digest[] } };
  return manifest.layers.map((l, i) => layerFromFile({ ...l, path: blobPath(layout, l.digest), diffId: config.rootfs.diff_ids[i] as Digest }));
}

function view(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const inodes = new Map<number, string>();
  for (const [rel, e] of [...takeSnapshot(root, ignore).entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const first = inodes.get(e.ino) ?? rel;
    inodes.set(e.ino, first);
    const isDir = (e.mode & 0o170000) === 0o040000;
    out[rel] = [e.mode.toString(8), e.uid, e.gid, e.size, isDir ? '-' : Math.floor(e.mtimeMs / 1000), e.link ?? '', first].join(' ');
  }
  return out;
}

function baseTree(src: string): void {
  mkdirSync(join(src, 'etc/app/conf.d'), { recursive: true });
  writeFileSync(join(src, 'etc/app/conf.d/a.conf'), 'a');
  writeFileSync(join(src, 'etc/app/old.conf'), 'old');
  writeFileSync(join(src, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  mkdirSync(join(src, 'bin'));
  writeFileSync(join(src, 'bin/busybox'), Buffer.alloc(100_000, 1));
  chmodSync(join(src, 'bin/busybox'), 0o4755);
  linkSync(join(src, 'bin/busybox'), join(src, 'bin/sh'));
  symlinkSync('busybox', join(src, 'bin/ls'));
  mkdirSync(join(src, 'tmp'));
  chmodSync(join(src, 'tmp'), 0o1777);
  mkdirSync(join(src, 'home/user'), { recursive: true });
  chownSync(join(src, 'home/user'), 1000, 1000);
  for (const p of ['etc/passwd', 'bin/busybox', 'etc/app/old.conf', 'etc/app/conf.d/a.conf']) utimesSync(join(src, p), 1_600_000_000, 1_600_000_000);
}

describe('layers against umoci', () => {
  test('umoci unpacks Kiln layers (incl. whiteouts and an opaque dir) to the tree Kiln extracts', async () => {
    const src = testdir();
    const work = testdir();
    baseTree(src);
    const l1 = await writeLayer({ root: src, paths: [...takeSnapshot(src, ignore).entries.keys()], out: join(work, 'l1'), compression: 'gzip' });
    rmSync(join(src, 'etc/app/old.conf'));
    rmSync(join(src, 'etc/app/conf.d'), { recursive: true });
    mkdirSync(join(src, 'etc/app/conf.d'));
    writeFileSync(join(src, 'etc/app/conf.d/b.conf'), 'b');
    const l2 = await writeLayer({ root: src, paths: ['/etc/app/conf.d/b.conf'], deletions: ['/etc/app/old.conf'], opaqueDirs: ['/etc/app/conf.d'], out: join(work, 'l2'), compression: 'gzip' });
    const layout = join(work, 'layout');
    layoutOf(layout, [l1, l2], 'kiln');
    const bundle = join(work, 'bundle');
    execFileSync('umoci', ['unpack', '--image', `${layout}:kiln`, bundle], { stdio: 'pipe' });
    const ours = testdir();
    await extractImage(layersOf(layout, 'kiln'), { root: ours, ignore, mode: 'host' });
    expect(view(ours)).toEqual(view(join(bundle, 'rootfs')));
    expect(view(ours)['/etc/app/old.conf']).toBeUndefined();
    expect(Object.keys(view(ours)).filter((p) => p.startsWith('/etc/app/conf.d/'))).toEqual(['/etc/app/conf.d/b.conf']);
  });

  test('Kiln extracts umoci-written layers (repack with deletions) to the tree umoci has', async () => {
    const src = testdir();
    const work = testdir();
    baseTree(src);
    const l1 = await writeLayer({ root: src, paths: [...takeSnapshot(src, ignore).entries.keys()], out: join(work, 'l1'), compression: 'gzip' });
    const layout = join(work, 'layout');
    layoutOf(layout, [l1], 'base');
    const bundle = join(work, 'bundle');
    execFileSync('umoci', ['unpack', '--image', `${layout}:base`, bundle], { stdio: 'pipe' });
    const rootfs = join(bundle, 'rootfs');
    rmSync(join(rootfs, 'etc/app'), { recursive: true });
    mkdirSync(join(rootfs, 'etc/app'));
    writeFileSync(join(rootfs, 'etc/app/new.conf'), 'new');
    rmSync(join(rootfs, 'bin/ls'));
    writeFileSync(join(rootfs, 'etc/passwd'), 'changed\n');
    // Go's archive/tar rounds mtimes to the nearest second: give the new files whole seconds.
    for (const p of ['etc/passwd', 'etc/app/new.conf']) utimesSync(join(rootfs, p), 1_700_000_000, 1_700_000_000);
    execFileSync('umoci', ['repack', '--image', `${layout}:next`, bundle], { stdio: 'pipe' });
    const ours = testdir();
    await extractImage(layersOf(layout, 'next'), { root: ours, ignore, mode: 'host', spoolDir: testdir() });
    expect(view(ours)).toEqual(view(rootfs));
  });
});
