import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../shared/log.ts';
import { archiveKind, extractArchive } from './add-archive.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-add-archive-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function tarOf(dir: string, flags: string[], out: string): string {
  const r = spawnSync('tar', ['-c', ...flags, '-f', out, '--numeric-owner', '--owner=1234', '--group=5678', '-C', dir, '.'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

function tree(base: string): string {
  const src = join(base, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'sub/file.txt'), 'inside');
  writeFileSync(join(src, 'top.sh'), '#!/bin/sh\n', { mode: 0o750 });
  symlinkSync('/etc/passwd', join(src, 'abs-link'));
  utimesSync(join(src, 'sub/file.txt'), new Date('2020-02-02T00:00:00Z'), new Date('2020-02-02T00:00:00Z'));
  return src;
}

describe('archiveKind', () => {
  it.each([
    ['plain', [], 'tar'],
    ['gzip', ['-z'], 'gzip'],
    ['bzip2', ['-j'], 'bzip2'],
    ['xz', ['-J'], 'xz'],
    ['zstd', ['--zstd'], 'zstd'],
  ])('recognises %s archives by their bytes', async (_n, flags, kind) => {
    const base = testdir();
    const a = tarOf(tree(base), flags as string[], join(base, 'a.bin'));
    expect(await archiveKind(a)).toBe(kind);
  });

  it('says undefined for a compressed file that holds no tar (Docker copies it as a file)', async () => {
    const base = testdir();
    writeFileSync(join(base, 'notes.txt'), 'just text, not a tar\n'.repeat(50));
    for (const [cmd, ext] of [['gzip', 'gz'], ['bzip2', 'bz2'], ['xz', 'xz'], ['zstd', 'zst']]) {
      const r = spawnSync(cmd as string, ['-k', '-q', '-f', join(base, 'notes.txt')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(await archiveKind(join(base, `notes.txt.${ext}`))).toBeUndefined();
    }
  });

  it('says undefined for other files', async () => {
    const base = testdir();
    writeFileSync(join(base, 'x.tar.gz'), 'not an archive at all, even with that name'.repeat(20));
    expect(await archiveKind(join(base, 'x.tar.gz'))).toBeUndefined();
  });
});

describe('extractArchive', () => {
  it.each([['-z', 'gzip'], ['-j', 'bzip2'], ['-J', 'xz'], ['--zstd', 'zstd'], ['', 'tar']] as const)('extracts a %s archive into the destination keeping owners, modes, mtimes and links', async (flag, kind) => {
    const base = testdir();
    const root = join(base, 'root');
    mkdirSync(join(root, 'opt/app'), { recursive: true });
    writeFileSync(join(root, 'opt/app/existing'), 'kept');
    const a = tarOf(tree(base), flag === '' ? [] : [flag], join(base, 'a.tar'));
    const written = await extractArchive({ root, archive: a, kind, dest: '/opt/app', logger: silentLogger, what: 'ADD' });
    expect(readFileSync(join(root, 'opt/app/sub/file.txt'), 'utf8')).toBe('inside');
    expect(readFileSync(join(root, 'opt/app/existing'), 'utf8')).toBe('kept');
    const f = statSync(join(root, 'opt/app/sub/file.txt'));
    expect([f.uid, f.gid]).toEqual([1234, 5678]);
    expect(f.mtime.toISOString()).toBe('2020-02-02T00:00:00.000Z');
    expect(statSync(join(root, 'opt/app/top.sh')).mode & 0o777).toBe(0o750);
    expect(readlinkSync(join(root, 'opt/app/abs-link'))).toBe('/etc/passwd');
    expect(written).toEqual(expect.arrayContaining(['/opt/app/sub', '/opt/app/sub/file.txt', '/opt/app/top.sh', '/opt/app/abs-link']));
    expect(existsSync(join(root, 'opt/app')) && !lstatSync(join(root, 'opt/app')).isSymbolicLink()).toBe(true);
  });

  it('applies --chown to every entry and never writes outside the root', async () => {
    const base = testdir();
    const root = join(base, 'root');
    mkdirSync(root);
    const evil = join(base, 'evil');
    mkdirSync(evil);
    writeFileSync(join(evil, 'x'), 'x');
    const a = join(base, 'evil.tar');
    const r = spawnSync('tar', ['-cf', a, '-P', '--transform', 's,^.*x$,../../outside,', join(evil, 'x')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    await expect(extractArchive({ root, archive: a, kind: 'tar', dest: '/d', logger: silentLogger, what: 'ADD' })).rejects.toThrow(/climbs above|outside|unsafe/i);
    expect(existsSync(join(base, 'outside'))).toBe(false);

    mkdirSync(join(base, 'ok'));
    const ok = tarOf(tree(join(base, 'ok')), ['-z'], join(base, 'ok.tgz'));
    await extractArchive({ root, archive: ok, kind: 'gzip', dest: '/c', owner: { uid: 7, gid: 8 }, logger: silentLogger, what: 'ADD' });
    const st = lstatSync(join(root, 'c/sub/file.txt'));
    expect([st.uid, st.gid]).toEqual([7, 8]);
  });
});
