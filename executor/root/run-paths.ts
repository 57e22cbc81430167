// Paths inside the build root, resolved as if the root were "/": every symlink met on the way
// is followed inside the root (an absolute target restarts at the root, `..` stops at it), so
// a link planted by a base image can never lead a read or a mkdir outside the root.
import { chmod, chown, lstat, mkdir, readlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { KilnError } from '../../shared/errors.ts';

const MAX_LINKS = 40;

/** The host path of `path` (absolute, in the image) inside `root`, with all links resolved. */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const parts = splitPath(path);
  const done: string[] = [];
  let links = 0;
  while (parts.length > 0) {
    const part = parts.shift() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, part);
    const st = await lstat(host).catch(() => undefined);
    if (st?.isSymbolicLink() === true) {
      links += 1;
      if (links > MAX_LINKS) {
        throw new KilnError('E_UNSAFE_PATH', `resolving ${path} in the build root: too many levels of symbolic links`);
      }
      const target = await readlink(host);
      if (target.startsWith('/')) done.length = 0;
      parts.unshift(...splitPath(target));
      continue;
    }
    done.push(part);
  }
  return join(root, ...done);
}

function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

export interface MkdirInRootOptions {
  uid?: number;
  gid?: number;
}

/**
 * Create a directory (and its missing parents, mode 0755) inside the root, links resolved
 * inside it (a dangling link's target is created where the link points, inside the root).
 * Returns the root-relative paths of the directories it created, outermost first.
 */
export async function mkdirInRoot(root: string, path: string, options: MkdirInRootOptions = {}): Promise<string[]> {
  const created: string[] = [];
  const parts = splitPath(path);
  for (let i = 1; i <= parts.length; i++) {
    const imagePath = '/' + parts.slice(0, i).join('/');
    const host = await resolveInRoot(root, imagePath);
    const st = await lstat(host).catch(() => undefined);
    if (st?.isDirectory() === true) continue;
    if (st !== undefined) {
      throw new KilnError('E_STEP', `creating directory ${path}: ${imagePath} exists and is not a directory`);
    }
    const first = await mkdir(host, { recursive: true });
    const made: string[] = [];
    for (let d = host; ; d = dirname(d)) {
      await chmod(d, 0o755); // not left to the umask
      if (options.uid !== undefined || options.gid !== undefined) await chown(d, options.uid ?? 0, options.gid ?? 0);
      made.unshift('/' + relative(root, d));
      if (first === undefined || d === first || d.length <= root.length) break;
    }
    created.push(...made);
  }
  return created;
}
