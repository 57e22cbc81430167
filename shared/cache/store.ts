// openStore: the /cache base-image store over an OCI image layout (DESIGN.md §6, STYLE.md §3).
// Readers take no lock; writers lock only index.json's read-modify-write.
import type { Image, Platform } from '../image/types.ts';
import type { Logger } from '../log.ts';
import type { Reference } from '../reference/types.ts';
import { entryOf, platformKey, type StoreEntry } from './entry.ts';
import { defaultLockSettings, readIndex, type LockSettings } from './index-file.ts';
import { imageFromLayout } from './layout-image.ts';
import { pruneStore } from './prune.ts';
import { putImage } from './put.ts';
import type { CacheStore, LookupOptions, LookupResult, PutOptions } from './types.ts';
import { validateStore } from './validate.ts';

export interface StoreOptions {
  logger: Logger;
  /** Clock, ms since the epoch (tests inject one). */
  now?: () => number;
  lock?: Partial<LockSettings>;
}

/** Open the store in `dir`. Nothing is read or written until a method is called. */
export function openStore(dir: string, options: StoreOptions): CacheStore {
  const ctx = {
    dir,
    logger: options.logger,
    now: options.now ?? Date.now,
    lock: { ...defaultLockSettings, ...options.lock },
  };
  return {
    dir,
    lookup: (ref, platform, o) => lookup(dir, { ref, platform, options: o, now: ctx.now }),
    put: (ref: Reference, platform: Platform, image: Image, o?: PutOptions) => putImage(ctx, { ref, platform, image, options: o ?? {} }),
    entries: async () => entriesIn(dir),
    validate: () => validateStore(dir),
    prune: (o) => pruneStore(ctx, o),
  };
}

async function entriesIn(dir: string): Promise<StoreEntry[]> {
  const index = await readIndex(dir);
  return (index?.manifests ?? []).map(entryOf).filter((e) => e !== undefined);
}

interface LookupArgs {
  ref: Reference;
  platform: Platform;
  options: LookupOptions;
  now: () => number;
}

async function lookup(dir: string, a: LookupArgs): Promise<LookupResult> {
  const index = await readIndex(dir);
  if (index === undefined) return { kind: 'miss', reason: `no store in ${dir}` };
  const all = index.manifests.map(entryOf).filter((e) => e !== undefined);
  const key = platformKey(a.platform);
  const name = a.ref.toString();
  const hit = async (entry: StoreEntry): Promise<LookupResult> => ({ kind: 'hit', image: await imageFromLayout(dir, entry.descriptor), entry });
  const digest = a.ref.digest;
  if (digest !== undefined) {
    // Content-addressed: whatever reference it was warmed as, these bytes are the image.
    const found =
      all.find((e) => e.ref === name && e.platform === key) ??
      all.find((e) => e.descriptor.digest === digest) ??
      all.find((e) => e.indexDigest === digest && e.platform === key);
    return found === undefined ? { kind: 'miss', reason: `${name} (${key}) is not in the store` } : hit(found);
  }
  const candidates = all.filter((e) => e.ref === name && e.platform === key);
  const newest = candidates.sort((x, y) => y.warmedAt.getTime() - x.warmedAt.getTime())[0];
  if (newest === undefined) return { kind: 'miss', reason: `${name} (${key}) is not in the store` };
  if (a.now() - newest.warmedAt.getTime() > a.options.ttlMs) return { kind: 'expired', warmedAt: newest.warmedAt, entry: newest };
  return hit(newest);
}
