// store.prune(): remove entries warmed longer ago than the TTL, then blobs no entry references.
// Safe while others read and write: both phases hold the index lock; blobs younger than the
// grace period are kept (a put may be about to reference them, and put re-checks its blobs
// under the lock before committing); temp files are removed only when stale.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hexOf, isDigest, type Digest } from '../digest.ts';
import type { Descriptor, IndexManifest, Manifest } from '../image/types.ts';
import { blobPath, blobsDir, TEMP_MARK, tempPid } from './blobs.ts';
import { Annotations, entryOf, platformKey, type StoreEntry } from './entry.ts';
import { isView } from './oci-view.ts';
import { readIndex, updateIndex } from './index-file.ts';
import type { StoreContext } from './put.ts';
import type { PruneOptions, PruneResult } from './types.ts';

export const DEFAULT_PRUNE_GRACE_MS = 60 * 60 * 1000;
/** A temp file of a process that is gone (on this host) and untouched this long is debris. */
const DEAD_TEMP_GRACE_MS = 5 * 60 * 1000;
/** A temp file untouched this long is debris whatever its pid says (a pid from another host or pod). */
const TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export async function pruneStore(ctx: StoreContext, o: PruneOptions): Promise<PruneResult> {
  const result: PruneResult = { removedEntries: [], removedBlobs: 0, freedBytes: 0, removedTempFiles: 0 };
  if ((await readIndex(ctx.dir)) === undefined) return result;
  // Phase 1: drop expired entries from index.json (readers stop seeing them at once).
  result.removedEntries = await updateIndex(
    ctx.dir,
    async (index) => {
      const now = ctx.now();
      const keep = new Set((o.keep ?? []).map((k) => `${k.ref}\n${platformKey(k.platform)}`));
      const expired = (d: Descriptor): StoreEntry | undefined => {
        const e = entryOf(d);
        if (e === undefined || keep.has(`${e.ref}\n${e.platform}`)) return undefined;
        return now - e.warmedAt.getTime() > o.ttlMs ? e : undefined;
      };
      const removed = index.manifests.map(expired).filter((e) => e !== undefined);
      const kept = index.manifests.filter((d) => expired(d) === undefined);
      // An OCI view goes with the entry it mirrors.
      const live = new Set(kept.filter((d) => !isView(d)).map((d) => d.digest));
      const manifests = kept.filter((d) => !isView(d) || live.has(d.annotations?.[Annotations.viewOf] as Digest));
      if (manifests.length === index.manifests.length) return { result: [] };
      return { index: { ...index, manifests }, result: removed };
    },
    ctx,
  );
  // Phase 2: with the lock held again, sweep what the index (as it is now) does not reference.
  const swept = await updateIndex(
    ctx.dir,
    async (index) => ({ result: await sweep(ctx, { referenced: await referencedBlobs(ctx.dir, index), graceMs: o.graceMs ?? DEFAULT_PRUNE_GRACE_MS }) }),
    ctx,
  );
  for (const e of result.removedEntries) ctx.logger.info(`Pruned ${e.ref} (${e.platform}), warmed ${e.warmedAt.toISOString()}`);
  return { ...result, ...swept };
}

/** Hex names of every blob reachable from the index (manifests, configs, layers, child manifests). */
async function referencedBlobs(dir: string, index: IndexManifest): Promise<Set<string>> {
  const seen = new Set<string>();
  const visit = async (d: Descriptor): Promise<void> => {
    if (!isDigest(d.digest) || seen.has(hexOf(d.digest))) return;
    seen.add(hexOf(d.digest));
    let m: Partial<Manifest & IndexManifest>;
    try {
      m = JSON.parse(await readFile(blobPath(dir, d.digest), 'utf8')) as Partial<Manifest & IndexManifest>;
    } catch {
      return; // not a manifest we can read: validate() reports it
    }
    for (const child of m.manifests ?? []) await visit(child);
    for (const b of [m.config, ...(m.layers ?? [])]) if (b !== undefined && isDigest(b.digest)) seen.add(hexOf(b.digest));
  };
  for (const d of index.manifests) await visit(d);
  return seen;
}

interface SweepArgs {
  referenced: Set<string>;
  graceMs: number;
}

async function sweep(ctx: StoreContext, s: SweepArgs): Promise<Omit<PruneResult, 'removedEntries'>> {
  const out = { removedBlobs: 0, freedBytes: 0, removedTempFiles: 0 };
  const now = ctx.now();
  const dirs = [blobsDir(ctx.dir), ctx.dir];
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const isTemp = name.includes(TEMP_MARK);
      const isBlob = dir === blobsDir(ctx.dir) && !isTemp && /^[a-f0-9]{64}$/.test(name);
      if ((!isTemp && !isBlob) || (isBlob && s.referenced.has(name))) continue;
      const path = join(dir, name);
      const st = await stat(path).catch(() => undefined);
      if (st === undefined) continue;
      const age = now - st.mtimeMs;
      const stale = isTemp
        ? age > TEMP_MAX_AGE_MS || (!processAlive(tempPid(name)) && age > Math.min(s.graceMs, DEAD_TEMP_GRACE_MS))
        : age > s.graceMs;
      if (!stale) continue;
      await rm(path, { force: true });
      if (isTemp) out.removedTempFiles++;
      else {
        out.removedBlobs++;
        out.freedBytes += st.size;
      }
      ctx.logger.debug(`pruned ${path} (${st.size} bytes)`);
    }
  }
  return out;
}

/** Whether a pid runs on this host (a pid from another host or pod may be misjudged; the age check covers it). */
function processAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
