import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createIgnoreList, IgnoreList } from './ignore-list.ts';
import { parseMountInfo } from './mountinfo.ts';
import { cleanRel, hostPath, isUnder, relOfHost } from './workspace.ts';

const MOUNTINFO = [
  '22 1 0:21 / / rw,relatime - overlay overlay rw',
  '23 22 0:22 / /proc rw - proc proc rw',
  '24 22 0:5 / /etc/resolv.conf rw - ext4 /dev/sda1 rw',
  '25 22 0:23 / /work/build\\040dir/root/var/cache rw - tmpfs tmpfs rw',
  '26 22 0:24 / /work/build\\040dir/root rw - tmpfs tmpfs rw',
  '27 22 0:25 / /kaniko rw - tmpfs tmpfs rw',
].join('\n');

describe('ignore list', () => {
  test('mountinfo mount points are unescaped', () => {
    expect(parseMountInfo(MOUNTINFO)).toEqual(['/', '/proc', '/etc/resolv.conf', '/work/build dir/root/var/cache', '/work/build dir/root', '/kaniko']);
  });

  test('container mode: /kaniko, /proc, /sys, /dev, every mount, /var/run, --ignore-path, context', () => {
    const list = createIgnoreList({
      root: '/', mode: 'container', ignorePaths: ['/opt/skip/'], contextDir: '/workspace', mountPoints: parseMountInfo(MOUNTINFO),
    });
    expect(list.paths.filter((p) => p !== '/.dockerenv' && p !== '/run/.containerenv')).toEqual([
      '/dev', '/etc/resolv.conf', '/kaniko', '/opt/skip', '/proc', '/sys', '/var/run', '/work/build dir/root', '/work/build dir/root/var/cache', '/workspace',
    ]);
    expect(list.isIgnored('/')).toBe(false);
    expect(list.isIgnored('/kaniko/executor')).toBe(true);
    expect(list.isIgnored('/kanikox')).toBe(false);
    expect(list.isIgnored('/etc/resolv.conf')).toBe(true);
    expect(list.isIgnored('/etc')).toBe(false);
    expect(list.hasIgnoredBelow('/etc')).toBe(true);
    expect(list.hasIgnoredBelow('/usr')).toBe(false);
  });

  test('container mode: the container markers that exist (/.dockerenv, /run/.containerenv) are kept', () => {
    const root = mkdtempSync(join(tmpdir(), 'kiln-ignore-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    writeFileSync(join(root, '.dockerenv'), '');
    mkdirSync(join(root, 'run'));
    const list = createIgnoreList({ root, mode: 'container', kanikoDir: join(root, 'kaniko'), mountPoints: [] });
    expect(list.isIgnored('/.dockerenv')).toBe(true);
    expect(list.hasIgnoredBelow('/run')).toBe(false); // no /run/.containerenv here: /run is not kept for it
    expect(createIgnoreList({ root, mode: 'host', mountPoints: [] }).isIgnored('/.dockerenv')).toBe(false);
  });

  test('host mode: only mounts below the root dir, mapped to root-relative paths; the root mount itself is not ignored', () => {
    const list = createIgnoreList({
      root: '/work/build dir/root', mode: 'host', ignoreVarRun: false, contextDir: '/work/ctx', kanikoDir: '/opt/kiln', mountPoints: parseMountInfo(MOUNTINFO), extra: ['/run/secrets/x'],
    });
    expect(list.paths).toEqual(['/dev', '/proc', '/run/secrets/x', '/sys', '/var/cache']);
  });

  test('a context inside the root is ignored; VOLUMEs are added later', () => {
    const list = createIgnoreList({ root: '/r', mode: 'host', contextDir: '/r/src', mountPoints: [] });
    list.add('/data/');
    expect(list.isIgnored('/src/a')).toBe(true);
    expect(list.isIgnored('/data/x')).toBe(true);
    expect(new IgnoreList(['/'])).toMatchObject({ paths: [] });
  });

  test('root-relative path helpers', () => {
    expect(cleanRel('./a//b/../c/')).toBe('/a/c');
    expect(cleanRel('/../a')).toBeUndefined();
    expect(cleanRel('a/../..')).toBeUndefined();
    expect(hostPath('/', '/etc/passwd')).toBe('/etc/passwd');
    expect(hostPath('/r', '/etc/passwd')).toBe('/r/etc/passwd');
    expect(hostPath('/r', '/')).toBe('/r');
    expect(relOfHost('/r', '/r2/x')).toBeUndefined();
    expect(relOfHost('/r', '/r/x/')).toBe('/x');
    expect(isUnder('/ab', '/a')).toBe(false);
    expect(isUnder('/a/b', '/a')).toBe(true);
  });
});
