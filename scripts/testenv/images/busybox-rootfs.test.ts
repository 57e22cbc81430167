import { createReadStream, chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { expect, onTestFinished, test } from 'vitest';
import { busyboxEntries, GROUP, PASSWD, writeBusyboxLayer } from './busybox-rootfs.ts';

function fakeBusybox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bb-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'busybox');
  writeFileSync(file, '#!/bin/sh\nprintf "bin/busybox\\nbin/sh\\nusr/bin/env\\nsbin/ifconfig\\n"\n');
  chmodSync(file, 0o755);
  return file;
}

test('applets are linked in /bin and where busybox installs them', () => {
  const links = busyboxEntries(fakeBusybox()).filter((e) => e.type === 'symlink');
  expect(links.map((e) => e.name).sort()).toEqual(['bin/env', 'bin/ifconfig', 'bin/sh', 'sbin/ifconfig', 'usr/bin/env']);
  expect(new Set(links.map((e) => e.linkname))).toEqual(new Set(['/bin/busybox']));
});

test('users, groups, /tmp 1777 and /home/kiln owned by 1000', () => {
  const byName = new Map(busyboxEntries(fakeBusybox()).map((e) => [e.name, e]));
  expect(byName.get('tmp/')).toMatchObject({ type: 'directory', mode: 0o1777, uid: 0 });
  expect(byName.get('home/kiln/')).toMatchObject({ type: 'directory', uid: 1000, gid: 1000 });
  expect(byName.get('root/')).toMatchObject({ mode: 0o700 });
  expect(PASSWD).toContain('kiln:x:1000:1000:kiln:/home/kiln:/bin/sh\n');
  expect(PASSWD).toContain('nobody:x:65534:65534:');
  expect(GROUP).toContain('kiln:x:1000:\n');
  expect(GROUP).toMatch(/^wheel:x:10:kiln$/m);
});

test('the layer tar lists parents before children, with fixed mtimes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bb-layer-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'layer.tar');
  await writeBusyboxLayer(file, fakeBusybox());
  const names: string[] = [];
  for await (const entry of createReadStream(file).pipe(tar.extract())) {
    names.push(entry.header.name);
    expect(entry.header.mtime?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    entry.resume();
  }
  expect(names.indexOf('usr/')).toBeLessThan(names.indexOf('usr/bin/'));
  expect(names.indexOf('usr/bin/')).toBeLessThan(names.indexOf('usr/bin/env'));
  expect(names).toContain('bin/busybox');
  expect(names).toContain('etc/passwd');
});
