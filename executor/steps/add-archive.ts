// ADD of a local tar archive (plain, gzip, bzip2, xz, zstd): extracted into the destination
// directory as Docker does, keeping the archive's owners (unless --chown), modes and mtimes.
// The archive is first extracted with the build root's safe extractor into a private directory
// next to the destination (so nothing in it can escape, and renames stay on one filesystem),
// then merged in: directories merge (taking the archive's metadata), anything else replaces
// what was there. gzip and zstd decompress in process; bzip2 and xz through the `bzip2`/`xz`
// programs, which must be installed.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, lchown, lstat, mkdtemp, open, readdir, rename, rm, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { isKilnError, KilnError } from '../../shared/errors.ts';
import { decompressStream } from '../../shared/image/index.ts';
import type { Logger } from '../../shared/log.ts';
import { extractLayer } from '../root/extract-layer.ts';
import { IgnoreList } from '../root/ignore-list.ts';
import { mkdirInRoot, resolveInRoot } from '../root/run-paths.ts';

export type ArchiveKind = 'tar' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

const MAGIC: [ArchiveKind, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/**
 * The archive kind of a file, undefined when it is not a tar archive: as Docker's
 * IsArchivePath, a compressed file counts only when what it decompresses to starts with a tar
 * header (a plain `x.gz` is copied, not extracted).
 */
export async function archiveKind(path: string): Promise<ArchiveKind | undefined> {
  const f = await open(path, 'r');
  let kind: ArchiveKind | undefined;
  try {
    const b = Buffer.alloc(512);
    const { bytesRead } = await f.read(b, 0, 512, 0);
    const h = b.subarray(0, bytesRead);
    kind = MAGIC.find(([, m]) => m.every((v, k) => h[k] === v))?.[0];
    if (kind === undefined) return isTarHeader(h) ? 'tar' : undefined;
  } finally {
    await f.close();
  }
  return isTarHeader(await decompressedHead(path, kind)) ? kind : undefined;
}

/** The first 512 bytes `path` decompresses to (fewer when it is shorter or broken). */
async function decompressedHead(path: string, kind: ArchiveKind): Promise<Buffer> {
  const stream = tarStream(path, kind, 'ADD');
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const c of stream) {
      chunks.push(c as Buffer);
      length += (c as Buffer).length;
      if (length >= 512) break;
    }
  } catch (e) {
    if (isKilnError(e) && e.message.includes('needs the')) throw e; // no bzip2/xz program: say so
    // otherwise not decompressible: not an archive
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, 512);
}

/** A POSIX/GNU tar header: the magic, or (old v7 tar) a valid header checksum. */
function isTarHeader(h: Buffer): boolean {
  if (h.length < 512) return false;
  const magic = h.subarray(257, 262).toString('latin1');
  if (magic === 'ustar') return true;
  const stored = parseInt(h.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/g, '').trim(), 8);
  if (Number.isNaN(stored) || h[0] === 0) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
  return sum === stored;
}

export interface ExtractArchiveOptions {
  root: string;
  /** Host path of the archive. */
  archive: string;
  kind: ArchiveKind;
  /** Image path of the destination directory. */
  dest: string;
  /** --chown, applied to every extracted entry. */
  owner?: { uid: number; gid: number };
  logger: Logger;
  /** For messages: `Dockerfile:3: ADD`. */
  what: string;
}

/** Extract into `dest` (created when missing); returns the image paths written. */
export async function extractArchive(o: ExtractArchiveOptions): Promise<string[]> {
  const written = await mkdirInRoot(o.root, o.dest);
  const destHost = await resolveInRoot(o.root, o.dest);
  const tmp = await mkdtemp(join(destHost, '.kiln-add-'));
  try {
    await extractLayer(tarStream(o.archive, o.kind, o.what), {
      root: tmp, ignore: new IgnoreList(), mode: 'host', layerName: `archive ${posix.basename(o.archive)}`, logger: o.logger, xattrOps: null,
    });
    await mergeInto(tmp, destHost, { dest: o.dest, written, ...(o.owner ? { owner: o.owner } : {}) });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return written;
}

function tarStream(path: string, kind: ArchiveKind, what: string): Readable {
  const file = createReadStream(path);
  if (kind === 'tar') return file;
  if (kind === 'gzip' || kind === 'zstd') {
    const out = file.pipe(kind === 'gzip' ? zlib.createGunzip() : decompressStream());
    out.once('close', () => file.destroy());
    return out;
  }
  const child = spawn(kind, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.once('close', () => {
    file.destroy();
    child.kill();
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  file.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  child.on('error', (e) => child.stdout.destroy(new KilnError('E_STEP', `${what}: decompressing ${posix.basename(path)} needs the "${kind}" program: ${e.message}`, { cause: e, hint: `install ${kind}, or add a gzip or zstd archive` })));
  child.on('close', (code) => {
    if (code !== 0) child.stdout.destroy(new KilnError('E_STEP', `${what}: decompressing ${posix.basename(path)} with ${kind}: ${stderr.trim() || `exit code ${code}`}`));
  });
  return child.stdout;
}

interface Merge {
  dest: string;
  written: string[];
  owner?: { uid: number; gid: number };
}

async function mergeInto(srcDir: string, destHost: string, m: Merge): Promise<void> {
  for (const name of (await readdir(srcDir)).sort()) {
    const src = join(srcDir, name);
    const target = join(destHost, name);
    const image = posix.join(m.dest, name);
    const st = await lstat(src);
    const existing = await lstat(target).catch(() => undefined);
    if (st.isDirectory() && existing?.isDirectory() === true) {
      await mergeInto(src, target, { ...m, dest: image });
      await chmod(target, st.mode & 0o7777);
      await lchown(target, m.owner?.uid ?? st.uid, m.owner?.gid ?? st.gid);
      await utimes(target, st.atime, st.mtime);
      m.written.push(image);
      continue;
    }
    if (existing !== undefined) await rm(target, { recursive: true, force: true });
    await rename(src, target);
    await record(target, image, m);
  }
}

/** List a moved entry (and all below it) as written, applying --chown. */
async function record(host: string, image: string, m: Merge): Promise<void> {
  m.written.push(image);
  const st = await lstat(host);
  if (m.owner !== undefined) await lchown(host, m.owner.uid, m.owner.gid);
  if (!st.isDirectory()) return;
  for (const name of await readdir(host)) await record(join(host, name), posix.join(image, name), m);
  if (m.owner !== undefined) await utimes(host, st.atime, st.mtime);
}
