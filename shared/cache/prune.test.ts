import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { describe, expect, it, onTestFinished } from 'vitest';
import { amd64, blobNames, DAY, randomLayer, ref, storeAt, testdir, testImage } from '../../test/helpers/cache-fixtures.ts';
import { hexOf, sha256 } from '../digest.ts';
import { silentLogger } from '../log.ts';
import { openStore } from './index.ts';

describe('the index lock', () => {
  it('takes over a stale lock left by a killed writer', async () => {
    const dir = testdir();
    const store = openStore(dir, { logger: silentLogger, lock: { staleMs: 2000, timeoutMs: 10_000 } });
    await store.put(ref('r.test/a:1'), amd64, testImage([randomLayer()]));
    const lockDir = join(dir, 'index.json.lock');
    mkdirSync(lockDir);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockDir, old, old);
    const started = Date.now();
    await store.put(ref('r.test/b:1'), amd64, testImage([randomLayer()]));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await store.entries()).toHaveLength(2);
    expect(existsSync(lockDir)).toBe(false);
  });

  it('waits for a live holder and gives up with E_LOCK, leaving the index untouched', async () => {
    const dir = testdir();
    const store = openStore(dir, { logger: silentLogger, lock: { staleMs: 10_000, timeoutMs: 600 } });
    await store.put(ref('r.test/a:1'), amd64, testImage([randomLayer()]));
    const before = readFileSync(join(dir, 'index.json'));
    const release = await lock(join(dir, 'index.json'), { realpath: false });
    onTestFinished(() => release().catch(() => {}));
    await expect(store.put(ref('r.test/b:1'), amd64, testImage([randomLayer()]))).rejects.toMatchObject({ code: 'E_LOCK' });
    expect(readFileSync(join(dir, 'index.json'))).toEqual(before);
    await release();
    await store.put(ref('r.test/b:1'), amd64, testImage([randomLayer()]));
    expect(await store.entries()).toHaveLength(2);
  });
});

describe('prune', () => {
  it('removes expired entries and the blobs only they used, keeping shared ones', async () => {
    const dir = testdir();
    const clock = { t: Date.now() };
    const store = storeAt(dir, clock);
    const shared = randomLayer();
    const own = randomLayer();
    await store.put(ref('r.test/old:1'), amd64, testImage([shared, own]));
    clock.t += 2 * DAY;
    const fresh = testImage([shared]);
    await store.put(ref('r.test/new:1'), amd64, fresh);
    writeFileSync(join(dir, 'blobs', 'sha256', `${'a'.repeat(64)}.tmp-999999999-abcdef`), 'debris');
    const result = await store.prune({ ttlMs: DAY, graceMs: 0 });
    expect(result.removedEntries.map((e) => e.ref)).toEqual(['r.test/old:1']);
    expect(result.removedBlobs).toBe(3); // old manifest, old config, own layer
    expect(result.removedTempFiles).toBe(1);
    expect(blobNames(dir)).toContain(hexOf(sha256(shared.gz)));
    expect(blobNames(dir)).not.toContain(hexOf(sha256(own.gz)));
    expect(await store.validate()).toEqual([]);
    expect((await store.lookup(ref('r.test/new:1'), amd64, { ttlMs: DAY })).kind).toBe('hit');
  });

  it('keeps entries it is told to keep, whatever their age', async () => {
    const dir = testdir();
    const clock = { t: Date.now() };
    const store = storeAt(dir, clock);
    const img = testImage([randomLayer()]);
    const pinned = ref(`r.test/a@${await img.digest()}`);
    await store.put(pinned, amd64, img);
    await store.put(ref('r.test/b:1'), amd64, testImage([randomLayer()]));
    clock.t += 2 * DAY;
    const r = await store.prune({ ttlMs: DAY, graceMs: 0, keep: [{ ref: pinned.toString(), platform: amd64 }] });
    expect(r.removedEntries.map((e) => e.ref)).toEqual(['r.test/b:1']);
    expect((await store.lookup(pinned, amd64, { ttlMs: DAY })).kind).toBe('hit');
    expect(await store.validate()).toEqual([]);
  });

  it('is safe against puts running at the same time', async () => {
    const dir = testdir();
    // A clock a second ahead: every blob on disk is past the (zero) grace period at once.
    const store = openStore(dir, { logger: silentLogger, now: () => Date.now() + 1000 });
    const shared = randomLayer(32 * 1024);
    for (let round = 0; round < 5; round++) {
      const puts = Promise.all(Array.from({ length: 4 }, (_, i) => store.put(ref(`r.test/p:${i}`), amd64, testImage([shared, randomLayer(256 * 1024)]))));
      let done = false;
      void puts.finally(() => (done = true));
      // Prune with no grace period again and again while the puts write: it deletes their
      // blobs before they are committed, and each put must notice under the lock.
      while (!done) await store.prune({ ttlMs: DAY, graceMs: 0 });
      await puts;
      expect(await store.validate()).toEqual([]);
      expect(await store.entries()).toHaveLength(4);
    }
  });

  it('keeps unreferenced blobs younger than the grace period and temp files of live processes', async () => {
    const dir = testdir();
    const store = storeAt(dir, { t: Date.now() });
    await store.put(ref('r.test/a:1'), amd64, testImage([randomLayer()]));
    writeFileSync(join(dir, 'blobs', 'sha256', 'b'.repeat(64)), 'young');
    writeFileSync(join(dir, 'blobs', 'sha256', `${'c'.repeat(64)}.tmp-${process.pid}-abcdef`), 'writing');
    const result = await store.prune({ ttlMs: DAY });
    expect(result).toMatchObject({ removedEntries: [], removedBlobs: 0, removedTempFiles: 0 });
    expect(blobNames(dir)).toHaveLength(5);
  });
});
