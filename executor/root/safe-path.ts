// Resolve root-relative paths component by component inside the root (DESIGN.md §3): a symlink
// met on the way is followed as if the root were "/" ("/.." is "/"), so no path ever leaves it.
import { chmodSync, lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { KilnError } from '../../shared/errors.ts';
import { hostPath } from './workspace.ts';

const MAX_LINKS = 40; // Linux MAXSYMLINKS

export interface ResolveOptions {
  /** Create missing directories (mode 0755, owner root, as Docker). */
  create?: boolean;
  /** Refuse any symlink on the way (whiteouts are never applied through links). */
  noLinks?: boolean;
  /** For messages: "extracting layer x: entry \"y\"". */
  what: string;
  /** Stop (kind 'ignored') as soon as the walk reaches an ignored path: nothing is created there. */
  ignore?: { isIgnored(rel: string): boolean };
}

export type Resolved =
  | { kind: 'dir'; rel: string } // an existing (or created) real directory, no links in rel
  | { kind: 'missing' } // a component is missing and create is off
  | { kind: 'ignored'; rel: string }; // the walk reached an ignored path

/**
 * Resolve a clean root-relative directory path to a real directory inside the root.
 * Every component is lstat'ed; symlinks are followed within the root; a non-directory on the
 * way is an E_LAYER error.
 */
export function resolveDir(root: string, rel: string, options: ResolveOptions): Resolved {
  const queue = splitRel(rel);
  const done: string[] = [];
  let links = 0;
  let missing = false;
  while (queue.length > 0) {
    const c = queue.shift() as string;
    if (c === '.' || c === '') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const cur = '/' + [...done, c].join('/');
    if (options.ignore?.isIgnored(cur)) return { kind: 'ignored', rel: cur };
    if (missing) {
      mkdirAt(root, cur, options);
      done.push(c);
      continue;
    }
    const st = lstatOrUndefined(hostPath(root, cur));
    if (st === undefined) {
      if (!options.create) return { kind: 'missing' };
      missing = true;
      mkdirAt(root, cur, options);
      done.push(c);
    } else if (st.isSymbolicLink()) {
      if (options.noLinks) {
        throw new KilnError('E_UNSAFE_PATH', `${options.what}: "${cur}" is a symlink; whiteouts are not applied through links`);
      }
      if (++links > MAX_LINKS) {
        throw new KilnError('E_UNSAFE_PATH', `${options.what}: too many levels of symbolic links at "${cur}"`);
      }
      const target = readlinkSync(hostPath(root, cur));
      if (target.startsWith('/')) done.length = 0;
      queue.unshift(...target.split('/'));
    } else if (st.isDirectory()) {
      done.push(c);
    } else {
      throw new KilnError('E_LAYER', `${options.what}: "${cur}" is not a directory`);
    }
  }
  return { kind: 'dir', rel: '/' + done.join('/') };
}

function mkdirAt(root: string, rel: string, options: ResolveOptions): void {
  try {
    mkdirSync(hostPath(root, rel), { mode: 0o755 });
    chmodSync(hostPath(root, rel), 0o755);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const kind = code === 'ENAMETOOLONG' || code === 'ENOTDIR' ? 'E_LAYER' : 'E_IO';
    throw new KilnError(kind, `${options.what}: creating a directory: ${code ?? (cause as Error).message}`, { cause });
  }
}

export function splitRel(rel: string): string[] {
  return rel.split('/').filter((c) => c !== '');
}

export function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}
