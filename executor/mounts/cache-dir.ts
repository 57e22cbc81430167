// Container mode (root "/"): where RUN --mount=type=cache directories may live. --cache-mount-dir
// (default <cache-dir>/mounts) lies in the build root itself there, so creating it when it does
// not exist yet would put its first new directory (e.g. /cache, when no volume is mounted there)
// into the next layer. Only the mount dir itself is on the ignore list, not the parents Kiln
// creates for it. Such a directory is not created: the caches go under Kiln's own directory
// instead, which is ignored and still persists between builds in the same container.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { IgnoreList } from '../root/ignore-list.ts';
import { cleanRel, hostPath, joinRel } from '../root/workspace.ts';

export interface CacheMountDirChoice {
  /** The directory to keep the caches in (host path). */
  dir: string;
  /** Why `dir` is not the requested directory, for a log line; absent when it is. */
  moved?: string;
}

/**
 * `mountDir` (a path in the root "/" of a container, `root` its host directory for tests) if it
 * exists or the first directory to create for it is ignored (a volume, /kaniko, the context);
 * else `<kanikoDir>/cache-mounts`.
 */
export function containerCacheMountDir(o: { root: string; mountDir: string; kanikoDir: string; ignore: IgnoreList }): CacheMountDirChoice {
  const rel = cleanRel(o.mountDir) ?? '/';
  let path = '/';
  for (const name of rel.split('/').filter((c) => c !== '')) {
    path = joinRel(path, name);
    if (existsSync(hostPath(o.root, path))) continue;
    if (o.ignore.isIgnored(path)) break; // created inside a volume or Kiln's own directory
    const dir = join(o.kanikoDir, 'cache-mounts');
    return {
      dir,
      moved: `${o.mountDir} does not exist in this container and creating ${path} would put it into the image; ` +
        `RUN --mount=type=cache keeps its caches in ${dir} (mount a volume at ${path} to keep them between containers)`,
    };
  }
  return { dir: o.mountDir };
}
