// Writing COPY/ADD content into the build root: every destination is resolved inside the root
// (a symlinked destination directory is followed there, as Docker does); an existing link at a
// file's own path is replaced, never written through. Owners default to 0:0 (or --chown),
// modes are kept (or --chmod), mtimes are kept. Returns the image paths written.
import { chmod, chown, copyFile, lchown, lstat, lutimes, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { BuildContext } from '../context/types.ts';
import { mkdirInRoot, resolveInRoot } from '../root/run-paths.ts';

export interface CopyOwnership {
  uid: number;
  gid: number;
  /** --chmod as an octal mode; undefined keeps the source mode. */
  mode?: number;
}

export interface CopyTarget {
  root: string;
  context: BuildContext;
  own: CopyOwnership;
  written: string[];
}

/** Copy a context file, link or directory tree to the image path `dest`. */
export async function copyEntry(t: CopyTarget, srcHost: string, srcRel: string, dest: string): Promise<void> {
  const parent = posix.dirname(dest);
  t.written.push(...(await mkdirInRoot(t.root, parent)));
  const host = join(await resolveInRoot(t.root, parent), posix.basename(dest));
  const st = await lstat(srcHost);
  const existing = await lstat(host).catch(() => undefined);
  if (st.isDirectory()) {
    if (existing !== undefined && !existing.isDirectory()) await rm(host, { recursive: true, force: true });
    const created = existing?.isDirectory() !== true;
    if (created) await mkdir(host);
    for (const name of (await readdir(srcHost)).sort()) {
      const childRel = srcRel === '' ? name : `${srcRel}/${name}`;
      if (t.context.excluded(childRel)) continue;
      await copyEntry(t, join(srcHost, name), childRel, posix.join(dest, name));
    }
    // An existing directory keeps its metadata (`COPY x /tmp/` leaves /tmp 1777).
    if (created) await setMeta(host, st, t.own, { link: false });
  } else {
    if (existing !== undefined) await rm(host, { recursive: true, force: true });
    if (st.isSymbolicLink()) await symlink(await readlink(srcHost), host);
    else await copyFile(srcHost, host);
    await setMeta(host, st, t.own, { link: st.isSymbolicLink() });
  }
  t.written.push(dest);
}

interface MetaSource {
  mode: number;
  atime: Date;
  mtime: Date;
}

async function setMeta(host: string, st: MetaSource, own: CopyOwnership, options: { link: boolean }): Promise<void> {
  if (options.link) {
    await lchown(host, own.uid, own.gid);
    await lutimes(host, st.mtime, st.mtime);
    return;
  }
  await chown(host, own.uid, own.gid);
  await chmod(host, own.mode ?? st.mode & 0o7777);
  await utimes(host, st.mtime, st.mtime);
}
