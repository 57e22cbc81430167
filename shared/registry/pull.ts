// Reading from a registry: manifests (GET and HEAD, verified against the digest asked for and
// Docker-Content-Digest) and blobs (streamed through VerifyingStream; a connection lost
// mid-blob resumes with a Range request, or restarts and skips what was already passed on).
import { Readable, pipeline } from 'node:stream';
import { type Digest, isDigest, sha256, VerifyingStream } from '../digest.ts';
import { KilnError } from '../errors.ts';
import { isIndexMediaType, MediaTypes, type Descriptor } from '../image/types.ts';
import type { Reference } from '../reference/index.ts';
import { type ClientContext, pullScope, retrying } from './context.ts';
import { networkError } from './http-error.ts';
import { header, stripQuery } from './session.ts';

export const MANIFEST_ACCEPT = [MediaTypes.ociIndex, MediaTypes.dockerManifestList, MediaTypes.ociManifest, MediaTypes.dockerManifest].join(', ');
const MAX_MANIFEST = 4 * 1024 * 1024;

export interface RawManifest {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

const refPart = (ref: Reference): string => ref.digest ?? ref.tag ?? 'latest';

/** GET a manifest or index, verified. */
export function getManifest(ctx: ClientContext, ref: Reference): Promise<RawManifest> {
  const what = `pulling manifest ${ref.toString()}`;
  return retrying(ctx, 'pull', what, async () => {
    const res = await ctx.session.send({
      registry: ref.registry, repository: ref.repository, direction: 'pull', scopes: [pullScope(ref.repository)],
      method: 'GET', path: `/v2/${ref.repository}/manifests/${refPart(ref)}`, headers: { accept: MANIFEST_ACCEPT }, ok: [200],
    });
    const bytes = await readLimited(res.body, MAX_MANIFEST, { what, registry: ref.registry, url: res.url });
    const digest = sha256(bytes);
    if (ref.digest !== undefined && digest !== ref.digest) {
      throw new KilnError('E_DIGEST_MISMATCH', `${what}: the registry sent a manifest with digest ${digest}`);
    }
    const claimed = header(res, 'docker-content-digest');
    if (claimed !== undefined && isDigest(claimed) && claimed !== digest) {
      throw new KilnError('E_DIGEST_MISMATCH', `${what}: Docker-Content-Digest says ${claimed} but the content has digest ${digest}`, {
        hint: 'the registry or a proxy in between altered the manifest',
      });
    }
    return { bytes, digest, mediaType: mediaTypeOf(header(res, 'content-type'), bytes, what) };
  });
}

/** HEAD a manifest: its descriptor, without the body (GET when HEAD gives no digest). */
export async function headManifest(ctx: ClientContext, ref: Reference): Promise<Descriptor> {
  const what = `checking manifest ${ref.toString()}`;
  const head = await retrying(ctx, 'pull', what, async () => {
    const res = await ctx.session.send({
      registry: ref.registry, repository: ref.repository, direction: 'pull', scopes: [pullScope(ref.repository)],
      method: 'HEAD', path: `/v2/${ref.repository}/manifests/${refPart(ref)}`, headers: { accept: MANIFEST_ACCEPT }, ok: [200],
    });
    await res.body.dump();
    return { digest: header(res, 'docker-content-digest'), mediaType: header(res, 'content-type'), size: Number(header(res, 'content-length')) };
  });
  if (head.digest !== undefined && isDigest(head.digest) && head.mediaType !== undefined && Number.isInteger(head.size)) {
    return { digest: head.digest, mediaType: head.mediaType.split(';')[0]!.trim(), size: head.size };
  }
  const full = await getManifest(ctx, ref);
  return { digest: full.digest, mediaType: full.mediaType, size: full.bytes.length };
}

function mediaTypeOf(contentType: string | undefined, bytes: Buffer, what: string): string {
  const ct = contentType?.split(';')[0]?.trim();
  if (ct !== undefined && (isIndexMediaType(ct) || ct === MediaTypes.ociManifest || ct === MediaTypes.dockerManifest)) return ct;
  let parsed: { mediaType?: unknown; manifests?: unknown; layers?: unknown; schemaVersion?: unknown };
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as typeof parsed;
  } catch (cause) {
    throw new KilnError('E_MANIFEST', `${what}: the manifest is not JSON`, { cause });
  }
  if (typeof parsed.mediaType === 'string') return parsed.mediaType;
  if (parsed.schemaVersion === 1) {
    throw new KilnError('E_MANIFEST', `${what}: Docker schema 1 manifests are not supported`, { hint: 'push the image again with a current client' });
  }
  return Array.isArray(parsed.manifests) ? MediaTypes.ociIndex : MediaTypes.ociManifest;
}

async function readLimited(body: AsyncIterable<Buffer>, max: number, ctx: { what: string; registry: string; url: string }): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > max) throw new KilnError('E_MANIFEST', `${ctx.what}: the manifest is larger than ${max} bytes`);
      parts.push(chunk);
    }
  } catch (e) {
    if (e instanceof KilnError) throw e;
    throw networkError(e, { registry: ctx.registry, method: 'GET', url: stripQuery(ctx.url) });
  }
  return Buffer.concat(parts);
}

export interface BlobRequest {
  registry: string;
  repository: string;
  descriptor: Descriptor;
}

/**
 * A stream of a blob's bytes, verified against its digest and size as it flows. Nothing is
 * requested before the stream is read. Temporary failures are retried; after a failure
 * mid-blob the next attempt asks for the rest with Range (or skips what it already sent).
 */
export function blobStream(ctx: ClientContext, req: BlobRequest, options: { verify: boolean } = { verify: true }): Readable {
  const { descriptor: d } = req;
  const what = `blob ${d.digest} of ${req.registry}/${req.repository}`;
  const source = Readable.from(blobChunks(ctx, req, what), { objectMode: false });
  if (!options.verify) return source; // the caller verifies (layerFromCompressedBlob does)
  const verify = new VerifyingStream({ digest: d.digest, size: d.size, what });
  pipeline(source, verify, () => {});
  return verify;
}

/** A small blob (an image config) read whole, verified. */
export async function readBlob(ctx: ClientContext, req: BlobRequest, max: number): Promise<Buffer> {
  if (req.descriptor.size > max) {
    throw new KilnError('E_MANIFEST', `reading blob ${req.descriptor.digest} of ${req.registry}/${req.repository}: ${req.descriptor.size} bytes is more than the ${max} allowed`);
  }
  const parts: Buffer[] = [];
  for await (const chunk of blobStream(ctx, req)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function* blobChunks(ctx: ClientContext, req: BlobRequest, what: string): AsyncGenerator<Buffer> {
  let sent = 0;
  const open = async (): Promise<{ body: AsyncIterable<Buffer>; skip: number; url: string }> => {
    const res = await ctx.session.send({
      registry: req.registry, repository: req.repository, direction: 'pull', scopes: [pullScope(req.repository)],
      method: 'GET', path: `/v2/${req.repository}/blobs/${req.descriptor.digest}`, ok: [200, 206], followRedirects: true,
      ...(sent > 0 ? { headers: { range: `bytes=${sent}-` } } : {}),
    });
    return { body: res.body as AsyncIterable<Buffer>, skip: res.status === 206 ? 0 : sent, url: res.url };
  };
  const total = ctx.policy.attempts + ctx.options.imageDownloadRetry;
  for (let attempt = 0; ; attempt++) {
    const answer = await retrying(ctx, 'pull', `pulling ${what}`, open);
    let skip = answer.skip;
    try {
      for await (const raw of answer.body) {
        const drop = Math.min(skip, raw.length);
        skip -= drop;
        if (drop === raw.length) continue;
        const chunk = drop > 0 ? raw.subarray(drop) : raw;
        sent += chunk.length;
        yield chunk;
      }
      if (skip > 0) throw new KilnError('E_DIGEST_MISMATCH', `reading ${what}: the registry sent fewer bytes on a retry than before`);
      return;
    } catch (e) {
      if (e instanceof KilnError) throw e;
      if (req.descriptor.size >= 0 && sent === req.descriptor.size) return; // every byte arrived; the verifier judges them
      const err = networkError(e, { registry: req.registry, method: 'GET', url: stripQuery(answer.url) });
      if (attempt + 1 >= total) throw err;
      ctx.logger.warn(`pulling ${what}: ${err.message} after ${sent} bytes; resuming (attempt ${attempt + 2} of ${total})`);
      await ctx.clock.sleep(ctx.policy.baseDelayMs);
    }
  }
}
