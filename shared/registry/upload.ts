// Putting one blob into a repository (distribution spec "pushing blobs"): HEAD to skip what
// the registry has, POST ?mount=&from= for a cross-repository mount, then a monolithic PUT,
// or PATCH chunks with Content-Range followed by a closing PUT ?digest=.
import type { Readable } from 'node:stream';
import { KilnError } from '../errors.ts';
import type { Descriptor } from '../image/types.ts';
import { type ClientContext, pullScope, pushScope } from './context.ts';
import { header, type RegistryRequest } from './session.ts';

export interface ChunkPolicy {
  /** Blobs larger than this are sent in chunks (bytes). */
  threshold: number;
  chunkSize: number;
}

export const defaultChunkPolicy: ChunkPolicy = Object.freeze({ threshold: 256 * 1024 * 1024, chunkSize: 32 * 1024 * 1024 });

export interface BlobUpload {
  registry: string;
  repository: string;
  descriptor: Descriptor;
  /** A fresh stream of the blob's bytes. */
  open: () => Promise<Readable>;
  /** Repositories of the same registry to try mounting from, in order. */
  mountFrom: string[];
  chunks: ChunkPolicy;
}

export type UploadOutcome = 'exists' | 'mounted' | 'uploaded';

type Req = Omit<RegistryRequest, 'registry' | 'repository' | 'direction' | 'scopes'> & { scopes?: string[] };

export async function uploadBlob(ctx: ClientContext, u: BlobUpload): Promise<UploadOutcome> {
  const send = (r: Req) => ctx.session.send({ registry: u.registry, repository: u.repository, direction: 'push', scopes: [pushScope(u.repository)], ...r });
  const base = `/v2/${u.repository}/blobs`;
  const head = await send({ method: 'HEAD', path: `${base}/${u.descriptor.digest}`, ok: [200, 404] });
  await head.body.dump();
  if (head.status === 200) return 'exists';
  let location: string | undefined;
  for (const from of u.mountFrom.filter((r) => r !== u.repository)) {
    if (location !== undefined) await cancel(send, location);
    const q = new URLSearchParams({ mount: u.descriptor.digest, from });
    const res = await send({ method: 'POST', path: `${base}/uploads/?${q}`, scopes: [pushScope(u.repository), pullScope(from)], ok: [201, 202] });
    await res.body.dump();
    if (res.status === 201) return 'mounted';
    location = header(res, 'location');
  }
  if (location === undefined) {
    const res = await send({ method: 'POST', path: `${base}/uploads/`, ok: [202] });
    await res.body.dump();
    location = header(res, 'location');
  }
  if (location === undefined) {
    throw new KilnError('E_REGISTRY', `pushing blob ${u.descriptor.digest} to ${u.registry}/${u.repository}: the registry started an upload without a Location header`);
  }
  if (u.descriptor.size > u.chunks.threshold) await putChunked(send, location, u);
  else await putWhole(send, location, u);
  return 'uploaded';
}

type Send = (r: Req) => ReturnType<ClientContext['session']['send']>;

async function cancel(send: Send, location: string): Promise<void> {
  await send({ method: 'DELETE', path: location, ok: [200, 202, 204, 404] }).then((r) => r.body.dump(), () => undefined);
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location, 'http://placeholder');
  url.searchParams.set('digest', digest);
  return /^[a-z]+:\/\//i.test(location) ? url.href : `${url.pathname}${url.search}`;
}

async function putWhole(send: Send, location: string, u: BlobUpload): Promise<void> {
  const res = await send({
    method: 'PUT', path: withDigest(location, u.descriptor.digest), ok: [201, 204],
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(u.descriptor.size) },
    body: () => u.open(),
  });
  await res.body.dump();
}

async function putChunked(send: Send, location: string, u: BlobUpload): Promise<void> {
  let loc = location;
  let offset = 0;
  for await (const chunk of chunksOf(await u.open(), u.chunks.chunkSize)) {
    const res = await send({
      method: 'PATCH', path: loc, ok: [202, 204],
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(chunk.length),
        'content-range': `${offset}-${offset + chunk.length - 1}`,
      },
      body: () => chunk,
    });
    await res.body.dump();
    offset += chunk.length;
    loc = header(res, 'location') ?? loc;
  }
  const res = await send({ method: 'PUT', path: withDigest(loc, u.descriptor.digest), ok: [201, 204], headers: { 'content-length': '0' } });
  await res.body.dump();
}

/** Re-cut a stream into buffers of exactly `size` bytes (the last may be shorter). */
export async function* chunksOf(stream: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const data of stream) {
    let buf = data;
    while (have + buf.length >= size) {
      const take = size - have;
      parts.push(buf.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      have = 0;
      buf = buf.subarray(take);
    }
    if (buf.length > 0) {
      parts.push(buf);
      have += buf.length;
    }
  }
  if (have > 0) yield Buffer.concat(parts);
}
