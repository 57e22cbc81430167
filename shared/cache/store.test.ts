import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { amd64, arm64, blobNames, DAY, randomLayer, readAll, ref, storeAt, testdir, testImage } from '../../test/helpers/cache-fixtures.ts';
import { randomImage } from '../../test/helpers/random-image.ts';
import { hexOf, sha256, type Digest } from '../digest.ts';
import { MediaTypes, type Layer } from '../image/types.ts';
import { validateImage } from '../image/index.ts';
import { silentLogger } from '../log.ts';
import { openStore } from './index.ts';

describe('openStore put/lookup', () => {
  it('stores an image as an OCI layout and reads the same bytes back', async () => {
    const dir = testdir();
    const store = storeAt(dir);
    const l1 = randomLayer();
    const l2 = randomLayer();
    const img = testImage([l1, l2]);
    const r = ref('reg.test:5000/lib/app:1.0');
    const put = await store.put(r, amd64, img);
    expect(put).toMatchObject({ written: 4, reused: 0 });
    expect(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0].digest).toBe(await img.digest());
    expect(index.manifests[0].annotations).toEqual({
      'org.opencontainers.image.ref.name': 'reg.test:5000/lib/app:1.0+linux-amd64',
      'dev.kiln.ref': 'reg.test:5000/lib/app:1.0',
      'dev.kiln.platform': 'linux/amd64',
      'dev.kiln.warmed': '2026-11-01T00:00:00.000Z',
    });
    const found = await store.lookup(r, amd64, { ttlMs: DAY });
    if (found.kind !== 'hit') throw new Error(`want hit, got ${found.kind}`);
    expect(await found.image.digest()).toBe(await img.digest());
    expect(await readAll(found.image)).toEqual([await img.rawManifest(), await img.rawConfig(), l1.gz, l1.raw, l2.gz, l2.raw]);
    expect(await (await found.image.layer(sha256(l2.gz))).diffId()).toBe(sha256(l2.raw));
    expect(await store.validate()).toEqual([]);
  });

  it.each(['docker', 'oci'] as const)('round-trips random %s images that validate', async (mediaTypes) => {
    const dir = testdir();
    const store = storeAt(dir);
    for (const [i, compression] of (['gzip', 'none'] as const).entries()) {
      const img = await randomImage({ layers: 3, layerBytes: 4096, mediaTypes, compression });
      await store.put(ref(`r.test/rand:${i}`), amd64, img);
      const found = await store.lookup(ref(`r.test/rand:${i}`), amd64, { ttlMs: DAY });
      if (found.kind !== 'hit') throw new Error('want hit');
      await validateImage(found.image);
      expect(await found.image.rawManifest()).toEqual(await img.rawManifest());
      expect(await found.image.mediaType()).toBe(await img.mediaType());
      expect(found.entry.descriptor.mediaType).toBe(await img.mediaType());
    }
    expect(await store.validate()).toEqual([]);
  });

  it('stores a layer shared by two images once', async () => {
    const dir = testdir();
    const store = storeAt(dir);
    const shared = randomLayer();
    await store.put(ref('r.test/a:1'), amd64, testImage([shared, randomLayer()]));
    const second = await store.put(ref('r.test/b:1'), amd64, testImage([shared, randomLayer()]));
    expect(second).toMatchObject({ written: 3, reused: 1 });
    expect(blobNames(dir)).toHaveLength(2 * 3 + 1);
    expect(blobNames(dir).filter((n) => n === hexOf(sha256(shared.gz)))).toHaveLength(1);
    expect(await store.entries()).toHaveLength(2);
  });

  it('hits a tag within the TTL, reports it expired after, and always hits a digest', async () => {
    const dir = testdir();
    const clock = { t: Date.parse('2026-11-01T00:00:00Z') };
    const store = storeAt(dir, clock);
    const img = testImage([randomLayer()]);
    const digest = await img.digest();
    await store.put(ref('r.test/a:1'), amd64, img, { indexDigest: sha256('an index') });
    clock.t += DAY - 1;
    expect((await store.lookup(ref('r.test/a:1'), amd64, { ttlMs: DAY })).kind).toBe('hit');
    clock.t += 2;
    expect(await store.lookup(ref('r.test/a:1'), amd64, { ttlMs: DAY })).toMatchObject({
      kind: 'expired',
      warmedAt: new Date('2026-11-01T00:00:00Z'),
    });
    clock.t += 365 * DAY;
    expect((await store.lookup(ref(`r.test/a@${digest}`), amd64, { ttlMs: DAY })).kind).toBe('hit');
    expect((await store.lookup(ref(`r.test/other@${digest}`), amd64, { ttlMs: DAY })).kind).toBe('hit');
    expect((await store.lookup(ref(`r.test/a@${sha256('an index')}`), amd64, { ttlMs: DAY })).kind).toBe('hit');
    expect((await store.lookup(ref(`r.test/a@${sha256('an index')}`), arm64, { ttlMs: DAY })).kind).toBe('miss');
    expect((await store.lookup(ref(`r.test/a@${sha256('nothing')}`), amd64, { ttlMs: DAY })).kind).toBe('miss');
  });

  it('keys entries by platform and misses cleanly', async () => {
    const dir = testdir();
    const store = storeAt(dir);
    expect(await store.lookup(ref('r.test/a:1'), amd64, { ttlMs: DAY })).toEqual({ kind: 'miss', reason: `no store in ${dir}` });
    const a = testImage([randomLayer()], amd64);
    const b = testImage([randomLayer()], arm64);
    await store.put(ref('r.test/a:1'), amd64, a);
    await store.put(ref('r.test/a:1'), { os: 'linux', architecture: 'arm64' }, b);
    const hitB = await store.lookup(ref('r.test/a:1'), arm64, { ttlMs: DAY });
    expect(hitB.kind === 'hit' && (await hitB.image.digest())).toBe(await b.digest());
    const hitA = await store.lookup(ref('r.test/a:1'), amd64, { ttlMs: DAY });
    expect(hitA.kind === 'hit' && (await hitA.image.digest())).toBe(await a.digest());
    expect((await store.lookup(ref('r.test/a:2'), amd64, { ttlMs: DAY })).kind).toBe('miss');
    expect((await store.lookup(ref('r.test/a:1'), { os: 'linux', architecture: 's390x' }, { ttlMs: DAY })).kind).toBe('miss');
  });

  it('replaces the entry of the same reference and platform with a newer image', async () => {
    const dir = testdir();
    const clock = { t: 0 };
    const store = storeAt(dir, clock);
    await store.put(ref('r.test/a:1'), amd64, testImage([randomLayer()]));
    clock.t += 1000;
    const newer = testImage([randomLayer()]);
    await store.put(ref('r.test/a:1'), amd64, newer);
    const entries = await store.entries();
    expect(entries).toHaveLength(1);
    expect(entries[0]?.descriptor.digest).toBe(await newer.digest());
    expect(entries[0]?.warmedAt.getTime()).toBe(1000);
  });

  it('survives 8 concurrent puts into one store', async () => {
    const dir = testdir();
    const store = storeAt(dir);
    const shared = randomLayer(64 * 1024);
    const imgs = Array.from({ length: 8 }, () => testImage([shared, randomLayer()]));
    await Promise.all(imgs.map((img, i) => store.put(ref(`r.test/a:${i}`), amd64, img)));
    expect((await store.entries()).map((e) => e.ref).sort()).toEqual(imgs.map((_, i) => `r.test/a:${i}`).sort());
    expect(await store.validate()).toEqual([]);
    expect(blobNames(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe('OCI views of Docker manifests', () => {
  it('names a Docker image through an OCI view over the same blobs, replaced and pruned with its entry', async () => {
    const dir = testdir();
    const clock = { t: Date.now() };
    const store = storeAt(dir, clock);
    const img = await randomImage({ layers: 2, mediaTypes: 'docker' });
    await store.put(ref('r.test/d:1'), amd64, img);
    const index = () => JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests as { mediaType: string; digest: string; annotations: Record<string, string> }[];
    const [entry, view] = index();
    expect(index()).toHaveLength(2);
    expect(entry?.mediaType).toBe(MediaTypes.dockerManifest);
    expect(entry?.digest).toBe(await img.digest());
    expect(entry?.annotations['org.opencontainers.image.ref.name']).toBeUndefined();
    expect(view?.mediaType).toBe(MediaTypes.ociManifest);
    expect(view?.annotations).toEqual({ 'org.opencontainers.image.ref.name': 'r.test/d:1+linux-amd64', 'dev.kiln.view-of': await img.digest() });
    const viewManifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', hexOf(view?.digest as Digest)), 'utf8'));
    expect(viewManifest.config).toEqual({ ...(await img.manifest()).config, mediaType: MediaTypes.ociConfig });
    expect(viewManifest.layers.map((l: { digest: string; mediaType: string }) => [l.digest, l.mediaType])).toEqual(
      (await img.manifest()).layers.map((l) => [l.digest, MediaTypes.ociLayerGzip]),
    );
    expect((await store.entries()).map((e) => e.descriptor.digest)).toEqual([await img.digest()]);
    const found = await store.lookup(ref('r.test/d:1'), amd64, { ttlMs: DAY });
    expect(found.kind === 'hit' && (await found.image.mediaType())).toBe(MediaTypes.dockerManifest);
    expect(await store.validate()).toEqual([]);

    clock.t += 1000;
    const newer = await randomImage({ layers: 1, mediaTypes: 'docker' });
    await store.put(ref('r.test/d:1'), amd64, newer);
    expect(index().map((d) => d.annotations['dev.kiln.view-of'] ?? d.digest)).toEqual([await newer.digest(), await newer.digest()]);

    clock.t += 2 * DAY;
    await store.put(ref('r.test/fresh:1'), amd64, testImage([randomLayer()]));
    await store.prune({ ttlMs: DAY, graceMs: 0 });
    expect(index().map((d) => d.annotations['dev.kiln.ref'])).toEqual(['r.test/fresh:1']);
    expect(await store.validate()).toEqual([]);
  });
});

describe('corruption', () => {
  it('starts a new index when index.json is damaged, saying so', async () => {
    const dir = testdir();
    const warnings: string[] = [];
    const store = openStore(dir, { logger: { ...silentLogger, warn: (m) => void warnings.push(m) } });
    await store.put(ref('r.test/a:1'), amd64, testImage([randomLayer()]));
    writeFileSync(join(dir, 'index.json'), '{"truncat');
    await expect(store.lookup(ref('r.test/a:1'), amd64, { ttlMs: DAY })).rejects.toMatchObject({ code: 'E_CACHE' });
    expect(await store.validate()).toEqual([{ kind: 'index', subject: join(dir, 'index.json'), message: expect.stringContaining('reading') }]);
    await store.put(ref('r.test/b:1'), amd64, testImage([randomLayer()]));
    expect(warnings).toEqual([expect.stringMatching(/index\.json: .*starting a new index; the old entries are lost$/)]);
    expect((await store.entries()).map((e) => e.ref)).toEqual(['r.test/b:1']);
    expect(await store.validate()).toEqual([]);
  });

  it('fails a read of a corrupt blob with E_DIGEST_MISMATCH and reports it in validate()', async () => {
    const dir = testdir();
    const store = storeAt(dir);
    const l = randomLayer();
    await store.put(ref('r.test/a:1'), amd64, testImage([l]));
    const path = join(dir, 'blobs', 'sha256', hexOf(sha256(l.gz)));
    const bad = Buffer.from(l.gz);
    bad[10] = (bad[10] ?? 0) ^ 0xff;
    writeFileSync(path, bad);
    const found = await store.lookup(ref('r.test/a:1'), amd64, { ttlMs: DAY });
    if (found.kind !== 'hit') throw new Error('want hit');
    const [layer] = await found.image.layers();
    await expect(buffer(await (layer as Layer).compressed())).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
    expect(await store.validate()).toEqual([{ kind: 'blob', subject: sha256(l.gz), message: expect.stringMatching(/^content has sha256:/) }]);
  });

  it('reports an entry whose layer is missing', async () => {
    const dir = testdir();
    const store = storeAt(dir);
    const l = randomLayer();
    await store.put(ref('r.test/a:1'), amd64, testImage([l]));
    rmSync(join(dir, 'blobs', 'sha256', hexOf(sha256(l.gz))));
    expect(await store.validate()).toEqual([{ kind: 'entry', subject: 'r.test/a:1', message: `layer ${sha256(l.gz)}: missing` }]);
  });

  it('rewrites a corrupt blob on the next put and leaves no temp file after a failed write', async () => {
    const dir = testdir();
    const store = storeAt(dir);
    const l = randomLayer();
    await store.put(ref('r.test/a:1'), amd64, testImage([l]));
    writeFileSync(join(dir, 'blobs', 'sha256', hexOf(sha256(l.gz))), 'garbage');
    await store.put(ref('r.test/a:1'), amd64, testImage([l]));
    expect(await store.validate()).toEqual([]);
    const liar = testImage([l]);
    const lying = { ...liar, layers: async () => [{ ...((await liar.layers())[0] as Layer), compressed: async () => Readable.from([Buffer.from('lies')]) }] };
    rmSync(join(dir, 'blobs', 'sha256', hexOf(sha256(l.gz))));
    await expect(store.put(ref('r.test/a:2'), amd64, lying)).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
    expect(blobNames(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
