// The build root (DESIGN.md §3). Paths are root-relative ("/etc/passwd") everywhere inside Kiln
// and joined to the root directory only at the syscall, through hostPath().
import { realpathSync } from 'node:fs';
import { isAbsolute, posix } from 'node:path';
import { KilnError } from '../../shared/errors.ts';

export type RootMode = 'host' | 'container';

export interface Workspace {
  /** The root directory as an absolute real host path: "/" in a container. */
  readonly root: string;
  readonly mode: RootMode;
  /** Kiln's own directory (KANIKO_DIR, "/kaniko" in the image): never extracted over or snapshotted. */
  readonly kanikoDir: string;
}

/** Another name for the same value, for readers coming from kaniko. */
export type BuildRoot = Workspace;

export interface WorkspaceOptions {
  root: string;
  mode: RootMode;
  kanikoDir?: string;
}

export function createWorkspace(options: WorkspaceOptions): Workspace {
  if (!isAbsolute(options.root)) {
    throw new KilnError('E_USAGE', `using build root "${options.root}": not an absolute path`);
  }
  let root: string;
  try {
    root = realpathSync(options.root);
  } catch (cause) {
    throw new KilnError('E_IO', `using build root "${options.root}": it cannot be resolved`, { cause });
  }
  return Object.freeze({ root, mode: options.mode, kanikoDir: options.kanikoDir ?? '/kaniko' });
}

/**
 * Lexically clean a path into root-relative form: "/a/b", "/" for the root.
 * Leading "/" and "./" are dropped (as Docker does), "." and empty components removed, ".."
 * applied. Returns undefined when ".." would climb above the root.
 */
export function cleanRel(p: string): string | undefined {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    out.push(c);
  }
  return '/' + out.join('/');
}

/** Join a clean root-relative path to the root directory, for a syscall. */
export function hostPath(root: string, rel: string): string {
  if (rel === '/') return root;
  return root === '/' ? rel : root + rel;
}

/** The root-relative form of a host path under `root`, or undefined when it is outside. */
export function relOfHost(root: string, host: string): string | undefined {
  const clean = posix.normalize(host);
  if (root === '/') return cleanRel(clean);
  if (clean === root) return '/';
  if (!clean.startsWith(root + '/')) return undefined;
  return cleanRel(clean.slice(root.length));
}

export function parentRel(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i <= 0 ? '/' : rel.slice(0, i);
}

export function baseName(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

export function joinRel(dir: string, name: string): string {
  return dir === '/' ? '/' + name : dir + '/' + name;
}

/** True when `rel` is `dir` or below it. */
export function isUnder(rel: string, dir: string): boolean {
  if (dir === '/') return true;
  return rel === dir || (rel.startsWith(dir) && rel.charCodeAt(dir.length) === 47);
}
