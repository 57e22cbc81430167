// Writing one tar entry into the root. The entry's parent is already a real directory inside
// the root; the entry's own path is never followed (O_NOFOLLOW, replaced links).
import {
  closeSync, constants, fchmodSync, fchownSync, futimesSync, linkSync, lchownSync, lutimesSync,
  chmodSync, mkdirSync, openSync, symlinkSync, writeSync,
} from 'node:fs';
import { KilnError } from '../../shared/errors.ts';
import type { TarHeader } from '../layer/tar-header.ts';
import type { Extraction } from './extract-context.ts';
import { resolveDir } from './safe-path.ts';
import { baseName, cleanRel, hostPath, joinRel, parentRel } from './workspace.ts';

const O_CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Write a regular file from its body; owner, mode (after chown: keeps setuid) and mtime. */
export async function writeFileEntry(x: Extraction, host: string, h: TarHeader, body: AsyncIterable<Buffer>): Promise<void> {
  const fd = openSync(host, O_CREATE_NEW, 0o600);
  try {
    for await (const chunk of body) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      x.stats.bytes += chunk.length;
    }
    chownFd(x, fd, h);
    fchmodSync(fd, h.mode);
    futimesSync(fd, h.mtime, h.mtime);
  } finally {
    closeSync(fd);
  }
}

function chownFd(x: Extraction, fd: number, h: TarHeader): void {
  try {
    fchownSync(fd, h.uid, h.gid);
  } catch (e) {
    if (x.isRoot) throw e; // without root, ownership cannot be kept: not an error in host mode
  }
}

function lchown(x: Extraction, host: string, h: TarHeader): void {
  try {
    lchownSync(host, h.uid, h.gid);
  } catch (e) {
    if (x.isRoot) throw e;
  }
}

/** A directory entry: created if missing, kept (mode/owner updated) when one exists. */
export function writeDirEntry(x: Extraction, rel: string, h: TarHeader, exists: boolean): void {
  const host = hostPath(x.root, rel);
  if (!exists) mkdirSync(host, { mode: 0o700 });
  lchown(x, host, h);
  chmodSync(host, h.mode);
  x.dirTimes.push({ rel, host, mtime: h.mtime });
}

export function writeSymlinkEntry(x: Extraction, host: string, h: TarHeader): void {
  // The target is data: it is followed later only within the root (safe-path.ts).
  symlinkSync(h.linkname, host);
  lchown(x, host, h);
  lutimesSync(host, h.mtime, h.mtime);
}

/**
 * A hardlink: its target is resolved inside the root like any entry path (a link on the way
 * is followed as if the root were "/", the final component is not), must exist, and must not
 * be a directory or an ignored path. Returns false when skipped.
 */
export function writeHardlinkEntry(x: Extraction, host: string, h: TarHeader, entry: string): boolean {
  const rel = cleanRel(h.linkname);
  if (rel === undefined || rel === '/') {
    throw new KilnError('E_UNSAFE_PATH', `${x.what(entry)}: hardlink target "${h.linkname}" is outside the build root`);
  }
  const dir = resolveDir(x.root, parentRel(rel), { what: x.what(entry), ignore: x.opts.ignore });
  if (dir.kind === 'ignored') {
    x.skip(entry, `hardlink into ignored path "${dir.rel}"`);
    return false;
  }
  if (dir.kind === 'missing') throw new KilnError('E_LAYER', `${x.what(entry)}: hardlink target "${h.linkname}" does not exist`);
  const target = joinRel(dir.rel, baseName(rel));
  if (x.opts.ignore.isIgnored(target)) {
    x.skip(entry, `hardlink to ignored path "${target}"`);
    return false;
  }
  const st = x.lstat(target);
  if (st === undefined) throw new KilnError('E_LAYER', `${x.what(entry)}: hardlink target "${h.linkname}" does not exist`);
  if (st.isDirectory()) throw new KilnError('E_LAYER', `${x.what(entry)}: hardlink target "${h.linkname}" is a directory`);
  linkSync(hostPath(x.root, target), host);
  return true;
}

/** Fifos and devices through the injected mknod; devices only in the container mode (Docker). */
export function writeNodeEntry(x: Extraction, host: string, h: TarHeader, entry: string): boolean {
  const type = h.type as 'char' | 'block' | 'fifo';
  if (type !== 'fifo' && x.opts.mode !== 'container') {
    x.skip(entry, `${type} device in host mode`);
    return false;
  }
  if (x.opts.mknod === undefined) {
    x.opts.logger?.warn(`${x.what(entry)}: ${type} node skipped: no trusted mknod available`);
    x.stats.skipped++;
    return false;
  }
  x.opts.mknod(host, { type, mode: h.mode, major: h.devmajor ?? 0, minor: h.devminor ?? 0 });
  lchown(x, host, h);
  chmodSync(host, h.mode);
  lutimesSync(host, h.mtime, h.mtime);
  return true;
}
