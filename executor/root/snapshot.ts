// Snapshots (DESIGN.md §4): a walk recording each entry's lstat data; diffs between two walks
// find what a RUN changed without hashing file content (ctime catches rewrites keeping mtime).
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { KilnError } from '../../shared/errors.ts';
import type { IgnoreList } from './ignore-list.ts';
import { hostPath, isUnder, joinRel, parentRel } from './workspace.ts';

/** kaniko's --snapshot-mode: full = all lstat data incl. ctime and inode; time = mtime only; redo = mode, owner, size, mtime. */
export type SnapshotMode = 'full' | 'time' | 'redo';

export interface EntryState {
  /** st_mode: type and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  link?: string;
}

export interface Snapshot {
  /** Root-relative path → state; the root itself is not included. */
  readonly entries: ReadonlyMap<string, EntryState>;
}

export interface SnapshotDiff {
  /** Added or modified paths, sorted (parents whose metadata changed included). */
  changed: string[];
  /** Paths gone, only the top-most of a deleted subtree, sorted. */
  deleted: string[];
  /** Directories replaced by a new directory (full mode): write them opaque. */
  replacedDirs: string[];
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

export function isDirMode(mode: number): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}

/** Walk the root (or only `under`, root-relative) skipping ignored paths. */
export function takeSnapshot(root: string, ignore: IgnoreList, options: { under?: readonly string[] } = {}): Snapshot {
  const entries = new Map<string, EntryState>();
  const stack: string[] = [];
  for (const start of options.under ?? ['/']) {
    if (start === '/') stack.push('/');
    else if (!ignore.isIgnored(start) && record(root, start, entries)) stack.push(start);
  }
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    let names;
    try {
      names = readdirSync(hostPath(root, dir), { withFileTypes: true });
    } catch (cause) {
      throw new KilnError('E_IO', `taking a snapshot: reading directory "${dir}"`, { cause });
    }
    for (const d of names) {
      const rel = joinRel(dir, d.name);
      if (ignore.has(rel)) continue; // `dir` is not ignored, so only an exact match can be
      if (record(root, rel, entries) && d.isDirectory()) stack.push(rel);
    }
  }
  return { entries };
}

/** lstat one path into the map; true when it is a directory. Vanished paths are left out. */
function record(root: string, rel: string, entries: Map<string, EntryState>): boolean {
  const host = hostPath(root, rel);
  let st;
  try {
    st = lstatSync(host);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new KilnError('E_IO', `taking a snapshot: lstat "${rel}"`, { cause: e });
  }
  const state: EntryState = {
    mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino,
  };
  if ((st.mode & S_IFMT) === S_IFLNK) state.link = readlinkSync(host);
  entries.set(rel, state);
  return (st.mode & S_IFMT) === S_IFDIR;
}

function same(a: EntryState, b: EntryState, mode: SnapshotMode): boolean {
  if (mode === 'time') return a.mtimeMs === b.mtimeMs;
  const redo = a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.size === b.size && a.mtimeMs === b.mtimeMs;
  if (mode === 'redo') return redo;
  return redo && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.link === b.link;
}

export function diffSnapshots(before: Snapshot, after: Snapshot, options: { mode?: SnapshotMode } = {}): SnapshotDiff {
  const mode = options.mode ?? 'full';
  const changed = new Set<string>();
  const replacedDirs: string[] = [];
  for (const [rel, now] of after.entries) {
    const was = before.entries.get(rel);
    if (was === undefined || !same(was, now, mode)) changed.add(rel);
    if (mode === 'full' && was !== undefined && isDirMode(was.mode) && isDirMode(now.mode) && was.ino !== now.ino) {
      replacedDirs.push(rel);
    }
  }
  replacedDirs.sort();
  const topReplaced = replacedDirs.filter((d, i) => !replacedDirs.slice(0, i).some((p) => isUnder(d, p)));
  if (topReplaced.length > 0) {
    // An opaque directory hides everything below it from lower layers: all it holds now goes in.
    for (const rel of after.entries.keys()) if (topReplaced.some((d) => isUnder(rel, d))) changed.add(rel);
  }
  const deleted: string[] = [];
  for (const rel of before.entries.keys()) {
    if (after.entries.has(rel)) continue;
    const parent = parentRel(rel);
    if (parent !== '/') {
      const p = after.entries.get(parent);
      if (p === undefined || !isDirMode(p.mode)) continue; // covered by the parent's deletion or replacement
    }
    if (topReplaced.some((d) => isUnder(rel, d))) continue; // the opaque marker hides it
    deleted.push(rel);
  }
  return { changed: [...changed].sort(), deleted: deleted.sort(), replacedDirs: topReplaced };
}
