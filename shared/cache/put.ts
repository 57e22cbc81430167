// store.put: write an image's blobs (in parallel, bounded), then add its entry to index.json
// under the lock. Blobs already present are checked and shared, never written twice.
import { open, utimes } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { sha256 } from '../digest.ts';
import { KilnError } from '../errors.ts';
import { MediaTypes, type Descriptor, type Image, type Layer, type Manifest, type Platform } from '../image/types.ts';
import type { Logger } from '../log.ts';
import type { Reference } from '../reference/types.ts';
import { blobIsIntact, blobPath, blobSize, blobsDir, writeBlob, type BlobRef } from './blobs.ts';
import { Annotations, descriptorFor, entryOf, platformKey, refNameFor, sameKey, type StoreEntry } from './entry.ts';
import { ociViewOf, viewDescriptor } from './oci-view.ts';
import { emptyIndex, ensureLayoutFile, readIndex, updateIndex, type LockSettings } from './index-file.ts';
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

const MAX_COMMIT_ATTEMPTS = 3;

export async function putImage(ctx: StoreContext, a: PutArgs): Promise<PutResult> {
  await ensureLayout(ctx);
  const rawManifest = await a.image.rawManifest();
  const manifest = JSON.parse(rawManifest.toString('utf8')) as Manifest;
  const mediaType = manifest.mediaType ?? (await a.image.mediaType()) ?? MediaTypes.ociManifest;
  const manifestDesc: Descriptor = { mediaType, digest: await a.image.digest(), size: rawManifest.length };
  const tally: Tally = { written: 0, reused: 0, bytesWritten: 0 };
  const view = ociViewOf(manifest, mediaType);
  for (let attempt = 1; ; attempt++) {
    await writeImageBlobs(ctx, { image: a.image, manifest, rawManifest, manifestDesc, tally, concurrency: a.options.concurrency ?? 3 });
    if (view !== undefined) await ensureBlob(ctx, { digest: sha256(view), size: view.length }, { open: async () => bufferStream(view), tally });
    const entry = await commit(ctx, a, { manifestDesc, manifest, view });
    if (entry !== undefined) return { entry, ...tally };
    if (attempt >= MAX_COMMIT_ATTEMPTS) {
      throw new KilnError('E_CACHE', `adding ${a.ref.toString()} to ${ctx.dir}: its blobs keep disappearing`, {
        hint: 'a prune with a very short grace period is running at the same time; run the warmer again',
      });
    }
    ctx.logger.debug(`blobs of ${a.ref.toString()} were pruned while it was written; writing them again`);
  }
}

/** oci-layout, and an empty index.json when there is none, so skopeo sees a layout at once. */
async function ensureLayout(ctx: StoreContext): Promise<void> {
  try {
    await ensureLayoutFile(ctx.dir);
    if ((await readIndex(ctx.dir)) === undefined) {
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

interface BlobsArgs {
  image: Image;
  manifest: Manifest;
  rawManifest: Buffer;
  manifestDesc: Descriptor;
  tally: Tally;
  concurrency: number;
}

async function writeImageBlobs(ctx: StoreContext, b: BlobsArgs): Promise<void> {
  const layers = await b.image.layers();
  if (layers.length !== b.manifest.layers.length) {
    throw new KilnError('E_MANIFEST', `storing image ${b.manifestDesc.digest}: ${layers.length} layers for ${b.manifest.layers.length} descriptors`);
  }
  const jobs = b.manifest.layers.map((d, i) => () => ensureBlob(ctx, d, { open: () => (layers[i] as Layer).compressed(), tally: b.tally }));
  await runBounded(jobs, b.concurrency);
  const rawConfig = await b.image.rawConfig();
  await ensureBlob(ctx, b.manifest.config, { open: async () => bufferStream(rawConfig), tally: b.tally });
  // The manifest last: a manifest blob present means its parts were written before it.
  await ensureBlob(ctx, b.manifestDesc, { open: async () => bufferStream(b.rawManifest), tally: b.tally });
  await syncDir(blobsDir(ctx.dir));
}

interface EnsureArgs {
  open: () => Promise<Readable>;
  tally: Tally;
}

async function ensureBlob(ctx: StoreContext, blob: BlobRef, e: EnsureArgs): Promise<void> {
  if (await blobIsIntact(ctx.dir, blob)) {
    // Fresh mtime: prune keeps unreferenced blobs younger than its grace period.
    const t = new Date(ctx.now());
    await utimes(blobPath(ctx.dir, blob.digest), t, t).catch(() => {});
    e.tally.reused++;
    return;
  }
  await writeBlob(ctx.dir, blob, await e.open());
  e.tally.written++;
  e.tally.bytesWritten += blob.size;
  ctx.logger.debug(`wrote blob ${blob.digest} (${blob.size} bytes) to ${ctx.dir}`);
}

interface Commit {
  manifestDesc: Descriptor;
  manifest: Manifest;
  view: Buffer | undefined;
}

/**
 * Add the entry (and its OCI view) under the lock, replacing the entry of the same reference
 * and platform, after checking (under the lock) that no prune took its blobs.
 */
async function commit(ctx: StoreContext, a: PutArgs, c: Commit): Promise<StoreEntry | undefined> {
  const { manifestDesc, manifest } = c;
  const descriptor = descriptorFor({
    ref: a.ref,
    platform: a.platform,
    manifest: manifestDesc,
    warmedAt: new Date(ctx.now()),
    indexDigest: a.options.indexDigest,
  });
  const ref = a.ref.toString();
  const key = platformKey(a.platform);
  const name = refNameFor(ref, key);
  const added = [descriptor];
  if (c.view !== undefined) added.push(viewDescriptor(c.view, { refName: name, of: descriptor }));
  const blobs: BlobRef[] = [...added, manifest.config, ...manifest.layers];
  return updateIndex(
    ctx.dir,
    async (index) => {
      for (const b of blobs) {
        if ((await blobSize(ctx.dir, b.digest)) !== b.size) return { result: undefined };
      }
      const replaced = (d: Descriptor): boolean => sameKey(d, ref, key) || d.annotations?.[Annotations.refName] === name;
      const manifests = [...index.manifests.filter((d) => !replaced(d)), ...added];
      return { index: { ...index, manifests }, result: entryOf(descriptor) };
    },
    ctx,
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

function bufferStream(bytes: Buffer): Readable {
  return Readable.from([bytes]);
}

async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (fh === undefined) return;
  await fh.sync().catch(() => {});
  await fh.close();
}
