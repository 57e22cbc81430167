// warm(): fill the /cache base-image store (DESIGN.md §6). For each image: skip it when the
// store holds it fresh (a digest, or a tag warmed within --cache-ttl) unless --force; otherwise
// pull it (mirrors first) and put it, blobs in parallel. An entry older than the TTL is
// refreshed (kaniko's warmer leaves it). One failing image does not stop the others; the
// failures are reported together at the end. --prune runs last.
import { mkdir } from 'node:fs/promises';
import { openStore, type CacheStore } from '../shared/cache/index.ts';
import { isKilnError, KilnError } from '../shared/errors.ts';
import { defaultPlatform, formatPlatform, type Platform } from '../shared/image/index.ts';
import type { Logger } from '../shared/log.ts';
import type { Reference } from '../shared/reference/index.ts';
import { createRegistryClient, type RegistryClient } from '../shared/registry/index.ts';
import type { WarmerOptions } from './options.ts';
import { pullForCache } from './pull.ts';
import { targetsOf, type Target } from './targets.ts';

export interface WarmDeps {
  /** The registry client (default: one made from options.registry, closed at the end). */
  client?: RegistryClient;
  /** Clock, ms since the epoch. */
  now?: () => number;
  /** Images warmed at once (default 2); each writes up to 4 blobs at once. */
  concurrency?: number;
}

export type Outcome = 'fresh' | 'warmed' | 'failed';

export interface WarmResult {
  target: Target;
  outcome: Outcome;
  error?: unknown;
}

export async function warm(options: WarmerOptions, logger: Logger, deps: WarmDeps = {}): Promise<WarmResult[]> {
  const platform = options.platform ?? defaultPlatform();
  const targets = await targetsOf({ ...options, platform, buildPlatform: defaultPlatform() });
  await mkdir(options.cacheDir, { recursive: true }).catch((cause: unknown) => {
    throw new KilnError('E_CACHE', `creating cache directory ${options.cacheDir}: ${(cause as Error).message}`, { cause });
  });
  const store = openStore(options.cacheDir, { logger, ...(deps.now ? { now: deps.now } : {}) });
  let client = deps.client;
  const getClient = (): RegistryClient => (client ??= createRegistryClient({ options: options.registry, logger }));
  let results: WarmResult[];
  try {
    const one = (t: Target): Promise<WarmResult> => warmOne({ store, getClient, options, logger, platform }, t);
    results = await mapBounded(targets, deps.concurrency ?? 2, one);
  } finally {
    if (deps.client === undefined) await client?.close();
  }
  if (options.prune) {
    const keep = results.flatMap((r) => (r.outcome !== 'failed' && r.target.ref !== undefined ? [{ ref: r.target.ref.toString(), platform }] : []));
    await prune(store, { options, logger, keep });
  }
  report(results, logger);
  return results;
}

interface WarmContext {
  store: CacheStore;
  getClient: () => RegistryClient;
  options: WarmerOptions;
  logger: Logger;
  platform: Platform;
}

async function warmOne(ctx: WarmContext, target: Target): Promise<WarmResult> {
  if (target.ref === undefined) {
    ctx.logger.error(`Failed to cache ${target.input} (from ${target.from}): ${errorText(target.error)}`);
    return { target, outcome: 'failed', error: target.error };
  }
  const ref = target.ref;
  const what = `${ref.toString()} (${formatPlatform(ctx.platform)})`;
  try {
    if (!ctx.options.force && (await isFresh(ctx, ref, what))) return { target, outcome: 'fresh' };
    ctx.logger.info(`Retrieving image manifest ${ref.toString()}`);
    const pulled = await pullForCache({ client: ctx.getClient(), registry: ctx.options.registry, logger: ctx.logger }, ref, ctx.platform);
    ctx.logger.info(`Retrieving image ${ref.toString()} from registry ${pulled.servedBy}`);
    const put = await ctx.store.put(ref, ctx.platform, pulled.image, {
      concurrency: 4,
      ...(pulled.indexDigest !== undefined ? { indexDigest: pulled.indexDigest } : {}),
    });
    ctx.logger.info(
      `Wrote ${what} to cache as ${put.entry.descriptor.digest} (${put.written} blobs written, ${put.reused} already there, ${put.bytesWritten} bytes)`,
    );
    return { target, outcome: 'warmed' };
  } catch (error) {
    ctx.logger.error(`Failed to cache ${what}: ${errorText(error)}`);
    return { target, outcome: 'failed', error };
  }
}

/** True when the store holds it and it need not be fetched; logs why either way. */
async function isFresh(ctx: WarmContext, ref: Reference, what: string): Promise<boolean> {
  try {
    const found = await ctx.store.lookup(ref, ctx.platform, { ttlMs: ctx.options.cacheTtlMs });
    if (found.kind === 'hit') {
      ctx.logger.info(`Found ${what} in cache (${found.entry.descriptor.digest}, warmed ${found.entry.warmedAt.toISOString()})`);
      return true;
    }
    if (found.kind === 'expired') {
      ctx.logger.info(`Cached ${what} was warmed at ${found.warmedAt.toISOString()}, older than --cache-ttl: refreshing it`);
    }
    return false;
  } catch (e) {
    ctx.logger.warn(`Cached ${what} is unusable (${errorText(e)}): fetching it again`);
    return false;
  }
}

interface PruneArgs {
  options: WarmerOptions;
  logger: Logger;
  /** What this run warmed or found fresh: kept whatever its age (a digest entry is never refetched). */
  keep: { ref: string; platform: Platform }[];
}

async function prune(store: CacheStore, { options, logger, keep }: PruneArgs): Promise<void> {
  const r = await store.prune({ ttlMs: options.cacheTtlMs, keep });
  logger.info(
    `Pruned ${options.cacheDir}: ${r.removedEntries.length} entries older than --cache-ttl, ${r.removedBlobs} unused blobs (${r.freedBytes} bytes), ${r.removedTempFiles} stale temp files`,
  );
}

/** Throws one error naming every image that failed; the first failure is the cause. */
function report(results: WarmResult[], logger: Logger): void {
  const failed = results.filter((r) => r.outcome === 'failed');
  const count = (o: Outcome): number => results.filter((r) => r.outcome === o).length;
  logger.info(`Warmed ${count('warmed')} images, ${count('fresh')} already in cache, ${failed.length} failed`);
  const first = failed[0];
  if (first === undefined) return;
  const list = failed.map((r) => `${r.target.ref?.toString() ?? r.target.input}: ${errorText(r.error)}`).join('; ');
  throw new KilnError(isKilnError(first.error) ? first.error.code : 'E_CACHE', `caching ${failed.length} of ${results.length} images failed: ${list}`, {
    cause: first.error,
    ...(isKilnError(first.error) && first.error.hint !== undefined ? { hint: first.error.hint } : {}),
  });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function mapBounded<T, R>(items: readonly T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await f(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
