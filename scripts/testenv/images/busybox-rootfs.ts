// The busybox base image's single layer, written as a tar with tar-stream (no root needed):
// /bin/busybox from busybox-static, its applet links, users and groups, /tmp 1777, /home/kiln.
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

export const BUSYBOX_BINARY = '/bin/busybox';
/** Fixed mtime: the layer is byte-for-byte reproducible. */
const MTIME = new Date('2024-01-01T00:00:00Z');

export const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'kiln:x:1000:1000:kiln:/home/kiln:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  '',
].join('\n');

/** kiln (uid 1000) has primary group kiln (1000) and supplementary group wheel (10). */
export const GROUP = ['root:x:0:', 'wheel:x:10:kiln', 'kiln:x:1000:', 'nogroup:x:65534:', ''].join('\n');

interface Entry {
  name: string;
  type: 'directory' | 'file' | 'symlink';
  mode: number;
  uid?: number;
  gid?: number;
  body?: Buffer;
  linkname?: string;
}

const DIRS: Array<[string, number, number?]> = [
  ['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['home/kiln', 0o755, 1000],
  ['proc', 0o555], ['root', 0o700], ['sbin', 0o755], ['sys', 0o555], ['tmp', 0o1777],
  ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755], ['var', 0o755], ['var/tmp', 0o1777],
];

/** Applet paths relative to /, e.g. `bin/sh`, `usr/bin/env` (from `busybox --list-full`). */
export function appletPaths(binary = BUSYBOX_BINARY): string[] {
  const out = execFileSync(binary, ['--list-full'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'bin/busybox');
}

export function busyboxEntries(binary = BUSYBOX_BINARY): Entry[] {
  const entries: Entry[] = DIRS.map(([name, mode, owner]) => ({
    name: `${name}/`, type: 'directory', mode, uid: owner ?? 0, gid: owner ?? 0,
  }));
  entries.push({ name: 'bin/busybox', type: 'file', mode: 0o755, body: readFileSync(binary) });
  // Every applet in /bin (as Docker's busybox image has it) and also where busybox installs
  // it (`usr/bin/env`, for shebangs).
  const seen = new Set(['bin/busybox']);
  for (const full of appletPaths(binary)) {
    const name = full.slice(full.lastIndexOf('/') + 1);
    for (const path of [`bin/${name}`, full]) {
      if (seen.has(path) || !/^(bin|sbin|usr\/bin|usr\/sbin)\/[^/]+$/.test(path)) continue;
      seen.add(path);
      entries.push({ name: path, type: 'symlink', mode: 0o777, linkname: '/bin/busybox' });
    }
  }
  entries.push(
    { name: 'etc/passwd', type: 'file', mode: 0o644, body: Buffer.from(PASSWD) },
    { name: 'etc/group', type: 'file', mode: 0o644, body: Buffer.from(GROUP) },
    { name: 'etc/hostname', type: 'file', mode: 0o644, body: Buffer.from('kiln\n') },
  );
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Write the uncompressed layer tar to file. */
export async function writeBusyboxLayer(file: string, binary = BUSYBOX_BINARY): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createWriteStream(file));
  for (const e of busyboxEntries(binary)) {
    const header = {
      name: e.name, type: e.type, mode: e.mode, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: MTIME,
      uname: e.uid === 1000 ? 'kiln' : 'root', gname: e.gid === 1000 ? 'kiln' : 'root',
      linkname: e.linkname,
    };
    await new Promise<void>((resolve, reject) => {
      pack.entry(header, e.body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
}
