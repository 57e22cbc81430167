// RUN --mount=type=cache without mounting: each cache (keyed by `id`, default the target) is a
// directory `<cache-mount-dir>/<key>/data`, renamed onto the target for the command and back
// afterwards (copied both ways when the two are on different filesystems). A cache can sit in
// only one root at a time, so `shared` and `locked` both hold a proper-lockfile lock on it
// (concurrent builds wait); `private` takes a fresh, discarded directory when the cache is busy.
// `ro` caches are copied in and discarded. A new cache is created with `mode`/`uid`/`gid` and
// seeded from `from`/`source` when given.
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import type { CacheMount } from '../../shared/dockerfile/instructions/types.ts';
import { KilnError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { copyTree } from './tree-copy.ts';

export interface CacheStore {
  /** --cache-mount-dir (absolute). */
  dir: string;
  /**
   * Where caches go for this build only when `dir` cannot be written (the default
   * <cache-dir>/mounts on a read-only /cache volume): the build works, the caches don't persist.
   * Absent: an unwritable `dir` is an error (the user chose it).
   */
  fallbackDir?: string;
  logger: Logger;
  /** How long to wait for a busy shared/locked cache (default 30 minutes). */
  waitMs?: number;
}

/** A cache directory checked out for one command. */
export interface CacheLease {
  /** Put the cache at `host` (which does not exist). */
  fill(host: string): Promise<void>;
  /** Take the cache back from `host` (which may be gone) and release it. */
  drain(host: string): Promise<void>;
}

export function cacheKey(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 60);
  return `${safe === '' ? 'cache' : safe}-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}

const UNWRITABLE = new Set(['EROFS', 'EACCES', 'EPERM']);

/** `<dir>/<key>`, created; under the fallback directory when `dir` cannot be written. */
async function cacheBase(store: CacheStore, key: string): Promise<string> {
  const base = join(store.dir, key);
  try {
    await mkdir(base, { recursive: true, mode: 0o700 });
    return base;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (store.fallbackDir === undefined || !UNWRITABLE.has(code)) {
      throw new KilnError('E_IO', `creating the cache mount directory ${base}: ${code || (e as Error).message}`, {
        cause: e,
        hint: 'RUN --mount=type=cache keeps its caches in --cache-mount-dir (default <cache-dir>/mounts): give it a writable directory',
      });
    }
    store.logger.warn(
      `RUN --mount=type=cache: ${store.dir} is not writable (${code}); this build's caches will not persist. ` +
        'Pass --cache-mount-dir on a writable volume to keep them between builds',
    );
    const fallback = join(store.fallbackDir, key);
    await mkdir(fallback, { recursive: true, mode: 0o700 });
    return fallback;
  }
}

export interface CacheSeed {
  /** Host path of the seed (a stage's `source`), copied into a new cache. */
  host: string;
}

export async function leaseCache(m: CacheMount, store: CacheStore, seed?: CacheSeed): Promise<CacheLease> {
  const id = m.id !== undefined && m.id !== '' ? m.id : m.target;
  const base = await cacheBase(store, cacheKey(id));
  const release = await takeLock(base, m, store);
  if (release === undefined) {
    store.logger.info(`cache mount ${id} is in use by another build: using a private empty cache (sharing=private)`);
    const tmp = await mkdtemp(join(store.dir, '.private-'));
    const data = join(tmp, 'data');
    await createCache(data, m, seed);
    return { fill: (host) => moveDir(data, host), drain: () => rm(tmp, { recursive: true, force: true }) };
  }
  try {
    const data = join(base, 'data');
    if ((await lstat(data).catch(() => undefined))?.isDirectory() !== true) {
      await rm(data, { recursive: true, force: true });
      await createCache(data, m, seed);
    }
    if (m.readonly) {
      return {
        fill: (host) => copyTree(data, host),
        drain: async (host) => {
          await rm(host, { recursive: true, force: true });
          await release();
        },
      };
    }
    return { fill: (host) => moveDir(data, host), drain: (host) => drainInto(host, data).finally(release) };
  } catch (e) {
    await release();
    throw e;
  }
}

async function createCache(data: string, m: CacheMount, seed?: CacheSeed): Promise<void> {
  if (seed !== undefined) await copyTree(seed.host, data);
  else await mkdir(data);
  await chown(data, m.uid ?? 0, m.gid ?? 0);
  await chmod(data, m.mode ?? 0o755);
}

async function takeLock(base: string, m: CacheMount, store: CacheStore): Promise<(() => Promise<void>) | undefined> {
  const waitMs = store.waitMs ?? 30 * 60_000;
  const maxTimeout = 1000;
  try {
    return await lock(base, {
      realpath: false,
      lockfilePath: `${base}.lock`,
      stale: 30_000,
      retries: m.sharing === 'private' ? 0 : { retries: Math.ceil(waitMs / maxTimeout), minTimeout: 50, maxTimeout, factor: 1.5 },
      onCompromised: (e) => store.logger.warn(`lock on cache mount ${base} compromised: ${e.message}`),
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED' && m.sharing === 'private') return undefined;
    throw new KilnError('E_LOCK', `locking the cache mount ${base}: ${(e as Error).message}`, {
      cause: e,
      hint: 'another build holds this cache; use sharing=private to run with a private one instead of waiting',
    });
  }
}

async function moveDir(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyTree(from, to); // different filesystems: copy in, copied back by drainInto
  }
}

async function drainInto(host: string, data: string): Promise<void> {
  const st = await lstat(host).catch(() => undefined);
  const stored = await lstat(data).catch(() => undefined);
  if (st === undefined && stored !== undefined) return; // never moved in (or copied in): nothing to take back
  if (st?.isDirectory() !== true) {
    // The command removed or replaced the cache directory: keep an empty cache.
    await rm(host, { recursive: true, force: true });
    await rm(data, { recursive: true, force: true });
    await mkdir(data, { mode: 0o755 });
    return;
  }
  if (stored !== undefined) {
    // Copied in across filesystems: replace the stored copy with the new state.
    await rm(data, { recursive: true, force: true });
    await copyTree(host, data);
    await rm(host, { recursive: true, force: true });
    return;
  }
  try {
    await rename(host, data);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyTree(host, data);
    await rm(host, { recursive: true, force: true });
  }
}
