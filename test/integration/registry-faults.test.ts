// Retries and push economy proven against the real plain-HTTP registry behind a fault proxy:
// resets, cuts mid-blob, 503/429 answers; HEAD skips, cross-repository mounts, chunked uploads.
import { describe, expect, it, onTestFinished } from 'vitest';
import { validateImage } from '../../shared/image/index.ts';
import { parseReference } from '../../shared/reference/index.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { randomImage } from '../helpers/random-image.ts';
import { testEnv } from '../helpers/testenv.ts';
import { amd64, makeClient } from './registry-client.ts';

const env = testEnv();
const unique = (): string => `f${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function proxy(): Promise<FaultProxy> {
  const p = await startFaultProxy(env.plain.host);
  onTestFinished(() => p.close());
  return p;
}

const isManifestGet = (m: string, p: string): boolean => m === 'GET' && p.includes('/manifests/');
const isBlobGet = (m: string, p: string): boolean => m === 'GET' && /\/blobs\/sha256:/.test(p);
const busyboxVia = (p: FaultProxy, tag: 'v2s2' | 'oci' = 'v2s2') => parseReference(`${p.host}/kiln/busybox:${tag}`);

async function drainLayers(img: Awaited<ReturnType<ReturnType<typeof makeClient>['client']['image']>>): Promise<void> {
  for (const layer of await img.layers()) for await (const _ of await layer.compressed()) void _;
}

describe('pull retries through a fault proxy', () => {
  it('recovers from connection resets, 503 and 429 with Retry-After', async () => {
    const p = await proxy();
    const { client, sleeps, lines } = makeClient(env);
    p.inject({ match: isManifestGet, times: 1, action: { kind: 'reset' } });
    p.inject({ match: isManifestGet, times: 1, action: { kind: 'status', status: 503 } });
    p.inject({ match: isBlobGet, times: 1, action: { kind: 'status', status: 429, headers: { 'retry-after': '0.1' } } });
    const img = await client.image(busyboxVia(p), amd64);
    await validateImage(img);
    expect(p.requests.filter((r) => isManifestGet(r.method, r.path)).length).toBe(3);
    expect(sleeps).toContain(100);
    expect(lines.filter((l) => l.includes('retrying')).length).toBe(3);
  });

  it('resumes a layer cut mid-stream with a Range request', async () => {
    const p = await proxy();
    const { client } = makeClient(env);
    const img = await client.image(busyboxVia(p), amd64);
    const layer = (await img.manifest()).layers[0]!;
    expect(layer.size).toBeGreaterThan(100_000);
    p.inject({ match: (m, path) => m === 'GET' && path.endsWith(layer.digest), times: 1, action: { kind: 'cut', afterBytes: 50_000 } });
    await drainLayers(img);
    expect(p.requests.some((r) => r.range === 'bytes=50000-')).toBe(true);
  });

  it('gives up after the attempts plus --image-download-retry, with a clear error', async () => {
    const p = await proxy();
    const { client } = makeClient(env, { attempts: 2, options: { imageDownloadRetry: 2 } });
    p.inject({ match: isManifestGet, times: Infinity, action: { kind: 'status', status: 503 } });
    const err = await client.manifest(busyboxVia(p)).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'E_REGISTRY', status: 503 });
    expect((err as Error).message).toBe(`GET http://${p.host}/v2/kiln/busybox/manifests/v2s2: status 503 (UNAVAILABLE: injected by fault-proxy)`);
    expect(p.requests.filter((r) => isManifestGet(r.method, r.path)).length).toBe(4);
    p.clear();
    p.inject({ match: isManifestGet, times: Infinity, action: { kind: 'reset' } });
    await expect(client.manifest(busyboxVia(p, 'oci'))).rejects.toMatchObject({ code: 'E_REGISTRY_NETWORK' });
  });
});

describe('slow registries', () => {
  it('fetches layers in parallel: delayed blob requests are open at the same time', async () => {
    const p = await proxy();
    const { client } = makeClient(env);
    const ref = parseReference(`${p.host}/slow/${unique()}:1`);
    await client.push(await randomImage({ layers: 4 }), ref);
    const img = await client.image(ref, amd64);
    await img.config();
    p.clear();
    p.requests.splice(0);
    p.inject({ match: isBlobGet, times: 4, action: { kind: 'delay', ms: 400 } });
    await Promise.all((await img.layers()).map(async (l) => {
      for await (const _ of await l.compressed()) void _;
    }));
    const blobGets = p.requests.filter((r) => isBlobGet(r.method, r.path));
    expect(blobGets).toHaveLength(4);
    // one after another, each would arrive with only itself open
    expect(Math.max(...blobGets.map((r) => r.openOnArrival))).toBeGreaterThanOrEqual(2);
  });
});

describe('push economy and retries through a fault proxy', () => {
  it('re-pushing skips every blob the registry has', async () => {
    const p = await proxy();
    const img = await randomImage({ layers: 3, layerBytes: 10_000 });
    const ref = parseReference(`${p.host}/econ/${unique()}:1`);
    await makeClient(env).client.push(img, ref);
    const uploads = (): number => p.requests.filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/')).length;
    expect(uploads()).toBe(4);
    await makeClient(env).client.push(img, parseReference(`${ref.registry}/${ref.repository}:2`));
    expect(uploads()).toBe(4);
    expect(p.requests.filter((r) => r.method === 'HEAD' && r.path.includes('/blobs/')).length).toBe(8);
  });

  it('mounts base layers from their repository instead of uploading them', async () => {
    const p = await proxy();
    const { client } = makeClient(env);
    const base = await client.image(busyboxVia(p), amd64);
    const before = p.requests.length;
    await client.push(base, parseReference(`${p.host}/derived/${unique()}:1`));
    const sent = p.requests.slice(before);
    const layers = (await base.manifest()).layers.length;
    expect(sent.filter((r) => r.method === 'POST' && r.path.includes('mount=') && r.path.includes('from=kiln%2Fbusybox')).length).toBe(layers);
    expect(sent.filter((r) => r.method === 'POST' && r.status === 201).length).toBe(layers);
    // only the config (a few hundred bytes, whose origin is not tracked) is uploaded
    expect(sent.filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/')).length).toBe(1);
  });

  it('uploads in chunks to the real registry', async () => {
    const p = await proxy();
    const { client } = makeClient(env);
    const img = await randomImage({ layers: 1, layerBytes: 300_000 });
    const ref = parseReference(`${p.host}/chunked/${unique()}:1`);
    await client.push(img, ref, { chunked: { threshold: 0, chunkSize: 64 * 1024 } });
    expect(p.requests.filter((r) => r.method === 'PATCH').length).toBeGreaterThanOrEqual(5);
    await validateImage(await client.image(ref, amd64));
  });

  it('retries a push whose upload and manifest requests fail, within --push-retry', async () => {
    const p = await proxy();
    const { client } = makeClient(env, { attempts: 1, options: { pushRetry: 2 } });
    p.inject({ match: (m, path) => m === 'PUT' && path.includes('/blobs/uploads/'), times: 1, action: { kind: 'reset' } });
    p.inject({ match: (m, path) => m === 'PUT' && path.includes('/manifests/'), times: 1, action: { kind: 'status', status: 502 } });
    const img = await randomImage({ layers: 2 });
    const ref = parseReference(`${p.host}/retry/${unique()}:1`);
    expect(await client.push(img, ref)).toBe(await img.digest());
    await validateImage(await client.image(ref, amd64));
    p.inject({ match: (m, path) => m === 'PUT' && path.includes('/manifests/'), times: 3, action: { kind: 'status', status: 500 } });
    await expect(client.push(img, parseReference(`${p.host}/retry/${unique()}:2`))).rejects.toMatchObject({ status: 500 });
  });
});
