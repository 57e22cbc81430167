// The layout's top files: `oci-layout` and `index.json`. Readers read index.json with no lock
// (it is only ever replaced by rename); writers do their read-modify-write under a
// proper-lockfile lock on it, the only lock in the store (STYLE.md §3).
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { KilnError } from '../errors.ts';
import { MediaTypes, type IndexManifest } from '../image/types.ts';
import type { Logger } from '../log.ts';
import { tempName } from './blobs.ts';

export const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}';

export interface LockSettings {
  /** A lock whose holder has not refreshed it for this long is taken over (min 2000). */
  staleMs: number;
  /** How long to keep trying before giving up with E_LOCK. */
  timeoutMs: number;
}

export const defaultLockSettings: LockSettings = { staleMs: 10_000, timeoutMs: 60_000 };

export function indexPath(dir: string): string {
  return join(dir, 'index.json');
}

export function emptyIndex(): IndexManifest {
  return { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
}

/** index.json, or undefined when the directory holds no store. Throws E_CACHE when it is unreadable or not an index. */
export async function readIndex(dir: string): Promise<IndexManifest | undefined> {
  const text = await readIndexText(dir);
  return text === undefined ? undefined : parseIndex(dir, text);
}

async function readIndexText(dir: string): Promise<string | undefined> {
  try {
    return await readFile(indexPath(dir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new KilnError('E_CACHE', `reading ${indexPath(dir)}: ${(e as Error).message}`, { cause: e });
  }
}

function parseIndex(dir: string, text: string): IndexManifest {
  try {
    const parsed = JSON.parse(text) as IndexManifest;
    if (parsed.schemaVersion !== 2 || !Array.isArray(parsed.manifests)) throw new Error('not an OCI image index');
    return parsed;
  } catch (e) {
    throw new KilnError('E_CACHE', `reading ${indexPath(dir)}: ${(e as Error).message}`, {
      cause: e,
      hint: 'the store is damaged; the next warmer starts a new index (run it with --prune to drop the old blobs)',
    });
  }
}

/** Write a file atomically: temp name in the same directory, fsync, rename. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = join(path, '..', tempName(path.split('/').pop() ?? 'file'));
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Write `oci-layout` if it is missing or wrong (idempotent, so no lock). */
export async function ensureLayoutFile(dir: string): Promise<void> {
  const path = join(dir, 'oci-layout');
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current !== undefined && isOciLayout(current)) return;
  await writeFileAtomic(path, OCI_LAYOUT);
}

export function isOciLayout(text: string): boolean {
  try {
    return (JSON.parse(text) as { imageLayoutVersion?: unknown }).imageLayoutVersion === '1.0.0';
  } catch {
    return false;
  }
}

export interface UpdateOptions {
  logger: Logger;
  lock: LockSettings;
}

/**
 * Read-modify-write index.json under the lock. `mutate` gets the current index (empty when
 * there is none) and returns the new one, or undefined to leave it as it is. The lock is
 * released in every case; if it was compromised (taken over as stale) nothing is written.
 */
export async function updateIndex<T>(
  dir: string,
  mutate: (index: IndexManifest) => Promise<{ index?: IndexManifest; result: T }>,
  options: UpdateOptions,
): Promise<T> {
  const compromised: Error[] = [];
  const release = await acquire(dir, options, compromised);
  try {
    const { index, result } = await mutate((await readIndexForUpdate(dir, options.logger)) ?? emptyIndex());
    if (index !== undefined) {
      if (compromised.length > 0) {
        throw new KilnError('E_LOCK', `updating ${indexPath(dir)}: lost the lock while holding it`, {
          cause: compromised[0],
          hint: 'another process took the lock over as stale (a very slow disk?); run again',
        });
      }
      await writeFileAtomic(indexPath(dir), JSON.stringify(index, null, 2) + '\n');
    }
    return result;
  } finally {
    await release().catch((e: unknown) => options.logger.debug(`releasing the lock on ${indexPath(dir)}: ${(e as Error).message}`));
  }
}

/** index.json for a writer: content that is not an index (damaged outside Kiln) is started afresh, said loudly. */
async function readIndexForUpdate(dir: string, logger: Logger): Promise<IndexManifest | undefined> {
  const text = await readIndexText(dir);
  if (text === undefined) return undefined;
  try {
    return parseIndex(dir, text);
  } catch (e) {
    logger.warn(`${(e as Error).message}: starting a new index; the old entries are lost`);
    return undefined;
  }
}

async function acquire(dir: string, options: UpdateOptions, compromised: Error[]): Promise<() => Promise<void>> {
  const maxTimeout = 250;
  try {
    return await lock(indexPath(dir), {
      realpath: false,
      stale: Math.max(options.lock.staleMs, 2000),
      retries: { retries: Math.ceil(options.lock.timeoutMs / maxTimeout), minTimeout: 20, maxTimeout, factor: 1.5, randomize: true },
      onCompromised: (e) => {
        compromised.push(e);
        options.logger.warn(`lock on ${indexPath(dir)} compromised: ${e.message}`);
      },
    });
  } catch (e) {
    throw new KilnError('E_LOCK', `locking ${indexPath(dir)}: ${(e as Error).message}`, {
      cause: e,
      hint: `another warmer holds ${indexPath(dir)}.lock; it is taken over once stale (${options.lock.staleMs} ms)`,
    });
  }
}
