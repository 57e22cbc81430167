// Snapshot → diff → layer → extraction: a lower tree plus the layer equals the changed tree.
import { chmodSync, chownSync, createReadStream, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { readTar } from '../layer/tar-reader.ts';
import { writeLayer } from '../layer/write-layer.ts';
import { extractLayer } from './extract-layer.ts';
import { IgnoreList } from './ignore-list.ts';
import { diffSnapshots, takeSnapshot } from './snapshot.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-snaplayer-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const ignore = new IgnoreList(['/proc', '/dev', '/sys']);

function view(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rel, e] of takeSnapshot(root, ignore).entries) {
    const isDir = (e.mode & 0o170000) === 0o040000;
    out[rel] = [e.mode.toString(8), e.uid, e.gid, e.size, isDir ? '-' : Math.floor(e.mtimeMs / 1000), e.link ?? ''].join(' ');
  }
  return out;
}

async function layerOnto(src: string, dst: string, paths: string[], deletions: string[] = [], opaqueDirs: string[] = []): Promise<string[]> {
  const out = join(testdir(), 'layer.tar');
  await writeLayer({ root: src, paths, deletions, opaqueDirs, out, compression: 'none', ignore });
  const names: string[] = [];
  for await (const e of readTar(createReadStream(out))) names.push(e.header.name);
  await extractLayer(createReadStream(out), { root: dst, ignore, mode: 'host', layerName: 'l' });
  return names;
}

describe('snapshot diffs as layers', () => {
  test('create, rewrite keeping mtime, chmod, chown, delete and replace-dir reach the lower tree', async () => {
    const src = testdir();
    const dst = testdir();
    mkdirSync(join(src, 'etc/cfg'), { recursive: true });
    mkdirSync(join(src, 'var/lib/pkg'), { recursive: true });
    for (const f of ['etc/cfg/a', 'etc/cfg/b', 'etc/hosts', 'etc/motd', 'var/lib/pkg/db', 'var/lib/pkg/old']) writeFileSync(join(src, f), f);
    for (const f of ['etc/hosts', 'etc/motd']) utimesSync(join(src, f), 1_600_000_000, 1_600_000_000);
    const before = takeSnapshot(src, ignore);
    await layerOnto(src, dst, [...before.entries.keys()]);
    expect(view(dst)).toEqual(view(src));

    const t0 = Date.now();
    while (Date.now() - t0 < 15); // ctime must move
    writeFileSync(join(src, 'etc/hosts'), 'ETC/HOSTS'); // same size, same mtime below
    utimesSync(join(src, 'etc/hosts'), 1_600_000_000, 1_600_000_000);
    chmodSync(join(src, 'etc/motd'), 0o600);
    chownSync(join(src, 'etc/cfg/a'), 4242, 4242);
    rmSync(join(src, 'etc/cfg/b'));
    rmSync(join(src, 'var/lib/pkg'), { recursive: true }); // a whole tree: one whiteout
    mkdirSync(join(src, 'new/dir'), { recursive: true });
    writeFileSync(join(src, 'new/dir/file'), 'n');
    const d = diffSnapshots(before, takeSnapshot(src, ignore));
    expect(d.deleted).toEqual(['/etc/cfg/b', '/var/lib/pkg']);
    const names = await layerOnto(src, dst, d.changed, d.deleted, d.replacedDirs);
    expect(names.filter((n) => n.includes('.wh.'))).toEqual(['etc/cfg/.wh.b', 'var/lib/.wh.pkg']);
    expect(view(dst)).toEqual(view(src));
  });

  test('a directory replaced by a new one is written opaque and hides all lower content', async () => {
    const src = testdir();
    const dst = testdir();
    mkdirSync(join(src, 'opt/app'), { recursive: true });
    for (const f of ['x', 'y', 'z']) writeFileSync(join(src, 'opt/app', f), f);
    const before = takeSnapshot(src, ignore);
    await layerOnto(src, dst, [...before.entries.keys()]);
    renameSync(join(src, 'opt/app'), join(src, 'opt/old'));
    mkdirSync(join(src, 'opt/app'));
    renameSync(join(src, 'opt/old/x'), join(src, 'opt/app/x'));
    rmSync(join(src, 'opt/old'), { recursive: true });
    const d = diffSnapshots(before, takeSnapshot(src, ignore));
    expect(d.replacedDirs).toEqual(['/opt/app']);
    const names = await layerOnto(src, dst, d.changed, d.deleted, d.replacedDirs);
    expect(names).toContain('opt/app/.wh..wh..opq');
    expect(view(dst)).toEqual(view(src));
  });
});
