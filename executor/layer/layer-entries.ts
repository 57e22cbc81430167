// From root-relative paths to tar entries, as Docker writes layers: parents added, sorted,
// hardlinks by inode within the layer, whiteouts for deletions, opaque markers.
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { KilnError } from '../../shared/errors.ts';
import type { IgnoreList } from '../root/ignore-list.ts';
import { baseName, cleanRel, hostPath, joinRel, parentRel } from '../root/workspace.ts';
import type { TarEntryType, TarHeader } from './tar-header.ts';
import type { PackEntry } from './tar-pack.ts';

export const OPAQUE_MARKER = '.wh..wh..opq';
const CHUNK = 1024 * 1024;

/** Where a layer's xattrs come from: the disk (native binding) or what extraction recorded. */
export type XattrSource = (rel: string, hostPath: string) => ReadonlyMap<string, Buffer> | undefined;

export interface EntryPlanOptions {
  paths: readonly string[];
  deletions?: readonly string[];
  opaqueDirs?: readonly string[];
  ignore?: IgnoreList;
}

export interface PlannedItem {
  rel: string;
  kind: 'path' | 'whiteout' | 'opaque';
}

/** The sorted list of what goes into the layer. */
export function planEntries(opts: EntryPlanOptions): PlannedItem[] {
  const items = new Map<string, PlannedItem>();
  const addPath = (rel: string): void => {
    for (let p = rel; p !== '/' && !items.has(p); p = parentRel(p)) items.set(p, { rel: p, kind: 'path' });
  };
  const clean = (p: string): string | undefined => {
    const rel = cleanRel(p);
    if (rel === undefined) throw new KilnError('E_UNSAFE_PATH', `writing layer: path "${p}" climbs above the build root`);
    return rel === '/' || opts.ignore?.isIgnored(rel) ? undefined : rel;
  };
  for (const p of opts.paths) {
    const rel = clean(p);
    if (rel !== undefined) addPath(rel);
  }
  for (const p of opts.opaqueDirs ?? []) {
    const rel = clean(p);
    if (rel === undefined) continue;
    addPath(rel);
    const marker = joinRel(rel, OPAQUE_MARKER);
    items.set(marker, { rel: marker, kind: 'opaque' });
  }
  for (const p of opts.deletions ?? []) {
    const rel = clean(p);
    if (rel === undefined) continue;
    addPath(parentRel(rel));
    const wh = joinRel(parentRel(rel), '.wh.' + baseName(rel));
    items.set(wh, { rel: wh, kind: 'whiteout' });
  }
  return [...items.values()].sort((a, b) => comparePaths(a.rel, b.rel));
}

/**
 * Component-wise order; within a directory the opaque marker comes first, then the other
 * whiteouts, then everything else (OCI layer.md: whiteouts SHOULD precede their siblings).
 */
export function comparePaths(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as string;
    const q = y[i] as string;
    if (p === q) continue;
    const rp = rank(p);
    const rq = rank(q);
    if (rp !== rq) return rp - rq;
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

function rank(name: string): number {
  if (name === OPAQUE_MARKER) return 0;
  return name.startsWith('.wh.') ? 1 : 2;
}

export interface HeaderOptions {
  root: string;
  /** Clamp mtimes to this epoch (seconds): --reproducible. */
  epoch?: number;
  xattrs?: XattrSource;
}

/** Stream the planned items as tar entries, reading file content as it is packed. */
export function* layerEntries(items: PlannedItem[], opts: HeaderOptions): Generator<PackEntry> {
  const links = new Map<string, string>();
  const mtime = opts.epoch === undefined ? 0 : opts.epoch;
  for (const item of items) {
    const name = item.rel.slice(1);
    if (item.kind !== 'path') {
      yield { header: { name, type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime, linkname: '' } };
      continue;
    }
    const host = hostPath(opts.root, item.rel);
    let st: Stats;
    try {
      st = lstatSync(host);
    } catch (cause) {
      throw new KilnError('E_IO', `writing layer: lstat "${item.rel}"`, { cause });
    }
    const header = headerFromStat(name, st, opts);
    if (header === undefined) continue; // sockets are not archived (Docker)
    if (header.type === 'symlink') header.linkname = readlinkSync(host);
    if (header.type === 'file' && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        yield { header: { ...header, type: 'link', size: 0, linkname: first } };
        continue;
      }
      links.set(key, name);
    }
    const xattrs = header.type === 'symlink' ? undefined : opts.xattrs?.(item.rel, host);
    if (xattrs !== undefined && xattrs.size > 0) header.xattrs = new Map(xattrs);
    yield header.type === 'file' ? { header, body: readFile(host, header.size, item.rel) } : { header };
  }
}

function headerFromStat(name: string, st: Stats, opts: HeaderOptions): TarHeader | undefined {
  const type = typeOf(st);
  if (type === undefined) return undefined;
  const seconds = Math.floor(st.mtimeMs / 1000);
  const header: TarHeader = {
    name, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid,
    size: type === 'file' ? st.size : 0,
    mtime: opts.epoch === undefined ? seconds : Math.min(seconds, opts.epoch),
    linkname: '',
  };
  if (type === 'char' || type === 'block') {
    header.devmajor = Math.floor(st.rdev / 256) & 0xfff;
    header.devminor = (st.rdev & 0xff) | (Math.floor(st.rdev / 4096) & 0xfff00);
  }
  return header;
}

function typeOf(st: Stats): TarEntryType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return undefined;
}

/** A file's first `size` bytes in fresh 1 MiB buffers (downstream may hold them). */
function* readFile(host: string, size: number, rel: string): Generator<Buffer> {
  // O_NONBLOCK: should the path have turned into a fifo since the lstat, open must not hang.
  const fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw new KilnError('E_IO', `writing layer: "${rel}" is no longer a regular file`);
    let left = size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) throw new KilnError('E_IO', `writing layer: "${rel}" shrank while being read`);
      left -= n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}
