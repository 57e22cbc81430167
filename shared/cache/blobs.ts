// Content-addressed blobs under blobs/sha256/<hex>. A blob is written to
// `<hex>.tmp-<pid>-<random>`, verified (digest and size) as it streams, fdatasynced and renamed, so
// a reader never sees a partial blob and needs no lock (ggcr layout/write.go).
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hexOf, sha256, VerifyingStream, type Digest } from '../digest.ts';
import { KilnError } from '../errors.ts';

export interface BlobRef {
  digest: Digest;
  size: number;
}

export const TEMP_MARK = '.tmp-';

export function blobsDir(dir: string): string {
  return join(dir, 'blobs', 'sha256');
}

export function blobPath(dir: string, digest: Digest): string {
  return join(blobsDir(dir), hexOf(digest));
}

export function tempName(hex: string): string {
  return `${hex}${TEMP_MARK}${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** The pid in a temp name (`<hex>.tmp-<pid>-<random>`), or undefined for other names. */
export function tempPid(name: string): number | undefined {
  const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** Size of the blob on disk, or undefined when it is absent. */
export async function blobSize(dir: string, digest: Digest): Promise<number | undefined> {
  try {
    return (await stat(blobPath(dir, digest))).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KilnError('E_CACHE', `checking blob ${digest}: ${(e as Error).message}`, { cause: e });
  }
}

/** True when the blob is present with the right size and its bytes hash to its digest. */
export async function blobIsIntact(dir: string, blob: BlobRef): Promise<boolean> {
  if ((await blobSize(dir, blob.digest)) !== blob.size) return false;
  try {
    await pipeline(createReadStream(blobPath(dir, blob.digest)), verifier(blob, 'blob'), devNull());
    return true;
  } catch {
    return false;
  }
}

/**
 * Stream `source` into the store as `blob`. Resolves once the blob is durable under its final
 * name; a digest or size mismatch fails with E_DIGEST_MISMATCH and leaves nothing behind.
 */
export async function writeBlob(dir: string, blob: BlobRef, source: Readable): Promise<void> {
  const hex = hexOf(blob.digest);
  const tmp = join(blobsDir(dir), tempName(hex));
  await mkdir(blobsDir(dir), { recursive: true });
  const fh = await open(tmp, 'wx', 0o644);
  try {
    // A source that already verifies this digest and size errors before its end on a mismatch,
    // so the pipeline rejects and nothing is renamed: hashing the bytes again would only cost.
    const sink = fileSink(fh, blob);
    if (source instanceof VerifyingStream && source.verifies(blob.digest, blob.size)) await pipeline(source, sink);
    else await pipeline(source, verifier(blob, `blob ${blob.digest}`), sink);
    await fh.close();
    await rename(tmp, blobPath(dir, blob.digest));
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    if ((e as KilnError).code === 'E_DIGEST_MISMATCH') throw e;
    throw new KilnError('E_CACHE', `writing blob ${blob.digest} to ${dir}: ${(e as Error).message}`, { cause: e });
  }
}

/** Read a small blob whole, checking its size and digest. */
export async function readVerified(dir: string, blob: BlobRef, what: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(blobPath(dir, blob.digest));
  } catch (e) {
    throw new KilnError('E_CACHE', `reading ${what} from ${dir}: ${(e as Error).message}`, { cause: e });
  }
  if (bytes.length !== blob.size || sha256(bytes) !== blob.digest) {
    throw new KilnError('E_DIGEST_MISMATCH', `reading ${what} from ${dir}: content does not match ${blob.digest}`, {
      hint: 'the store is corrupt; run the warmer with --force, or delete the directory',
    });
  }
  return bytes;
}

function verifier(blob: BlobRef, what: string): VerifyingStream {
  return new VerifyingStream({ digest: blob.digest, size: blob.size, what });
}

/** Bytes after which a blob's writeback starts, so the datasync at its end has little left to wait for. */
const SYNC_EVERY = 8 << 20;

/**
 * Writes to an open file and fdatasyncs it at the end (the file stays open for the caller to
 * close); every SYNC_EVERY bytes a datasync starts in the background, overlapping the disk's
 * writeback with the download. The end fails unless exactly `blob.size` bytes were written
 * and every datasync succeeded (an error is reported once per file, so none is dropped).
 */
function fileSink(fh: FileHandle, blob: BlobRef): Writable {
  let written = 0;
  let unsynced = 0;
  let syncing: Promise<void> = Promise.resolve();
  let inFlight = false;
  let syncError: unknown;
  const startSync = (): void => {
    if (inFlight || unsynced < SYNC_EVERY) return;
    unsynced = 0;
    inFlight = true;
    syncing = fh.datasync().then(
      () => void (inFlight = false),
      (e: unknown) => void ((syncError ??= e), (inFlight = false)),
    );
  };
  const put = (chunks: Buffer[], cb: (e?: Error | null) => void): void => {
    for (const c of chunks) written += c.length;
    for (const c of chunks) unsynced += c.length;
    writeAll(fh, chunks).then(() => (startSync(), cb()), cb);
  };
  return new Writable({
    highWaterMark: 1 << 20,
    write: (chunk: Buffer, _enc, cb) => put([chunk], cb),
    // Chunks that queued up while a write was in flight go out in one writev (no copy).
    writev: (chunks, cb) => put(chunks.map((c) => c.chunk as Buffer), cb),
    final: (cb) => {
      if (written !== blob.size) {
        cb(new KilnError('E_DIGEST_MISMATCH', `writing blob ${blob.digest}: got ${written} bytes, want ${blob.size}`));
        return;
      }
      // fdatasync: the bytes and the size; the rename and the directory fsync make the name durable.
      const done = (): Promise<void> => (syncError === undefined ? fh.datasync() : Promise.reject(syncError as Error));
      syncing.then(done).then(() => cb(), cb);
    },
  });
}

async function writeAll(fh: FileHandle, chunks: Buffer[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    let n = (await fh.writev(rest)).bytesWritten;
    while (rest.length > 0 && n >= (rest[0] as Buffer).length) n -= (rest.shift() as Buffer).length;
    if (n > 0) rest[0] = (rest[0] as Buffer).subarray(n);
  }
}

function devNull(): Writable {
  return new Writable({ write: (_chunk, _enc, cb) => cb() });
}
