import { chmodSync, chownSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { IgnoreList } from './ignore-list.ts';
import { diffSnapshots, takeSnapshot } from './snapshot.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-snap-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function tree(root: string): void {
  mkdirSync(join(root, 'etc/conf.d'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root');
  writeFileSync(join(root, 'etc/conf.d/a'), 'a');
  writeFileSync(join(root, 'etc/conf.d/b'), 'b');
  writeFileSync(join(root, 'keep'), 'k');
  symlinkSync('etc/passwd', join(root, 'link'));
  mkdirSync(join(root, 'proc'));
  writeFileSync(join(root, 'proc/x'), 'x');
}

const ignore = new IgnoreList(['/proc']);

describe('snapshots', () => {
  test('the walk records every path except ignored ones, with lstat data and link targets', () => {
    const root = testdir();
    tree(root);
    const s = takeSnapshot(root, ignore);
    expect([...s.entries.keys()].sort()).toEqual(['/etc', '/etc/conf.d', '/etc/conf.d/a', '/etc/conf.d/b', '/etc/passwd', '/keep', '/link']);
    expect(s.entries.get('/link')?.link).toBe('etc/passwd');
    expect(s.entries.get('/etc/passwd')?.size).toBe(4);
  });

  test('create, delete (top-most only), chmod, chown and link retarget are detected', () => {
    const root = testdir();
    tree(root);
    const before = takeSnapshot(root, ignore);
    writeFileSync(join(root, 'etc/new'), 'n');
    rmSync(join(root, 'etc/conf.d'), { recursive: true });
    chmodSync(join(root, 'keep'), 0o600);
    rmSync(join(root, 'link'));
    symlinkSync('keep', join(root, 'link'));
    writeFileSync(join(root, 'proc/y'), 'ignored');
    const d = diffSnapshots(before, takeSnapshot(root, ignore));
    expect(d.changed).toEqual(['/', '/etc', '/etc/new', '/keep', '/link'].filter((p) => p !== '/'));
    expect(d.deleted).toEqual(['/etc/conf.d']);
    const before2 = takeSnapshot(root, ignore);
    chownSync(join(root, 'etc/passwd'), 1234, 5678);
    expect(diffSnapshots(before2, takeSnapshot(root, ignore)).changed).toEqual(['/etc/passwd']);
  });

  test('a rewrite keeping size and mtime is caught by ctime in full mode, missed by time and redo', () => {
    const root = testdir();
    tree(root);
    const f = join(root, 'etc/passwd');
    utimesSync(f, 1000, 1000);
    const before = takeSnapshot(root, ignore);
    const t0 = Date.now();
    while (Date.now() - t0 < 15); // let the clock move so ctime differs
    writeFileSync(f, 'ROOT');
    utimesSync(f, 1000, 1000);
    const after = takeSnapshot(root, ignore);
    expect(diffSnapshots(before, after, { mode: 'full' }).changed).toEqual(['/etc/passwd']);
    expect(diffSnapshots(before, after, { mode: 'time' }).changed).toEqual([]);
    expect(diffSnapshots(before, after, { mode: 'redo' }).changed).toEqual([]);
  });

  test('time mode sees only mtime; redo sees mode and size too', () => {
    const root = testdir();
    tree(root);
    const before = takeSnapshot(root, ignore);
    chmodSync(join(root, 'keep'), 0o700);
    const after = takeSnapshot(root, ignore);
    expect(diffSnapshots(before, after, { mode: 'time' }).changed).toEqual([]);
    expect(diffSnapshots(before, after, { mode: 'redo' }).changed).toEqual(['/keep']);
  });

  test('a replaced directory is reported opaque with all it now holds, and no whiteouts below it', () => {
    const root = testdir();
    tree(root);
    const before = takeSnapshot(root, ignore);
    renameSync(join(root, 'etc/conf.d'), join(root, 'old'));
    mkdirSync(join(root, 'etc/conf.d'));
    renameSync(join(root, 'old/a'), join(root, 'etc/conf.d/a')); // moved back: may keep its metadata
    rmSync(join(root, 'old'), { recursive: true });
    const d = diffSnapshots(before, takeSnapshot(root, ignore));
    expect(d.replacedDirs).toEqual(['/etc/conf.d']);
    expect(d.changed).toContain('/etc/conf.d/a');
    expect(d.deleted).toEqual([]);
  });

  test('a directory turned into a file gives no whiteouts under it', () => {
    const root = testdir();
    tree(root);
    const before = takeSnapshot(root, ignore);
    rmSync(join(root, 'etc/conf.d'), { recursive: true });
    writeFileSync(join(root, 'etc/conf.d'), 'file now');
    const d = diffSnapshots(before, takeSnapshot(root, ignore));
    expect(d.deleted).toEqual([]);
    expect(d.changed).toEqual(['/etc', '/etc/conf.d']);
  });

  test('under limits the walk to given paths', () => {
    const root = testdir();
    tree(root);
    const s = takeSnapshot(root, ignore, { under: ['/etc/conf.d', '/missing'] });
    expect([...s.entries.keys()].sort()).toEqual(['/etc/conf.d', '/etc/conf.d/a', '/etc/conf.d/b']);
  });
});
