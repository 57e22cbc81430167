// store.put: write an image's blobs (in parallel, bounded), then add its entry to index.json
// under the lock. Blobs already present are checked and shared, never written twice.
import { open, stat, utimes } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { sha256 } from '../digest.ts';
import { KilnError } from '../errors.ts';
import { MediaTypes, type Descriptor, type Image, type Layer, type Manifest, type Platform } from '../image/types.ts';
import type { Logger } from '../log.ts';
import type { Reference } from '../reference/types.ts';
import { blobIsIntact, blobPath, blobSize, blobsDir, writeBlob, type BlobRef } from './blobs.ts';
import { Annotations, descriptorFor, entryOf, platformKey, refNameFor, sameKey, type StoreEntry } from './entry.ts';
import { ociViewOf, viewDescriptor } from './oci-view.ts';
import { emptyIndex, ensureLayoutFile, indexPath, updateIndex, type LockSettings } from './index-file.ts';
import type { PutOptions, PutResult } from './types.ts';

export interface StoreContext {
  dir: string;
  logger: Logger;
  now: () => number;
  lock: LockSettings;
}

export interface PutArgs {
  ref: Reference;
  platform: Platform;
  image: Image;
  options: PutOptions;
}

interface Tally {
  written: number;
  reused: number;
  bytesWritten: number;
}

/** A blob of the image and how to read it again (a layer stream, or bytes in memory). */
interface BlobSource extends BlobRef {
  open: () => Promise<Readable>;
}

interface Prepared {
  manifestDesc: Descriptor;
  manifest: Manifest;
  view: Buffer | undefined;
  /** Layers first, then config, manifest and view: a manifest present means its parts are. */
  blobs: BlobSource[];
  layerCount: number;
}

export async function putImage(ctx: StoreContext, a: PutArgs): Promise<PutResult> {
  await ensureLayout(ctx);
  const p = await prepare(a.image);
  const tally: Tally = { written: 0, reused: 0, bytesWritten: 0 };
  const concurrency = a.options.concurrency ?? 3;
  await runBounded(p.blobs.slice(0, p.layerCount).map((b) => () => ensureBlob(ctx, b, tally)), concurrency);
  for (const b of p.blobs.slice(p.layerCount)) await ensureBlob(ctx, b, tally);
  await syncDir(blobsDir(ctx.dir));
  const entry = (await commit(ctx, a, { p, tally, repair: false })) ?? (await commit(ctx, a, { p, tally, repair: true }));
  if (entry === undefined) throw new KilnError('E_INTERNAL', `adding ${a.ref.toString()} to ${ctx.dir}: blobs missing after repair`);
  return { entry, ...tally };
}

async function prepare(image: Image): Promise<Prepared> {
  const rawManifest = await image.rawManifest();
  const manifest = JSON.parse(rawManifest.toString('utf8')) as Manifest;
  const mediaType = manifest.mediaType ?? (await image.mediaType()) ?? MediaTypes.ociManifest;
  const manifestDesc: Descriptor = { mediaType, digest: await image.digest(), size: rawManifest.length };
  const layers = await image.layers();
  if (layers.length !== manifest.layers.length) {
    throw new KilnError('E_MANIFEST', `storing image ${manifestDesc.digest}: ${layers.length} layers for ${manifest.layers.length} descriptors`);
  }
  const rawConfig = await image.rawConfig();
  const view = ociViewOf(manifest, mediaType);
  const bytes = (b: Buffer) => async () => Readable.from([b]);
  const blobs: BlobSource[] = [
    ...manifest.layers.map((d, i) => ({ digest: d.digest, size: d.size, open: () => (layers[i] as Layer).compressed() })),
    { digest: manifest.config.digest, size: manifest.config.size, open: bytes(rawConfig) },
    { ...manifestDesc, open: bytes(rawManifest) },
    ...(view === undefined ? [] : [{ digest: sha256(view), size: view.length, open: bytes(view) }]),
  ];
  return { manifestDesc, manifest, view, blobs, layerCount: layers.length };
}

/** oci-layout, and an empty index.json when there is none, so skopeo sees a layout at once. */
async function ensureLayout(ctx: StoreContext): Promise<void> {
  try {
    await ensureLayoutFile(ctx.dir);
    if (!(await exists(indexPath(ctx.dir)))) {
      await updateIndex(ctx.dir, async (index) => ({ index: index.manifests.length === 0 ? emptyIndex() : undefined, result: undefined }), ctx);
    }
  } catch (e) {
    if ((e as KilnError).code === 'E_LOCK' || (e as KilnError).code === 'E_CACHE') throw e;
    throw new KilnError('E_CACHE', `creating the store in ${ctx.dir}: ${(e as Error).message}`, {
      cause: e,
      hint: 'check that the directory exists and is writable (the executor mounts it read-only)',
    });
  }
}

async function ensureBlob(ctx: StoreContext, blob: BlobSource, tally: Tally): Promise<void> {
  if (await blobIsIntact(ctx.dir, blob)) {
    // Fresh mtime: prune keeps unreferenced blobs younger than its grace period.
    const t = new Date(ctx.now());
    await utimes(blobPath(ctx.dir, blob.digest), t, t).catch(() => {});
    tally.reused++;
    return;
  }
  await writeBlob(ctx.dir, blob, await blob.open());
  tally.written++;
  tally.bytesWritten += blob.size;
  ctx.logger.debug(`wrote blob ${blob.digest} (${blob.size} bytes) to ${ctx.dir}`);
}

interface CommitArgs {
  p: Prepared;
  tally: Tally;
  /**
   * Write blobs that went missing (a prune took them before the entry referenced them) while
   * holding the lock, so no prune can take them again. Without it, a missing blob makes the
   * commit answer undefined.
   */
  repair: boolean;
}

/**
 * Add the entry (and its OCI view) under the lock, replacing the entry of the same reference
 * and platform, after checking (under the lock, which prune's sweep also holds) that every
 * blob it references is there.
 */
async function commit(ctx: StoreContext, a: PutArgs, c: CommitArgs): Promise<StoreEntry | undefined> {
  const { manifestDesc, view } = c.p;
  const descriptor = descriptorFor({ ref: a.ref, platform: a.platform, manifest: manifestDesc, warmedAt: new Date(ctx.now()), indexDigest: a.options.indexDigest });
  const ref = a.ref.toString();
  const key = platformKey(a.platform);
  const name = refNameFor(ref, key);
  const added = [descriptor];
  if (view !== undefined) added.push(viewDescriptor(view, { refName: name, of: descriptor }));
  return updateIndex(
    ctx.dir,
    async (index) => {
      for (const b of c.p.blobs) {
        if ((await blobSize(ctx.dir, b.digest)) === b.size) continue;
        if (!c.repair) return { result: undefined };
        ctx.logger.debug(`blob ${b.digest} of ${ref} was pruned before its entry was added; writing it again`);
        await ensureBlob(ctx, b, c.tally);
      }
      const replaced = (d: Descriptor): boolean => sameKey(d, ref, key) || d.annotations?.[Annotations.refName] === name;
      const manifests = [...index.manifests.filter((d) => !replaced(d)), ...added];
      return { index: { ...index, manifests }, result: entryOf(descriptor) };
    },
    ctx,
  );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function runBounded(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < jobs.length && errors.length === 0) {
      const job = jobs[next++] as () => Promise<void>;
      await job().catch((e: unknown) => errors.push(e));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  if (errors.length > 0) throw errors[0];
}

async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (fh === undefined) return;
  await fh.sync().catch(() => {});
  await fh.close();
}
