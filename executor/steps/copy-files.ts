// Writing COPY/ADD content into the build root, as BuildKit's copy (tonistiigi/fsutil) does:
// every destination is resolved inside the root (a symlinked destination directory is followed
// there); an existing link at a file's own path is replaced, never written through. Missing
// parent directories are created 0755 and owned by the --chown user (0:0 without it); so is the
// destination of a directory copy when it does not exist, while an existing directory keeps its
// metadata (`COPY x /tmp/` leaves /tmp 1777). Copied entries are owned 0:0 (or --chown; with
// --from and no --chown they keep their owner, as BuildKit), keep
// their mode (or --chmod, octal or symbolic) and mtime; links are copied as links; files that
// share an inode in the source are hardlinked in the copy. Returns the image paths written.
import { chmod, chown, copyFile, lchown, link, lstat, lutimes, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { applyChmod, type Chmod } from '../../shared/dockerfile/index.ts';
import { mkdirInRoot, resolveInRoot } from '../root/run-paths.ts';
import type { SourceTree } from './copy-sources.ts';

export interface CopyOwnership {
  uid: number;
  gid: number;
  /** --chmod as an octal mode; undefined keeps the source mode. */
  mode?: number;
  /** --chmod symbolic (`u+x,g-w`): applied to each entry's own mode. */
  chmod?: Chmod;
  /** COPY --from without --chown: copied entries keep their owner (uid/gid are for created parents). */
  keepOwner?: boolean;
}

export interface CopyTarget {
  root: string;
  /** Where sources are read (the context with its .dockerignore, or a --from tree). */
  context: SourceTree;
  own: CopyOwnership;
  written: string[];
  /** --exclude: true for a tree-relative source path to leave out (with its children). */
  skip?: (rel: string) => boolean;
  /** Source inode → host path of its first copy (hardlinks); shared by the whole step. */
  links?: Map<string, string>;
}

/** Copy a source file, link or directory tree to the image path `dest`. */
export async function copyEntry(t: CopyTarget, srcHost: string, srcRel: string, dest: string): Promise<void> {
  await copyNode(t, { srcHost, srcRel, dest, top: true });
}

interface Node {
  srcHost: string;
  srcRel: string;
  dest: string;
  top: boolean;
}

async function copyNode(t: CopyTarget, n: Node): Promise<void> {
  const parent = posix.dirname(n.dest);
  if (n.top) t.written.push(...(await mkdirInRoot(t.root, parent, { uid: t.own.uid, gid: t.own.gid })));
  const host = join(await resolveInRoot(t.root, parent), posix.basename(n.dest));
  const st = await lstat(n.srcHost);
  const existing = await lstat(host).catch(() => undefined);
  if (st.isDirectory()) {
    if (existing !== undefined && !existing.isDirectory()) await rm(host, { recursive: true, force: true });
    const created = existing?.isDirectory() !== true;
    if (created) await mkdir(host);
    if (created && n.top) await setDirOwner(host, t.own); // BuildKit's MkdirAll: 0755, --chown owner
    for (const name of (await readdir(n.srcHost)).sort()) {
      const childRel = n.srcRel === '' ? name : `${n.srcRel}/${name}`;
      if (t.context.excluded(childRel) || t.skip?.(childRel) === true) continue;
      await copyNode(t, { srcHost: join(n.srcHost, name), srcRel: childRel, dest: posix.join(n.dest, name), top: false });
    }
    if (created && !n.top) await setMeta(host, st, t.own);
  } else {
    if (existing !== undefined) await rm(host, { recursive: true, force: true });
    await copyLeaf(t, n.srcHost, host, st);
  }
  t.written.push(n.dest);
}

async function copyLeaf(t: CopyTarget, srcHost: string, host: string, st: Stats): Promise<void> {
  if (st.isSymbolicLink()) {
    await symlink(await readlink(srcHost), host);
    await lchown(host, t.own.keepOwner === true ? st.uid : t.own.uid, t.own.keepOwner === true ? st.gid : t.own.gid);
    await lutimes(host, st.mtime, st.mtime);
    return;
  }
  const key = `${st.dev}:${st.ino}`;
  const first = st.nlink > 1 ? t.links?.get(key) : undefined;
  if (first !== undefined && (await lstat(first).catch(() => undefined)) !== undefined) {
    await link(first, host);
    return;
  }
  await copyFile(srcHost, host);
  await setMeta(host, st, t.own);
  if (st.nlink > 1) t.links?.set(key, host);
}

async function setDirOwner(host: string, own: CopyOwnership): Promise<void> {
  await chown(host, own.uid, own.gid);
  await chmod(host, 0o755);
}

async function setMeta(host: string, st: Stats, own: CopyOwnership): Promise<void> {
  await chown(host, own.keepOwner === true ? st.uid : own.uid, own.keepOwner === true ? st.gid : own.gid);
  await chmod(host, modeOf(st, own));
  await utimes(host, st.mtime, st.mtime);
}

function modeOf(st: Stats, own: CopyOwnership): number {
  if (own.chmod !== undefined) return applyChmod(own.chmod, st.mode, { isDir: st.isDirectory() }) & 0o7777;
  return own.mode ?? st.mode & 0o7777;
}
