// What the executor reads its bases through: firstOf([layoutSource(/cache), registrySource]).
// A digest reference, or a tag warmed within the TTL, makes no registry request at all (counted
// in the registry's own access log, then proved with the registry stopped); a miss, an expired
// entry or a corrupt blob falls back to the registry with a log line saying why.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../shared/cache/index.ts';
import { hexOf } from '../../shared/digest.ts';
import { validateImage, type Image } from '../../shared/image/index.ts';
import type { Logger } from '../../shared/log.ts';
import { parseReference } from '../../shared/reference/index.ts';
import { createRegistryClient, defaultRegistryOptions } from '../../shared/registry/index.ts';
import { firstOf, layoutSource, registrySource, resolveImage } from '../../shared/source/index.ts';
import { warm } from '../../warmer/warm.ts';
import { parseWarmerArgs } from '../../warmer/options.ts';
import { startRegistry, testEnv, type Registry } from '../helpers/testenv.ts';
import { copyImage, recorder, sleep, tempDir } from './warmer-fixture.ts';

const platform = { os: 'linux', architecture: 'amd64' };
const HOUR = 3600_000;
let reg: Registry;
let busybox: string;
let debian: string;

beforeAll(async () => {
  const env = testEnv();
  reg = await startRegistry();
  busybox = `${reg.host}/cached/busybox:multi`;
  debian = `${reg.host}/cached/debian:oci`;
  await copyImage(env.images.busybox.multi, busybox);
  await copyImage(env.images.debian.oci, debian);
});
afterAll(async () => {
  await reg?.stop();
});

function chain(dir: string, logger: Logger, now: () => number = Date.now) {
  const client = createRegistryClient({ options: { ...defaultRegistryOptions, insecureRegistries: [reg.host] }, logger });
  const registry = registrySource(client, { mirrors: [], maps: {}, skipDefaultFallback: false, logger });
  return { source: firstOf([layoutSource(dir, { ttlMs: HOUR, logger, now }), registry], logger), client };
}

/** Requests the registry has logged so far, once its log has settled. */
async function requestCount(): Promise<number> {
  await sleep(300);
  return reg.requests().length;
}

async function warmInto(dir: string, images: string[]): Promise<void> {
  const opts = parseWarmerArgs(['--cache-dir', dir, '--insecure-registry', reg.host, '--custom-platform', 'linux/amd64', ...images.flatMap((i) => ['-i', i])], {});
  await warm(opts, recorder().logger);
}

/** Resolve and read every byte (validateImage hashes manifest, config and every layer). */
async function resolveAndRead(source: ReturnType<typeof chain>['source'], ref: string): Promise<Image> {
  const image = await resolveImage(source, parseReference(ref), { platform });
  await validateImage(image);
  return image;
}

describe('base images from /cache', () => {
  it('resolves warmed tags and digests (index and manifest) with zero registry requests', async () => {
    const dir = tempDir();
    await warmInto(dir, [busybox, debian]);
    const { lines, logger } = recorder();
    const { source, client } = chain(dir, logger);
    const indexDigest = (await openStore(dir, { logger }).entries()).find((e) => e.ref === busybox)?.indexDigest;
    expect(indexDigest).toMatch(/^sha256:/);
    const before = await requestCount();
    const a = await resolveAndRead(source, busybox);
    const b = await resolveAndRead(source, debian);
    const c = await resolveAndRead(source, `${reg.host}/cached/busybox@${indexDigest}`);
    const d = await resolveAndRead(source, `${reg.host}/elsewhere/anything@${await b.digest()}`);
    expect(await c.digest()).toBe(await a.digest());
    expect(await d.digest()).toBe(await b.digest());
    expect(await requestCount()).toBe(before);
    expect(lines.filter((l) => l.startsWith('info Found'))).toHaveLength(4);
    await client.close();
  });

  it('falls back to the registry for a miss, an expired tag and a corrupt blob, saying why', async () => {
    const dir = tempDir();
    await warmInto(dir, [busybox]);
    const before = await requestCount();

    const expired = recorder();
    const late = chain(dir, expired.logger, () => Date.now() + 2 * HOUR);
    await resolveAndRead(late.source, busybox);
    expect(expired.lines.join('\n')).toMatch(/Cached .*busybox:multi \(linux\/amd64\) in .* older than --cache-ttl; pulling it from the registry/);
    const afterExpired = await requestCount();
    expect(afterExpired).toBeGreaterThan(before);
    await late.client.close();

    const miss = recorder();
    const m = chain(dir, miss.logger);
    await resolveAndRead(m.source, debian);
    expect(miss.lines.join('\n')).toMatch(/debian:oci \(linux\/amd64\) not in cache .*: .* is not in the store/);
    const afterMiss = await requestCount();
    expect(afterMiss).toBeGreaterThan(afterExpired);

    const [entry] = await openStore(dir, { logger: miss.logger }).entries();
    const manifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', hexOf(entry?.descriptor.digest ?? 'sha256:')), 'utf8'));
    writeFileSync(join(dir, 'blobs', 'sha256', hexOf(manifest.layers[0].digest)), 'corrupted on disk');
    const corrupt = recorder();
    const broken = chain(dir, corrupt.logger);
    const img = await resolveAndRead(broken.source, busybox);
    expect(await img.digest()).toBe(entry?.descriptor.digest);
    expect(corrupt.lines.join('\n')).toMatch(/Cached .*busybox:multi \(linux\/amd64\) in .* is corrupt \(.*\); pulling it from the registry/);
    expect(await requestCount()).toBeGreaterThan(afterMiss);
    await m.client.close();
    await broken.client.close();
  });

  // Last: stops the registry.
  it('builds from the store with the registry stopped', async () => {
    const dir = tempDir();
    await warmInto(dir, [busybox, debian]);
    await reg.stop();
    const { logger } = recorder();
    const { source, client } = chain(dir, logger);
    await resolveAndRead(source, busybox);
    await resolveAndRead(source, debian);
    await expect(resolveAndRead(source, `${reg.host}/cached/debian:v2s2`)).rejects.toThrow(/ECONNREFUSED|reachable/);
    await client.close();
  });
});
