// Small hand-made images and stores for the /cache store's unit tests (beside random-image.ts:
// these give exact control over layer bytes, so tests can share, corrupt or delete one blob).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { onTestFinished } from 'vitest';
import { openStore, type CacheStore } from '../../shared/cache/index.ts';
import { sha256, type Digest } from '../../shared/digest.ts';
import { MediaTypes, type Image, type Layer, type Manifest } from '../../shared/image/types.ts';
import { silentLogger } from '../../shared/log.ts';
import type { Reference } from '../../shared/reference/types.ts';

export const amd64 = { os: 'linux', architecture: 'amd64' };
export const arm64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
export const DAY = 24 * 3600 * 1000;

export function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-cache-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export function ref(s: string): Reference {
  const m = /^([^/]+)\/([^:@]+)(?::([^@]+))?(?:@(.+))?$/.exec(s);
  if (m === null) throw new Error(`bad test ref ${s}`);
  const r = { registry: m[1] ?? '', repository: m[2] ?? '', tag: m[3], digest: m[4] as Digest | undefined };
  return { ...r, toString: () => s };
}

export interface TestLayer {
  raw: Buffer;
  gz: Buffer;
}

export function randomLayer(size = 2048): TestLayer {
  const raw = randomBytes(size);
  return { raw, gz: gzipSync(raw) };
}

/** A small image over given layers (test stand-in for test/helpers/random-image.ts). */
export function testImage(layers: TestLayer[], platform = amd64): Image {
  const config = Buffer.from(JSON.stringify({ ...platform, config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l.raw)) } }));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: MediaTypes.ociLayerGzip, digest: sha256(l.gz), size: l.gz.length })),
  };
  const raw = Buffer.from(JSON.stringify(manifest));
  const ls: Layer[] = layers.map((l) => ({
    digest: async () => sha256(l.gz),
    diffId: async () => sha256(l.raw),
    size: async () => l.gz.length,
    mediaType: () => MediaTypes.ociLayerGzip,
    compressed: async () => Readable.from([l.gz]),
    uncompressed: async () => Readable.from([l.raw]),
  }));
  return {
    rawManifest: async () => raw,
    manifest: async () => manifest,
    rawConfig: async () => config,
    config: async () => JSON.parse(config.toString()),
    digest: async () => sha256(raw),
    mediaType: async () => MediaTypes.ociManifest,
    layers: async () => ls,
    layer: async (d) => ls[manifest.layers.findIndex((x) => x.digest === d)] as Layer,
  };
}

export function storeAt(dir: string, clock: { t: number } = { t: Date.parse('2026-11-01T00:00:00Z') }): CacheStore {
  return openStore(dir, { logger: silentLogger, now: () => clock.t });
}

export async function readAll(img: Image): Promise<Buffer[]> {
  const out: Buffer[] = [await img.rawManifest(), await img.rawConfig()];
  for (const l of await img.layers()) {
    out.push(await buffer(await l.compressed()));
    out.push(await buffer(await l.uncompressed()));
  }
  return out;
}

export function blobNames(dir: string): string[] {
  return readdirSync(join(dir, 'blobs', 'sha256')).sort();
}
