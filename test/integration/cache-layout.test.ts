// The warmer against the test environment's registry: what it writes is an OCI image layout
// that skopeo and umoci read (Docker v2s2, OCI and index images), with shared blobs stored once,
// entries that record reference, platform and time, and kaniko's --dockerfile/--build-arg rules.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Annotations, openStore } from '../../shared/cache/index.ts';
import { parseReference } from '../../shared/reference/index.ts';
import { warm } from '../../warmer/warm.ts';
import { parseWarmerArgs } from '../../warmer/options.ts';
import { testEnv, type TestEnv } from '../helpers/testenv.ts';
import { recorder, skopeoDigest, tempDir, umociList, umociUnpack } from './warmer-fixture.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };
let env: TestEnv;
beforeAll(() => {
  env = testEnv();
});

function options(dir: string, args: string[]) {
  return parseWarmerArgs(['--cache-dir', dir, '--insecure-registry', env.plain.host, '--custom-platform', 'linux/amd64', ...args], {});
}

interface IndexJson {
  manifests: { mediaType: string; digest: string; annotations?: Record<string, string> }[];
}

describe('warmer → /cache layout', () => {
  it('writes every manifest kind so that skopeo and umoci read it, each shared blob once', async () => {
    const dir = tempDir();
    const { busybox, debian } = env.images;
    const images = [busybox.v2s2, busybox.oci, busybox.multi, debian.oci];
    const { logger, lines } = recorder();
    const results = await warm(options(dir, images.flatMap((i) => ['--image', i])), logger);
    expect(results.map((r) => r.outcome)).toEqual(['warmed', 'warmed', 'warmed', 'warmed']);
    expect(lines.filter((l) => l.startsWith('info Retrieving image manifest'))).toHaveLength(4);
    expect(lines.filter((l) => /^info Wrote .* to cache/.test(l))).toHaveLength(4);

    const store = openStore(dir, { logger });
    expect(await store.validate()).toEqual([]);
    const entries = await store.entries();
    expect(entries.map((e) => [e.ref, e.platform]).sort()).toEqual(images.map((i) => [parseReference(i).toString(), 'linux/amd64']).sort());
    for (const e of entries) expect(Date.now() - e.warmedAt.getTime()).toBeLessThan(120_000);
    expect(entries.find((e) => e.ref.endsWith(':multi'))?.indexDigest).toBe(busybox.digest.multi);

    // Every ref name resolves in skopeo to the entry (or its OCI view) over the same blobs.
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as IndexJson;
    const names = index.manifests.map((d) => d.annotations?.[Annotations.refName]).filter((n) => n !== undefined).sort();
    expect(names).toEqual(images.map((i) => `${parseReference(i).toString()}+linux-amd64`).sort());
    expect(await umociList(dir)).toEqual(names);
    for (const d of index.manifests) {
      const name = d.annotations?.[Annotations.refName];
      if (name !== undefined) expect(await skopeoDigest(dir, name)).toBe(d.digest);
    }
    expect(await skopeoDigest(dir, `${parseReference(busybox.oci).toString()}+linux-amd64`)).toBe(busybox.digest.oci);
    const rootfs = join(tempDir(), 'bundle');
    await umociUnpack(dir, `${parseReference(busybox.v2s2).toString()}+linux-amd64`, rootfs);
    expect(existsSync(join(rootfs, 'rootfs', 'bin', 'busybox'))).toBe(true);

    // Blobs: exactly the union of what the manifests reference (busybox's layer is shared).
    const referenced = new Set<string>();
    for (const d of index.manifests) {
      referenced.add(d.digest);
      const m = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', d.digest.slice(7)), 'utf8'));
      for (const b of [m.config, ...m.layers]) referenced.add(b.digest);
    }
    expect(readdirSync(join(dir, 'blobs', 'sha256')).sort()).toEqual([...referenced].map((d) => d.slice(7)).sort());
  });

  it('serves fresh entries from the store, refreshes expired ones, refetches with --force', async () => {
    const dir = tempDir();
    const img = env.images.busybox.oci;
    expect((await warm(options(dir, ['--image', img]), recorder().logger)).map((r) => r.outcome)).toEqual(['warmed']);
    const again = recorder();
    expect((await warm(options(dir, ['--image', img]), again.logger)).map((r) => r.outcome)).toEqual(['fresh']);
    expect(again.lines.find((l) => l.startsWith('info Found'))).toContain(`Found ${parseReference(img).toString()} (linux/amd64) in cache`);
    expect(again.lines.some((l) => l.includes('Retrieving image manifest'))).toBe(false);

    const later = recorder();
    const now = () => Date.now() + 2 * 3600_000;
    expect((await warm(options(dir, ['--image', img, '--cache-ttl', '1h']), later.logger, { now })).map((r) => r.outcome)).toEqual(['warmed']);
    expect(later.lines.join('\n')).toMatch(/was warmed at .*, older than --cache-ttl: refreshing it/);
    const [entry] = await openStore(dir, { logger: later.logger }).entries();
    expect(entry?.warmedAt.getTime()).toBeGreaterThan(Date.now() + 3600_000);

    const forced = recorder();
    expect((await warm(options(dir, ['--image', img, '--force']), forced.logger)).map((r) => r.outcome)).toEqual(['warmed']);
    expect(forced.lines.some((l) => l.includes('Retrieving image manifest'))).toBe(true);
  });

  it('warms the external images of a Dockerfile with meta ARGs and --build-arg, skipping stages and scratch', async () => {
    const dir = tempDir();
    const dockerfile = join(tempDir(), 'Dockerfile');
    writeFileSync(
      dockerfile,
      [
        `ARG REG=${env.plain.host}`,
        'ARG FLAVOUR=v2s2',
        'FROM ${REG}/kiln/busybox:${FLAVOUR} AS base',
        'FROM base AS again',
        'FROM scratch',
        'ARG TOOL',
        'COPY --from=${REG}/kiln/debian:oci /etc/debian_version /',
        'COPY --from=again /bin/busybox /',
      ].join('\n'),
    );
    const { logger } = recorder();
    const results = await warm(options(dir, ['--dockerfile', dockerfile, '--build-arg', 'FLAVOUR=oci']), logger);
    expect(results.map((r) => [r.target.input, r.outcome])).toEqual([
      [`${env.plain.host}/kiln/busybox:oci`, 'warmed'],
      [`${env.plain.host}/kiln/debian:oci`, 'warmed'],
    ]);
  });

  it('keeps one entry per platform of an index, each answering only its own platform', async () => {
    const dir = tempDir();
    const multi = env.images.busybox.multi;
    const args = (p: string) => parseWarmerArgs(['--cache-dir', dir, '--insecure-registry', env.plain.host, '--custom-platform', p, '--image', multi], {});
    await warm(args('linux/amd64'), recorder().logger);
    await warm(args('linux/arm64/v8'), recorder().logger);
    const store = openStore(dir, { logger: recorder().logger });
    const entries = await store.entries();
    expect(entries.map((e) => e.platform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    expect(new Set(entries.map((e) => e.descriptor.digest)).size).toBe(2);
    for (const e of entries) expect(e.indexDigest).toBe(env.images.busybox.digest.multi);
    const arm = await store.lookup(parseReference(multi), { os: 'linux', architecture: 'arm64' }, { ttlMs: 3600_000 });
    if (arm.kind !== 'hit') throw new Error('want hit');
    expect((await arm.image.config()).architecture).toBe('arm64');
    expect((await store.lookup(parseReference(multi), { os: 'linux', architecture: 'ppc64le' }, { ttlMs: 3600_000 })).kind).toBe('miss');
    expect(await store.validate()).toEqual([]);
  });

  it('reports every failing image at the end without hiding the others', async () => {
    const dir = tempDir();
    const { logger, lines } = recorder();
    const bad = `${env.plain.host}/kiln/UPPER:1`; // rejected by the parser: no request is made
    const opts = options(dir, ['--image', `${env.plain.host}/kiln/absent:1`, '--image', env.images.busybox.oci, '--image', bad]);
    const err = await warm(opts, logger).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^caching 2 of 3 images failed: .*kiln\/absent:1: .*404.*; .*kiln\/UPPER:1: .*must be lowercase/);
    expect(lines.filter((l) => l.startsWith('error Failed to cache'))).toHaveLength(2);
    expect(lines).toContain('info Warmed 1 images, 0 already in cache, 2 failed');
    const hit = await openStore(dir, { logger }).lookup(parseReference(env.images.busybox.oci), amd64, { ttlMs: 3600_000 });
    expect(hit.kind).toBe('hit');
  });
});
