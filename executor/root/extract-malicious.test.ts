// Malicious layers: nothing may change outside the root. Each test extracts into
// <outer>/root with a canary file at <outer>/canary and checks the canary afterwards.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, utimesSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, onTestFinished, test } from 'vitest';
import { encodeHeader, encodePaxRecord } from '../layer/tar-header.ts';
import { tarHeader, tarReadable, type PackEntry } from '../layer/tar-pack.ts';
import type { TarHeader } from '../layer/tar-header.ts';
import { extractLayer } from './extract-layer.ts';
import { IgnoreList } from './ignore-list.ts';

interface Sandbox { outer: string; root: string; canary: string }

function sandbox(): Sandbox {
  const outer = mkdtempSync(join(tmpdir(), 'kiln-evil-'));
  onTestFinished(() => rmSync(outer, { recursive: true, force: true }));
  const root = join(outer, 'root');
  mkdirSync(root);
  const canary = join(outer, 'canary');
  writeFileSync(canary, 'canary', { mode: 0o600 });
  utimesSync(canary, 1_000_000, 1_000_000);
  return { outer, root, canary };
}

function expectCanaryIntact(s: Sandbox): void {
  expect(readdirSync(s.outer).sort()).toEqual(['canary', 'root']);
  const st = lstatSync(s.canary);
  expect([readFileSync(s.canary, 'utf8'), st.mode & 0o7777, st.nlink, st.uid, st.mtimeMs]).toEqual(['canary', 0o600, 1, process.getuid?.(), 1_000_000_000]);
  expect(lstatSync(s.outer).mode & 0o7777).toBe(0o700);
}

const file = (name: string, content: string, more: Partial<TarHeader> = {}): PackEntry => ({
  header: tarHeader({ name, type: 'file', size: Buffer.byteLength(content), ...more }),
  body: Buffer.from(content),
});
const symlink = (name: string, linkname: string): PackEntry => ({ header: tarHeader({ name, type: 'symlink', linkname }) });
const hardlink = (name: string, linkname: string): PackEntry => ({ header: tarHeader({ name, type: 'link', linkname }) });
const entry = (name: string, type: TarHeader['type'], more: Partial<TarHeader> = {}): PackEntry => ({ header: tarHeader({ name, type, ...more }) });

function extract(root: string, src: PackEntry[] | Readable) {
  return extractLayer(Array.isArray(src) ? tarReadable(src) : src, {
    root, mode: 'host', layerName: 'evil', ignore: new IgnoreList(['/proc', '/dev', '/sys']),
  });
}

const unsafe = (path: string) => expect.objectContaining({ code: 'E_UNSAFE_PATH', message: expect.stringContaining(`extracting layer evil: entry "${path}"`) });

describe('malicious layers', () => {
  test('"../../x" climbing out is refused', async () => {
    const s = sandbox();
    await expect(extract(s.root, [file('../../canary', 'pwned')])).rejects.toEqual(unsafe('../../canary'));
    await expect(extract(s.root, [file('a/../../canary', 'pwned')])).rejects.toEqual(unsafe('a/../../canary'));
    await expect(extract(s.root, [entry('..', 'directory', { mode: 0o777 })])).rejects.toEqual(unsafe('../'));
    expectCanaryIntact(s);
  });

  test('an absolute name lands inside the root (Docker strips the leading /)', async () => {
    const s = sandbox();
    await extract(s.root, [file(`${s.canary}`, 'inside'), file('/etc/x', 'x')]);
    expect(readFileSync(join(s.root, s.canary), 'utf8')).toBe('inside');
    expect(readFileSync(join(s.root, 'etc/x'), 'utf8')).toBe('x');
    expectCanaryIntact(s);
  });

  test('symlink evil -> / then evil/… writes inside the root', async () => {
    const s = sandbox();
    await extract(s.root, [symlink('evil', '/'), file(`evil${s.canary}`, 'pwned')]);
    expect(readFileSync(join(s.root, s.canary), 'utf8')).toBe('pwned');
    expectCanaryIntact(s);
    const hostPasswd = createHash('sha256').update(readFileSync('/etc/passwd')).digest('hex');
    await extract(s.root, [file('evil/etc/passwd', 'root::0:0::/:/bin/sh\n')]);
    expect(readFileSync(join(s.root, 'etc/passwd'), 'utf8')).toBe('root::0:0::/:/bin/sh\n');
    expect(createHash('sha256').update(readFileSync('/etc/passwd')).digest('hex')).toBe(hostPasswd);
  });

  test('symlink evil -> ../../.. (relative, climbing) then writing through it stays inside', async () => {
    const s = sandbox();
    await extract(s.root, [symlink('a/b/evil', '../../../../..'), file('a/b/evil/canary', 'pwned'), symlink('up', '..'), file('up/up/canary2', 'x')]);
    expect(readFileSync(join(s.root, 'canary'), 'utf8')).toBe('pwned');
    expect(readFileSync(join(s.root, 'canary2'), 'utf8')).toBe('x');
    expectCanaryIntact(s);
  });

  test('a symlink pointing at a host path by absolute name is re-rooted', async () => {
    const s = sandbox();
    await extract(s.root, [symlink('l', s.outer), file('l/canary', 'pwned'), entry('l2', 'directory')]);
    expect(readFileSync(join(s.root, s.outer, 'canary'), 'utf8')).toBe('pwned');
    expectCanaryIntact(s);
  });

  test('an existing link at an entry\'s own path is replaced, never chmod/chown/written through', async () => {
    const s = sandbox();
    symlinkSync(s.canary, join(s.root, 'f'));
    symlinkSync(s.outer, join(s.root, 'd'));
    await extract(s.root, [file('f', 'replaced', { mode: 0o777, uid: 1 }), entry('d', 'directory', { mode: 0o777, uid: 1 })]);
    expect(lstatSync(join(s.root, 'f')).isFile()).toBe(true);
    expect(lstatSync(join(s.root, 'd')).isDirectory()).toBe(true);
    expectCanaryIntact(s);
  });

  test('hardlinks whose target escapes are refused; absolute targets resolve inside', async () => {
    const s = sandbox();
    await expect(extract(s.root, [hardlink('h', '../canary')])).rejects.toEqual(unsafe('h'));
    await expect(extract(s.root, [hardlink('h', '../../x')])).rejects.toEqual(unsafe('h'));
    await expect(extract(s.root, [hardlink('h', s.canary)])).rejects.toMatchObject({ code: 'E_LAYER' });
    await expect(extract(s.root, [symlink('evil', '/'), hardlink('h', `evil${s.canary}`)])).rejects.toMatchObject({ code: 'E_LAYER' });
    await extract(s.root, [file('etc/shadow', 'inside'), hardlink('h2', '/etc/shadow'), symlink('up', '../..'), hardlink('h3', 'up/etc/shadow')]);
    expect(statSync(join(s.root, 'h2')).ino).toBe(statSync(join(s.root, 'etc/shadow')).ino);
    expect(statSync(join(s.root, 'h3')).ino).toBe(statSync(join(s.root, 'etc/shadow')).ino);
    expectCanaryIntact(s);
  });

  test('whiteouts of "..", "." and through links are refused', async () => {
    const s = sandbox();
    writeFileSync(join(s.root, 'keep'), 'k');
    await expect(extract(s.root, [entry('a/.wh...', 'file')])).rejects.toEqual(unsafe('a/.wh...'));
    await expect(extract(s.root, [entry('.wh..', 'file')])).rejects.toEqual(unsafe('.wh..'));
    await expect(extract(s.root, [entry('../.wh.canary', 'file')])).rejects.toEqual(unsafe('../.wh.canary'));
    symlinkSync(s.outer, join(s.root, 'evil'));
    await expect(extract(s.root, [entry('evil/.wh.canary', 'file')])).rejects.toEqual(unsafe('evil/.wh.canary'));
    await expect(extract(s.root, [entry('evil/.wh..wh..opq', 'file')])).rejects.toEqual(unsafe('evil/.wh..wh..opq'));
    symlinkSync('/', join(s.root, 'evil2'));
    await expect(extract(s.root, [entry('evil2/.wh..wh..opq', 'file')])).rejects.toEqual(unsafe('evil2/.wh..wh..opq'));
    expect(existsSync(join(s.root, 'keep'))).toBe(true);
    expectCanaryIntact(s);
  });

  test('a whiteout of a link removes the link, not its target', async () => {
    const s = sandbox();
    symlinkSync(s.outer, join(s.root, 'l'));
    await extract(s.root, [entry('.wh.l', 'file')]);
    expect(existsSync(join(s.root, 'l'))).toBe(false);
    expectCanaryIntact(s);
  });

  test('a link into an ignored path never leads a write or a mkdir there', async () => {
    const s = sandbox();
    mkdirSync(join(s.root, 'kaniko'));
    const ignore = new IgnoreList(['/kaniko', '/proc']);
    const stats = await extractLayer(tarReadable([
      symlink('evil', '/kaniko'), file('evil/newdir/x', 'pwned'), file('evil/executor', 'pwned'),
      symlink('evil2', 'kaniko/../kaniko/sub'), entry('evil2/d', 'directory'), hardlink('h', 'evil/executor'),
    ]), { root: s.root, mode: 'host', layerName: 'evil', ignore });
    expect(readdirSync(join(s.root, 'kaniko'))).toEqual([]);
    expect(existsSync(join(s.root, 'h'))).toBe(false);
    expect(stats.skipped).toBe(4);
    expectCanaryIntact(s);
  });

  test('a directory replaced later in the same layer gets no deferred mtime through the new link', async () => {
    const s = sandbox();
    await extract(s.root, [entry('a', 'directory'), entry('a/canary', 'directory', { mtime: 1234 }), symlink('a', s.outer)]);
    expect(lstatSync(join(s.root, 'a')).isSymbolicLink()).toBe(true);
    expectCanaryIntact(s);
  });

  test('symlink loops give a clean error', async () => {
    const s = sandbox();
    await expect(extract(s.root, [symlink('a', 'b'), symlink('b', 'a'), file('a/x', 'x')])).rejects.toEqual(unsafe('a/x'));
    expectCanaryIntact(s);
  });

  test('malformed archives give clean E_LAYER errors', async () => {
    const s = sandbox();
    const pax = Buffer.concat([encodePaxRecord('GNU.sparse.size', '1099511627776'), encodePaxRecord('GNU.sparse.map', '0,1')]);
    const paxHead = encodeHeader(tarHeader({ name: 'PaxHeaders/x', type: 'file', size: pax.length }));
    paxHead.write('x', 156, 'latin1'); // turn it into a PAX header and fix the checksum
    fixChecksum(paxHead);
    const sparse = Buffer.concat([paxHead, pax, Buffer.alloc(512 - pax.length), encodeHeader(tarHeader({ name: 'x', type: 'file' })), Buffer.alloc(1024)]);
    await expect(extract(s.root, Readable.from([sparse]))).rejects.toMatchObject({ code: 'E_LAYER', message: expect.stringMatching(/^extracting layer evil: .*sparse/) });
    const huge = encodeHeader(tarHeader({ name: 'L', type: 'file', size: 1 << 30 }));
    huge.write('x', 156, 'latin1');
    fixChecksum(huge);
    await expect(extract(s.root, Readable.from([huge]))).rejects.toMatchObject({ code: 'E_LAYER', message: expect.stringContaining('exceeds') });
    const truncated = encodeHeader(tarHeader({ name: 'big', type: 'file', size: 10_000 }));
    await expect(extract(s.root, Readable.from([truncated, Buffer.alloc(100)]))).rejects.toMatchObject({ code: 'E_LAYER', message: expect.stringContaining('truncated') });
    const corrupt = Buffer.from(encodeHeader(tarHeader({ name: 'c', type: 'file' })));
    corrupt[0] = 0x41;
    await expect(extract(s.root, Readable.from([corrupt]))).rejects.toMatchObject({ code: 'E_LAYER', message: expect.stringContaining('checksum') });
    await expect(extract(s.root, [file('x'.repeat(300), 'long component')])).rejects.toMatchObject({ code: 'E_LAYER' });
    await expect(extract(s.root, [file('a\0/../../canary', 'nul')])).rejects.toMatchObject({ code: 'E_LAYER', message: expect.stringContaining('NUL') });
    expectCanaryIntact(s);
  });
});

function fixChecksum(b: Buffer): void {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const v of b) sum += v;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
}
