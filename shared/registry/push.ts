// Pushing images: blobs in parallel (skipped, mounted or uploaded; shared between
// destinations through the client's ledger), then the config, then the manifest by tag or
// digest. --push-ignore-immutable-tag-errors turns a refused overwrite of an immutable tag
// into a warning, as kaniko does.
import { Readable } from 'node:stream';
import { type Digest, sha256 } from '../digest.ts';
import { isKilnError, KilnError, type RegistryError } from '../errors.ts';
import type { Descriptor, Image, ImageIndex, Layer } from '../image/types.ts';
import { isManifestMediaType } from '../image/types.ts';
import type { Reference } from '../reference/index.ts';
import { type ClientContext, pushScope, retrying } from './context.ts';
import { createLimit } from './limit.ts';
import type { LayerOrigin } from './remote-image.ts';
import { header } from './session.ts';
import { type ChunkPolicy, defaultChunkPolicy, uploadBlob, type UploadOutcome } from './upload.ts';

export interface PushOptions {
  /** Repositories (on the destination registry) to try mounting layers from. */
  mountFrom?: readonly string[];
  /** true: always chunked; false: always monolithic; default: chunked above 256 MiB. */
  chunked?: boolean | Partial<ChunkPolicy>;
  /** --push-ignore-immutable-tag-errors. */
  ignoreImmutableTagErrors?: boolean;
  /** Blobs uploaded at once (default 4). */
  concurrency?: number;
  /** Called once per blob of this push when it is in place (for progress displays). */
  onBlob?: (event: BlobEvent) => void;
}

export interface BlobEvent {
  digest: Digest;
  size: number;
  /** 'shared': another push of this client already put it there. */
  outcome: UploadOutcome | 'shared';
}

/** Client-owned bookkeeping shared by every push of one client. */
export interface PushState {
  /** `${registry}|${digest}` → repository → the upload (or check) of that blob there. */
  ledger: Map<string, Map<string, Promise<UploadOutcome>>>;
  origins: WeakMap<Layer, LayerOrigin>;
}

export function createPushState(origins: WeakMap<Layer, LayerOrigin>): PushState {
  return { ledger: new Map(), origins };
}

function chunkPolicy(opt: PushOptions['chunked']): ChunkPolicy {
  if (opt === true) return { ...defaultChunkPolicy, threshold: -1 };
  if (opt === false) return { ...defaultChunkPolicy, threshold: Number.POSITIVE_INFINITY };
  return { ...defaultChunkPolicy, ...opt };
}

interface BlobJob {
  descriptor: Descriptor;
  open: () => Promise<Readable>;
  origin?: LayerOrigin;
}

async function ensureBlob(ctx: ClientContext, state: PushState, ref: Reference, job: BlobJob, opts: PushOptions): Promise<void> {
  const key = `${ref.registry}|${job.descriptor.digest}`;
  let repos = state.ledger.get(key);
  if (repos === undefined) state.ledger.set(key, (repos = new Map()));
  const existing = repos.get(ref.repository);
  const report = (outcome: BlobEvent['outcome']): void => opts.onBlob?.({ digest: job.descriptor.digest, size: job.descriptor.size, outcome });
  if (existing !== undefined) {
    await existing;
    return report('shared');
  }
  const done = [...repos.keys()].filter((r) => r !== ref.repository);
  const fromOrigin = job.origin?.registry === ref.registry ? [job.origin.repository] : [];
  const mountFrom = [...new Set([...done, ...fromOrigin, ...(opts.mountFrom ?? [])])];
  const what = `pushing blob ${job.descriptor.digest} to ${ref.registry}/${ref.repository}`;
  const p = retrying(ctx, 'push', what, () =>
    uploadBlob(ctx, { registry: ref.registry, repository: ref.repository, descriptor: job.descriptor, open: job.open, mountFrom, chunks: chunkPolicy(opts.chunked) }),
  );
  repos.set(ref.repository, p);
  p.catch(() => repos.delete(ref.repository));
  const outcome = await p;
  ctx.logger.debug(`${what}: ${outcome}`);
  report(outcome);
}

/** Push an image; resolves to its manifest digest. */
export function pushImage(ctx: ClientContext, state: PushState, image: Image, ref: Reference, opts: PushOptions = {}): Promise<Digest> {
  return pushImageAs(ctx, state, { image, ref, reference: ref.tag ?? ref.digest ?? 'latest' }, opts);
}

async function pushImageAs(ctx: ClientContext, state: PushState, t: { image: Image; ref: Reference; reference: string }, opts: PushOptions): Promise<Digest> {
  const { image, ref } = t;
  const [rawManifest, mediaType, manifest, layers] = await Promise.all([image.rawManifest(), image.mediaType(), image.manifest(), image.layers()]);
  const limit = createLimit(opts.concurrency ?? 4);
  const jobs: BlobJob[] = layers.map((layer, i) => {
    const origin = state.origins.get(layer);
    return { descriptor: manifest.layers[i]!, open: () => layer.compressed(), ...(origin ? { origin } : {}) };
  });
  await Promise.all(jobs.map((job) => limit(() => ensureBlob(ctx, state, ref, job, opts))));
  const rawConfig = await image.rawConfig();
  await ensureBlob(ctx, state, ref, { descriptor: manifest.config, open: async () => Readable.from([rawConfig]) }, opts);
  return putManifest(ctx, { ref, reference: t.reference, body: rawManifest, mediaType, ignoreImmutable: opts.ignoreImmutableTagErrors === true });
}

/** Push an index and every image it lists (by digest), then the index itself. */
export async function pushIndex(ctx: ClientContext, state: PushState, index: ImageIndex, ref: Reference, opts: PushOptions = {}): Promise<Digest> {
  const im = await index.indexManifest();
  for (const child of im.manifests) {
    if (!isManifestMediaType(child.mediaType)) {
      throw new KilnError('E_MANIFEST', `pushing index ${ref.toString()}: nested index ${child.digest} is not supported`);
    }
    const image = await index.image(child.digest);
    await pushImageAs(ctx, state, { image, ref, reference: child.digest }, { ...opts, ignoreImmutableTagErrors: false });
  }
  const [raw, mediaType] = await Promise.all([index.rawManifest(), index.mediaType()]);
  return putManifest(ctx, { ref, reference: ref.tag ?? ref.digest ?? 'latest', body: raw, mediaType, ignoreImmutable: opts.ignoreImmutableTagErrors === true });
}

interface PutManifest {
  ref: Reference;
  reference: string;
  body: Buffer;
  mediaType: string;
  ignoreImmutable: boolean;
}

async function putManifest(ctx: ClientContext, m: PutManifest): Promise<Digest> {
  const digest = sha256(m.body);
  const where = `${m.ref.registry}/${m.ref.repository}:${m.reference}`;
  try {
    await retrying(ctx, 'push', `pushing manifest ${where}`, async () => {
      const res = await ctx.session.send({
        registry: m.ref.registry, repository: m.ref.repository, direction: 'push', scopes: [pushScope(m.ref.repository)],
        method: 'PUT', path: `/v2/${m.ref.repository}/manifests/${m.reference}`, ok: [200, 201, 202, 204],
        headers: { 'content-type': m.mediaType }, body: () => m.body,
      });
      await res.body.dump();
      const claimed = header(res, 'docker-content-digest');
      if (claimed !== undefined && claimed !== digest) ctx.logger.warn(`pushing manifest ${where}: the registry reports digest ${claimed}, Kiln computed ${digest}`);
    });
  } catch (e) {
    if (m.ignoreImmutable && isImmutableTagError(e)) {
      ctx.logger.warn(`pushing ${where}: the tag is immutable and already exists; ignoring as --push-ignore-immutable-tag-errors asks`);
      return digest;
    }
    throw e;
  }
  return digest;
}

/** Known "this tag is immutable" refusals (GAR, ECR, Harbor, Quay …): kaniko matches their messages. */
export function isImmutableTagError(e: unknown): boolean {
  if (!isKilnError(e) || (e.code !== 'E_REGISTRY' && e.code !== 'E_REGISTRY_AUTH')) return false;
  const err = e as RegistryError;
  if (err.status === undefined || err.status === 401 || err.status >= 500) return false;
  const text = [err.message, ...(err.diagnostics ?? []).flatMap((d) => [d.code, d.message ?? '', JSON.stringify(d.detail ?? '')])].join(' ');
  return /immutab/i.test(text);
}
