// Copying a tree for RUN --mount (bind sources, read-only caches, cache moves across
// filesystems): files, links and directories with their mode, owner and mtime. Links are
// copied as links, never followed; other types (devices, fifos, sockets) are skipped.
import { constants } from 'node:fs';
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, readdir, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeCopyOptions {
  /** Skip a path, given relative to the copy's source ('' is the source itself). */
  skip?: (rel: string) => boolean;
}

/** Copy `src` (a file, link or directory) to `dest`, which must not exist. */
export async function copyTree(src: string, dest: string, options: TreeCopyOptions = {}): Promise<void> {
  await copyOne(src, dest, '', options);
}

async function copyOne(src: string, dest: string, rel: string, options: TreeCopyOptions): Promise<void> {
  const st = await lstat(src);
  if (st.isDirectory()) {
    await mkdir(dest);
    for (const name of (await readdir(src)).sort()) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (options.skip?.(childRel) === true) continue;
      await copyOne(join(src, name), join(dest, name), childRel, options);
    }
  } else if (st.isSymbolicLink()) {
    await symlink(await readlink(src), dest);
  } else if (st.isFile()) {
    await copyFile(src, dest, constants.COPYFILE_FICLONE);
  } else {
    return;
  }
  await lchown(dest, st.uid, st.gid);
  if (!st.isSymbolicLink()) await chmod(dest, st.mode & 0o7777);
  await lutimes(dest, st.atime, st.mtime);
}
