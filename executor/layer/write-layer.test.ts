import { execFileSync } from 'node:child_process';
import { createReadStream, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, chownSync, chmodSync, writeFileSync, lutimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { createGunzip } from 'node:zlib';
import { describe, expect, onTestFinished, test } from 'vitest';
import { sha256 } from '../../shared/digest.ts';
import { decompressStream, layerFromFile } from '../../shared/image/index.ts';
import { extractLayer } from '../root/extract-layer.ts';
import { IgnoreList } from '../root/ignore-list.ts';
import { mknodCommand } from '../root/mknod.ts';
import { takeSnapshot } from '../root/snapshot.ts';
import { loadNativeXattr, layerXattrSource, XattrStore } from '../root/xattr.ts';
import { readTar } from './tar-reader.ts';
import { writeLayer } from './write-layer.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-layer-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex');
const ignore = new IgnoreList(['/proc', '/dev', '/sys']);

function makeTree(root: string): void {
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
  chmodSync(join(root, 'tmp'), 0o1777);
  writeFileSync(join(root, 'usr/bin/su'), 'su');
  chmodSync(join(root, 'usr/bin/su'), 0o4755);
  writeFileSync(join(root, 'usr/bin/ping'), 'ping');
  loadNativeXattr()?.set(join(root, 'usr/bin/ping'), 'security.capability', CAP);
  writeFileSync(join(root, 'usr/bin/busybox'), Buffer.alloc(3 * 1024 * 1024 + 7, 7));
  linkSync(join(root, 'usr/bin/busybox'), join(root, 'usr/bin/sh'));
  symlinkSync('busybox', join(root, 'usr/bin/ls'));
  writeFileSync(join(root, 'empty'), '');
  chownSync(join(root, 'empty'), 1000, 1001);
  const long = join(root, 'x'.repeat(120), 'y'.repeat(120));
  mkdirSync(long, { recursive: true });
  writeFileSync(join(long, 'é-ünïcode'), 'u');
  execFileSync('mknod', [join(root, 'fifo'), 'p']);
  for (const p of ['usr/bin/su', 'usr/bin/ping', 'usr/bin/busybox', 'empty', 'fifo', 'usr/bin', 'usr', 'tmp']) utimesSync(join(root, p), 1_600_000_000, 1_600_000_123);
  lutimesSync(join(root, 'usr/bin/ls'), 1_600_000_000, 1_500_000_000);
}

function allPaths(root: string): string[] {
  return [...takeSnapshot(root, ignore).entries.keys()];
}

/** Comparable view of a tree: path → type/mode/owner/size/mtime(s)/link, plus hardlink groups. */
function view(root: string): Record<string, string> {
  const s = takeSnapshot(root, ignore);
  const out: Record<string, string> = {};
  const inodes = new Map<number, string>();
  for (const [rel, e] of [...s.entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const isDir = (e.mode & 0o170000) === 0o040000;
    const firstWithIno = inodes.get(e.ino) ?? rel;
    inodes.set(e.ino, firstWithIno);
    out[rel] = [e.mode.toString(8), e.uid, e.gid, e.size, isDir ? '-' : Math.floor(e.mtimeMs / 1000), e.link ?? '', firstWithIno].join(' ');
  }
  return out;
}

describe('writeLayer', () => {
  test('round trip: a tree written as a layer and extracted elsewhere is the same tree', async () => {
    const a = testdir();
    const b = testdir();
    makeTree(a);
    const out = join(testdir(), 'layer.tar.gz');
    const w = await writeLayer({ root: a, paths: allPaths(a), out, compression: 'gzip', ignore }); // default: security.capability from disk
    expect(w.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(w.digest).toBe(sha256(readFileSync(out)));
    const layer = layerFromFile(w);
    const tarStream = await layer.uncompressed();
    await extractLayer(tarStream, { root: b, ignore, mode: 'host', layerName: w.digest, mknod: mknodCommand() });
    expect(view(b)).toEqual(view(a));
    expect(loadNativeXattr()?.get(join(b, 'usr/bin/ping'), 'security.capability')).toEqual(CAP);
    const listing = execFileSync('tar', ['-tvzf', out], { encoding: 'utf8' });
    expect(listing).toMatch(/^-rwsr-xr-x 0\/0\s+2 2020-09-13 \d\d:\d\d usr\/bin\/su$/m);
    expect(listing).toMatch(/^hrw-r--r-- 0\/0\s+0 .* usr\/bin\/sh link to usr\/bin\/busybox$/m);
    expect(listing).toMatch(/^lrwxrwxrwx 0\/0\s+0 .* usr\/bin\/ls -> busybox$/m);
    expect(listing).toMatch(/^drwxrwxrwt 0\/0\s+0 .* tmp\/$/m);
    expect(listing).toMatch(/^prw-r--r-- 0\/0\s+0 .* fifo$/m);
    expect(listing).toContain('é-ünïcode');
    const xattrs = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-tvvzf', out], { encoding: 'utf8' });
    expect(xattrs).toContain('security.capability');
  });

  test('GNU tar extracts the layer to the same tree', async () => {
    const a = testdir();
    const c = testdir();
    makeTree(a);
    const out = join(testdir(), 'layer.tar');
    const w = await writeLayer({ root: a, paths: allPaths(a), out, compression: 'none', ignore });
    expect([w.digest, w.diffId, w.size, w.mediaType]).toEqual([sha256(readFileSync(out)), sha256(readFileSync(out)), readFileSync(out).length, 'application/vnd.oci.image.layer.v1.tar']);
    execFileSync('tar', ['--numeric-owner', '-xpf', out, '-C', c]);
    expect(view(c)).toEqual(view(a));
  });

  test('parents are added, entries sorted, whiteouts and opaque markers written', async () => {
    const a = testdir();
    makeTree(a);
    mkdirSync(join(a, 'etc'));
    const out = join(testdir(), 'layer.tar');
    writeFileSync(join(a, 'usr/bin/+plus'), '+');
    await writeLayer({ root: a, paths: ['/usr/bin/su', '/tmp', '/usr/bin/+plus'], deletions: ['/usr/bin/gone', '/etc/shadow'], opaqueDirs: ['/tmp'], out, compression: 'none' });
    const names: string[] = [];
    for await (const e of readTar(createReadStream(out))) names.push(`${e.header.type} ${e.header.name}`);
    expect(names).toEqual([
      'directory etc/', 'file etc/.wh.shadow', 'directory tmp/', 'file tmp/.wh..wh..opq',
      'directory usr/', 'directory usr/bin/', 'file usr/bin/.wh.gone', 'file usr/bin/+plus', 'file usr/bin/su',
    ]);
  });

  test('deterministic, and --reproducible clamps mtimes so a touched tree gives the same digest', async () => {
    const a = testdir();
    makeTree(a);
    const dir = testdir();
    const write = (name: string, epoch?: number) =>
      writeLayer({ root: a, paths: allPaths(a), out: join(dir, name), compression: 'gzip', level: 1, ignore, reproducible: epoch === undefined ? undefined : { epoch } });
    const [x, y] = [await write('x'), await write('y')];
    expect(x.digest).toBe(y.digest);
    const r1 = await write('r1', 0);
    utimesSync(join(a, 'empty'), 1_700_000_000, 1_700_000_000);
    const r2 = await write('r2', 0);
    expect(r1.digest).toBe(r2.digest);
    expect(r1.diffId).not.toBe(x.diffId);
    for await (const e of readTar(createReadStream(join(dir, 'r2')).pipe(createGunzip()))) expect(e.header.mtime).toBe(0);
  });

  test('recorded xattrs are written when the disk has none', async () => {
    const a = testdir();
    writeFileSync(join(a, 'f'), 'f');
    const store = new XattrStore();
    store.record('/f', new Map([['security.capability', CAP]]));
    const out = join(testdir(), 'l.tar');
    await writeLayer({ root: a, paths: ['/f'], out, compression: 'none', xattrs: layerXattrSource(store, undefined) });
    for await (const e of readTar(createReadStream(out))) expect(e.header.xattrs?.get('security.capability')).toEqual(CAP);
  });

  test('zstd: a layer whose diff_id is its decompressed tar on Node 22.15+, a clear E_NOT_IMPLEMENTED on older Node', async () => {
    const a = testdir();
    writeFileSync(join(a, 'f'), 'f');
    const out = join(testdir(), 'z');
    const run = writeLayer({ root: a, paths: ['/f'], out, compression: 'zstd', level: 3 });
    if (!('createZstdCompress' in zlib)) return void (await expect(run).rejects.toMatchObject({ code: 'E_NOT_IMPLEMENTED' }));
    const w = await run;
    expect([w.mediaType, w.digest]).toEqual(['application/vnd.oci.image.layer.v1.tar+zstd', sha256(readFileSync(out))]);
    const tar: Buffer[] = [];
    for await (const c of createReadStream(out).pipe(decompressStream())) tar.push(c as Buffer);
    expect(sha256(Buffer.concat(tar))).toBe(w.diffId);
    const names: string[] = [];
    for await (const e of readTar(createReadStream(out).pipe(decompressStream()))) names.push(e.header.name);
    expect(names).toEqual(['f']);
  });

  test('a path climbing out of the root is refused', async () => {
    await expect(writeLayer({ root: testdir(), paths: ['/../../etc/passwd'], out: join(testdir(), 'o'), compression: 'none' })).rejects.toMatchObject({ code: 'E_UNSAFE_PATH' });
  });
});
