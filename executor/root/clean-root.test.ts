import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanRoot } from './clean-root.ts';
import { createIgnoreList } from './ignore-list.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-clean-root-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function touch(path: string, text = 'x'): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

describe('cleanRoot (container-mode stage cleanup, a temp dir standing in for "/")', () => {
  it('removes the previous stage files and keeps the context, the kaniko dir, the work dir, mounts and ignored paths', async () => {
    const outside = testdir();
    const canary = join(outside, 'canary');
    touch(canary, 'alive');
    const root = testdir();
    for (const f of ['bin/sh', 'etc/passwd', 'etc/resolv.conf', 'usr/lib/deep/x.so', 'workspace/canary', 'workspace/sub/f', 'kaniko/executor', 'tmp/kiln-build-1/layers/l.tar', 'tmp/old', 'proc/1/status', 'var/run/pid', 'opt/skip/keep', 'opt/other']) {
      touch(join(root, f));
    }
    symlinkSync(outside, join(root, 'link-out')); // a link out of the root: removed, its target untouched
    symlinkSync('/workspace', join(root, 'etc/ws')); // an absolute link to the context: the link goes, the context stays
    const ignore = createIgnoreList({
      root, mode: 'container', contextDir: join(root, 'workspace'), kanikoDir: join(root, 'kaniko'),
      ignorePaths: ['/opt/skip'], extra: ['/tmp/kiln-build-1'], mountPoints: [join(root, 'etc/resolv.conf')],
    });
    const stats = await cleanRoot(root, ignore);
    expect(readdirSync(root).sort()).toEqual(['etc', 'kaniko', 'opt', 'proc', 'tmp', 'var', 'workspace']);
    expect(readdirSync(join(root, 'etc'))).toEqual(['resolv.conf']);
    expect(readdirSync(join(root, 'tmp'))).toEqual(['kiln-build-1']);
    expect(readdirSync(join(root, 'opt'))).toEqual(['skip']);
    expect(readdirSync(join(root, 'var'))).toEqual(['run']);
    for (const f of ['workspace/canary', 'workspace/sub/f', 'kaniko/executor', 'tmp/kiln-build-1/layers/l.tar', 'proc/1/status', 'var/run/pid', 'opt/skip/keep']) {
      expect(existsSync(join(root, f)), f).toBe(true);
    }
    expect(existsSync(canary)).toBe(true);
    expect(stats.kept.sort()).toEqual(['/etc', '/opt', '/tmp', '/var']);
  });

  it('with --ignore-var-run=false /var/run goes; a root with nothing ignored is emptied', async () => {
    const root = testdir();
    touch(join(root, 'var/run/pid'));
    touch(join(root, 'a/b/c'));
    await cleanRoot(root, createIgnoreList({ root, mode: 'container', ignoreVarRun: false, kanikoDir: join(root, 'kaniko'), mountPoints: [] }));
    expect(readdirSync(root)).toEqual([]);
    expect(lstatSync(root).isDirectory()).toBe(true);
  });
});
