// Safe extraction of one uncompressed layer into the build root (DESIGN.md §3): the security
// boundary. Every entry path is cleaned and resolved component by component inside the root,
// links are replaced rather than written through, whiteouts follow the OCI layer spec.
import { lutimesSync, readdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { isKilnError, KilnError } from '../../shared/errors.ts';
import { readTar, type TarEntry } from '../layer/tar-reader.ts';
import { Extraction, shorten, type ExtractOptions, type ExtractStats } from './extract-context.ts';
import { writeDirEntry, writeFileEntry, writeHardlinkEntry, writeNodeEntry, writeSymlinkEntry } from './extract-entry.ts';
import { resolveDir } from './safe-path.ts';
import { baseName, cleanRel, hostPath, joinRel, parentRel } from './workspace.ts';
import { loadNativeXattr, type XattrOps } from './xattr.ts';

export type { ExtractOptions, ExtractStats } from './extract-context.ts';

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';

export async function extractLayer(tar: Readable | AsyncIterable<Buffer>, opts: ExtractOptions): Promise<ExtractStats> {
  const x = new Extraction(opts);
  const xattrOps = opts.xattrOps === undefined ? loadNativeXattr() : (opts.xattrOps ?? undefined);
  let current = '';
  try {
    for await (const entry of readTar(tar)) {
      current = entry.header.name;
      x.stats.entries++;
      await applyEntry(x, entry, xattrOps);
    }
    // Directory mtimes last: writing children changed them.
    for (let i = x.dirTimes.length - 1; i >= 0; i--) {
      const d = x.dirTimes[i] as { host: string; mtime: number };
      // Still the real directory recorded: dirTimes of removed directories were dropped.
      lutimesSync(d.host, d.mtime, d.mtime);
    }
  } catch (cause) {
    throw wrap(x, current, cause);
  }
  return x.stats;
}

function wrap(x: Extraction, entry: string, cause: unknown): KilnError {
  if (isKilnError(cause)) {
    if (cause.message.startsWith('extracting layer')) return cause;
    return new KilnError(cause.code, `extracting layer ${x.opts.layerName}: ${cause.message}`, { cause, hint: cause.hint });
  }
  const e = cause as NodeJS.ErrnoException;
  const code = e.code === 'ENAMETOOLONG' || e.code === 'ELOOP' || e.code === 'ENOTDIR' ? 'E_LAYER' : 'E_IO';
  const why = e.code !== undefined ? `${e.syscall ?? 'fs'} failed: ${e.code}` : shorten(e.message ?? String(cause));
  return new KilnError(code, `${x.what(entry)}: ${why}`, { cause });
}

async function applyEntry(x: Extraction, entry: TarEntry, xattrOps: XattrOps | undefined): Promise<void> {
  const h = entry.header;
  if (h.name.includes('\0') || h.linkname.includes('\0')) throw new KilnError('E_LAYER', `${x.what(h.name)}: a name holds a NUL byte`);
  const rel = cleanRel(h.name);
  if (rel === undefined) throw new KilnError('E_UNSAFE_PATH', `${x.what(h.name)}: path climbs above the build root`);
  if (rel === '/') return x.skip(h.name, 'the root itself');
  const name = baseName(rel);
  if (name.startsWith(WH)) return applyWhiteout(x, rel, h.name);
  if (x.opts.ignore.isIgnored(rel)) return x.skip(h.name, 'ignored path');
  const dir = x.parentDir(parentRel(rel), h.name);
  if (dir === undefined) return x.skip(h.name, 'its directory resolves into an ignored path');
  const target = joinRel(dir, name);
  if (x.opts.ignore.isIgnored(target)) return x.skip(h.name, `resolves to ignored path "${target}"`);
  let wrote: boolean;
  if (h.type === 'char' || h.type === 'block' || h.type === 'fifo') {
    const existing = x.lstat(target); // mknod(1) gives no errno: clear the path first
    if (existing !== undefined && !x.remove(target, existing, h.name)) return x.skip(h.name, 'cannot replace');
    wrote = writeNodeEntry(x, hostPath(x.root, target), h, h.name);
  } else {
    // Create first (O_EXCL, mkdir, symlink and link never follow the final component); only
    // when something is in the way is it looked at: an existing directory stays for a
    // directory entry, anything else is removed (never written through) and creation retried.
    try {
      wrote = await create(x, entry, target, false);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const existing = x.lstat(target);
      const keepDir = existing?.isDirectory() === true && h.type === 'directory';
      if (existing !== undefined && !keepDir && !x.remove(target, existing, h.name)) return x.skip(h.name, 'cannot replace');
      wrote = await create(x, entry, target, keepDir);
    }
  }
  if (!wrote) return;
  x.markWritten(target);
  if (h.xattrs !== undefined && h.type !== 'symlink' && h.type !== 'link') applyXattrs(x, target, h.xattrs, xattrOps);
}

async function create(x: Extraction, entry: TarEntry, target: string, keepDir: boolean): Promise<boolean> {
  const h = entry.header;
  const host = hostPath(x.root, target);
  switch (h.type) {
    case 'file':
      await writeFileEntry(x, host, h, entry.body);
      return true;
    case 'directory':
      writeDirEntry(x, target, h, keepDir);
      return true;
    case 'symlink':
      writeSymlinkEntry(x, host, h);
      return true;
    default:
      return writeHardlinkEntry(x, host, h, h.name);
  }
}

function applyXattrs(x: Extraction, rel: string, attrs: Map<string, Buffer>, ops: XattrOps | undefined): void {
  x.opts.xattrStore?.record(rel, attrs);
  if (ops === undefined) {
    x.stats.xattrsRecorded += attrs.size;
    return;
  }
  for (const [k, v] of attrs) {
    try {
      ops.set(hostPath(x.root, rel), k, v);
    } catch (cause) {
      // e.g. trusted.* without CAP_SYS_ADMIN, or a filesystem without user xattrs
      x.stats.xattrsRecorded++;
      x.opts.logger?.debug(`${x.what(rel)}: xattr ${k} not set: ${(cause as Error).message}`);
    }
  }
}

/** `.wh.name` deletes name from lower layers; `.wh..wh..opq` empties the directory of them. */
function applyWhiteout(x: Extraction, rel: string, entry: string): void {
  const name = baseName(rel);
  if (name !== OPAQUE && name.startsWith(WH + WH)) return x.skip(entry, 'AUFS metadata');
  const victim = name.slice(WH.length);
  if (name !== OPAQUE && (victim === '' || victim === '.' || victim === '..')) {
    throw new KilnError('E_UNSAFE_PATH', `${x.what(entry)}: whiteout of "${victim}" is not allowed`);
  }
  const dir = resolveDir(x.root, parentRel(rel), { noLinks: true, what: x.what(entry), ignore: x.opts.ignore });
  if (dir.kind === 'missing') return; // nothing below to hide
  if (dir.kind === 'ignored' || x.opts.ignore.isIgnored(dir.rel)) return x.skip(entry, 'whiteout in ignored path');
  if (name === OPAQUE) return clearLower(x, dir.rel, entry);
  const target = joinRel(dir.rel, victim);
  if (x.opts.ignore.isIgnored(target)) return x.skip(entry, 'whiteout of ignored path');
  if (x.wrote(target)) return; // a whiteout hides only lower layers (OCI layer.md)
  const st = x.lstat(target);
  if (st !== undefined) x.remove(target, st, entry);
}

function clearLower(x: Extraction, dir: string, entry: string): void {
  for (const d of readdirSync(hostPath(x.root, dir), { withFileTypes: true })) {
    const child = joinRel(dir, d.name);
    if (x.opts.ignore.isIgnored(child)) continue;
    if (x.wrote(child)) {
      if (d.isDirectory()) clearLower(x, child, entry); // keep it, but not its lower content
      continue;
    }
    const st = x.lstat(child);
    if (st !== undefined) x.remove(child, st, entry);
  }
}
