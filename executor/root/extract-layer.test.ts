import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { tarHeader, tarReadable, type PackEntry } from '../layer/tar-pack.ts';
import type { TarHeader } from '../layer/tar-header.ts';
import { extractLayer } from './extract-layer.ts';
import { IgnoreList } from './ignore-list.ts';
import { XattrStore } from './xattr.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-extract-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const dir = (name: string, more: Partial<TarHeader> = {}): PackEntry => ({ header: tarHeader({ name, type: 'directory', ...more }) });
const file = (name: string, content: string, more: Partial<TarHeader> = {}): PackEntry => ({
  header: tarHeader({ name, type: 'file', size: Buffer.byteLength(content), ...more }),
  body: Buffer.from(content),
});
const symlink = (name: string, linkname: string): PackEntry => ({ header: tarHeader({ name, type: 'symlink', linkname }) });
const hardlink = (name: string, linkname: string): PackEntry => ({ header: tarHeader({ name, type: 'link', linkname }) });
const wh = (name: string): PackEntry => ({ header: tarHeader({ name, type: 'file' }) });

function extract(root: string, entries: PackEntry[], more: { ignore?: IgnoreList; xattrStore?: XattrStore } = {}) {
  return extractLayer(tarReadable(entries), {
    root, mode: 'host', layerName: 'sha256:test', ignore: more.ignore ?? new IgnoreList(['/proc', '/dev', '/sys']),
    xattrStore: more.xattrStore,
  });
}

describe('extractLayer', () => {
  test('files, dirs, modes incl. setuid and sticky, owners, mtimes', async () => {
    const root = testdir();
    await extract(root, [
      dir('etc/', { mode: 0o755, mtime: 1000 }),
      file('etc/passwd', 'root:x:0:0\n', { mode: 0o644, uid: 12, gid: 34, mtime: 2000 }),
      file('bin/su', 'ELF', { mode: 0o4755, mtime: 3000 }),
      dir('tmp', { mode: 0o1777, mtime: 4000 }),
    ]);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toBe('root:x:0:0\n');
    const p = lstatSync(join(root, 'etc/passwd'));
    expect([p.mode & 0o7777, p.uid, p.gid, p.mtimeMs]).toEqual([0o644, 12, 34, 2_000_000]);
    expect(lstatSync(join(root, 'bin/su')).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(join(root, 'bin')).mode & 0o7777).toBe(0o755); // created parent, as Docker
    const t = lstatSync(join(root, 'tmp'));
    expect([t.mode & 0o7777, t.mtimeMs]).toEqual([0o1777, 4_000_000]);
    expect(lstatSync(join(root, 'etc')).mtimeMs).toBe(1_000_000); // set after its children
  });

  test('an existing directory stays a directory: mode and owner updated, content kept', async () => {
    const root = testdir();
    await extract(root, [dir('d', { mode: 0o700 }), file('d/a', 'a')]);
    await extract(root, [dir('d', { mode: 0o751, uid: 5, gid: 6 })]);
    const d = lstatSync(join(root, 'd'));
    expect([d.isDirectory(), d.mode & 0o7777, d.uid, d.gid]).toEqual([true, 0o751, 5, 6]);
    expect(readFileSync(join(root, 'd/a'), 'utf8')).toBe('a');
  });

  test('symlinks and hardlinks', async () => {
    const root = testdir();
    await extract(root, [file('usr/bin/busybox', 'bb', { mode: 0o755 }), hardlink('bin/sh', 'usr/bin/busybox'), symlink('bin/ls', '/usr/bin/busybox')]);
    expect(lstatSync(join(root, 'bin/sh')).ino).toBe(lstatSync(join(root, 'usr/bin/busybox')).ino);
    expect(readlinkSync(join(root, 'bin/ls'))).toBe('/usr/bin/busybox');
  });

  test('a path through an in-root symlink is followed as if the root were /', async () => {
    const root = testdir();
    await extract(root, [dir('usr/lib'), symlink('lib', 'usr/lib'), file('lib/x.so', 'x')]);
    expect(readFileSync(join(root, 'usr/lib/x.so'), 'utf8')).toBe('x');
    expect(lstatSync(join(root, 'lib')).isSymbolicLink()).toBe(true);
  });

  test('an entry replaces an existing symlink at its own path instead of writing through it', async () => {
    const root = testdir();
    await extract(root, [file('target', 'keep'), symlink('a', 'target')]);
    await extract(root, [file('a', 'new')]);
    expect(lstatSync(join(root, 'a')).isFile()).toBe(true);
    expect(readFileSync(join(root, 'target'), 'utf8')).toBe('keep');
  });

  test('a file replaces a directory and a directory replaces a file', async () => {
    const root = testdir();
    await extract(root, [dir('a'), file('a/x', 'x'), file('b', 'b')]);
    await extract(root, [file('a', 'now a file'), dir('b'), file('b/y', 'y')]);
    expect(readFileSync(join(root, 'a'), 'utf8')).toBe('now a file');
    expect(readFileSync(join(root, 'b/y'), 'utf8')).toBe('y');
  });

  test('whiteouts delete lower-layer paths, not same-layer ones', async () => {
    const root = testdir();
    await extract(root, [file('a/x', 'x'), file('a/y', 'y'), dir('a/sub'), file('a/sub/z', 'z')]);
    await extract(root, [wh('a/.wh.x'), wh('a/.wh.sub'), file('a/n', 'n'), wh('a/.wh.n'), wh('a/.wh.absent')]);
    expect(existsSync(join(root, 'a/x'))).toBe(false);
    expect(existsSync(join(root, 'a/sub'))).toBe(false);
    expect(existsSync(join(root, 'a/y'))).toBe(true);
    expect(existsSync(join(root, 'a/n'))).toBe(true);
    expect(existsSync(join(root, 'a/.wh.x'))).toBe(false);
  });

  test('an opaque whiteout empties the directory of lower content and keeps this layer\'s', async () => {
    const root = testdir();
    await extract(root, [file('d/old', 'o'), dir('d/keep'), file('d/keep/old2', 'o'), file('e/untouched', 'u')]);
    await extract(root, [dir('d'), file('d/new', 'n'), dir('d/keep'), wh('d/.wh..wh..opq'), file('d/keep/new2', 'n')]);
    expect(existsSync(join(root, 'd/old'))).toBe(false);
    expect(existsSync(join(root, 'd/keep/old2'))).toBe(false);
    expect(existsSync(join(root, 'd/new'))).toBe(true);
    expect(existsSync(join(root, 'd/keep/new2'))).toBe(true);
    expect(existsSync(join(root, 'd/.wh..wh..opq'))).toBe(false);
    expect(existsSync(join(root, 'e/untouched'))).toBe(true);
  });

  test('an opaque whiteout keeps this layer\'s files even when their directories have no entry of their own', async () => {
    const root = testdir();
    await extract(root, [file('d/sub/old', 'o'), file('d/x', 'x')]);
    await extract(root, [file('d/sub/new', 'n'), file('e/f/g', 'g'), wh('d/.wh..wh..opq'), wh('e/.wh.f')]);
    expect(existsSync(join(root, 'd/sub/new'))).toBe(true);
    expect(existsSync(join(root, 'd/sub/old'))).toBe(false);
    expect(existsSync(join(root, 'd/x'))).toBe(false);
    expect(existsSync(join(root, 'e/f/g'))).toBe(true);
  });

  test('entries into ignored paths are skipped; whiteouts never delete them', async () => {
    const root = testdir();
    mkdirSync(join(root, 'var/run'), { recursive: true });
    writeFileSync(join(root, 'var/run/keep'), 'k');
    const ignore = new IgnoreList(['/proc', '/var/run', '/kaniko']);
    const stats = await extract(root, [file('proc/x', 'x'), file('kaniko/executor', 'evil'), file('var/run/keep', 'evil'), wh('.wh.var')], { ignore });
    expect(existsSync(join(root, 'proc/x'))).toBe(false);
    expect(existsSync(join(root, 'kaniko'))).toBe(false);
    expect(readFileSync(join(root, 'var/run/keep'), 'utf8')).toBe('k');
    expect(stats.skipped).toBe(3);
  });

  test('xattrs are kept byte for byte (security.capability)', async () => {
    const root = testdir();
    const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
    const store = new XattrStore();
    await extract(root, [file('bin/ping', 'p', { mode: 0o755, xattrs: new Map([['security.capability', cap]]) })], { xattrStore: store });
    expect(store.get('/bin/ping')?.get('security.capability')).toEqual(cap);
    const { loadNativeXattr } = await import('./xattr.ts');
    expect(loadNativeXattr()?.get(join(root, 'bin/ping'), 'security.capability')).toEqual(cap);
  });

  test('device nodes only in container mode, fifos in both (with a trusted mknod)', async () => {
    const { mknodCommand } = await import('./mknod.ts');
    const entries = (): PackEntry[] => [
      { header: tarHeader({ name: 'dev2/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 }) },
      { header: tarHeader({ name: 'run2/fifo', type: 'fifo', mode: 0o600 }) },
    ];
    const host = testdir();
    const hs = await extractLayer(tarReadable(entries()), { root: host, mode: 'host', layerName: 'l', ignore: new IgnoreList(), mknod: mknodCommand() });
    expect(existsSync(join(host, 'dev2/null'))).toBe(false);
    expect(lstatSync(join(host, 'run2/fifo')).isFIFO()).toBe(true);
    expect(hs.skipped).toBe(1);
    const ctr = testdir();
    await extractLayer(tarReadable(entries()), { root: ctr, mode: 'container', layerName: 'l', ignore: new IgnoreList(), mknod: mknodCommand() });
    const dev = lstatSync(join(ctr, 'dev2/null'));
    expect([dev.isCharacterDevice(), dev.rdev, dev.mode & 0o7777]).toEqual([true, 259, 0o666]);
    const none = testdir();
    const ns = await extractLayer(tarReadable(entries()), { root: none, mode: 'container', layerName: 'l', ignore: new IgnoreList() });
    expect(ns.skipped).toBe(2);
  });

  test('deep trees succeed; paths beyond PATH_MAX fail cleanly', async () => {
    const root = testdir();
    const deep = Array.from({ length: 400 }, () => 'd').join('/');
    await extract(root, [file(`${deep}/leaf`, 'deep')]);
    expect(readFileSync(join(root, deep, 'leaf'), 'utf8')).toBe('deep');
    const tooDeep = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(250, 'd')).join('/'); // > PATH_MAX
    await expect(extract(testdir(), [file(`${tooDeep}/leaf`, 'x')])).rejects.toMatchObject({ code: 'E_LAYER', message: expect.stringContaining('extracting layer sha256:test: entry') });
  });

  test('a failed extraction destroys its source stream', async () => {
    const src = tarReadable([file('../escape', 'x'), file('after', 'y')]);
    await expect(extractLayer(src, { root: testdir(), mode: 'host', layerName: 'l', ignore: new IgnoreList() })).rejects.toMatchObject({ code: 'E_UNSAFE_PATH' });
    expect(src.destroyed).toBe(true);
  });

  test('long names (PAX path) and deep trees', async () => {
    const root = testdir();
    const long = Array.from({ length: 30 }, (_, i) => `component-${i}`).join('/') + '/' + 'f'.repeat(200);
    await extract(root, [file(long, 'deep')]);
    expect(readFileSync(join(root, long), 'utf8')).toBe('deep');
  });
});
