import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CacheMount } from '../../shared/dockerfile/instructions/types.ts';
import { silentLogger } from '../../shared/log.ts';
import { cacheKey, leaseCache } from './cache.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-cache-mount-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const mount = (sharing: CacheMount['sharing'], extra: Partial<CacheMount> = {}): CacheMount => ({
  type: 'cache', spec: '', target: '/c', id: 'one', sharing, readonly: false, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, ...extra,
});

describe('cache mounts', () => {
  it('keys caches by id with a readable, collision-free directory name', () => {
    expect(cacheKey('/root/.cache/go-build')).toMatch(/^root_.cache_go-build-[0-9a-f]{16}$/);
    expect(cacheKey('a/b')).not.toBe(cacheKey('a_b'));
  });

  it('locked: a second user waits until the first has put the cache back', async () => {
    const base = testdir();
    const store = { dir: join(base, 'store'), logger: silentLogger };
    const first = await leaseCache(mount('locked'), store);
    await first.fill(join(base, 'a'));
    writeFileSync(join(base, 'a', 'f'), '1');
    let secondDone = false;
    const second = leaseCache(mount('locked'), store).then((l) => {
      secondDone = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(secondDone).toBe(false);
    await first.drain(join(base, 'a'));
    const l2 = await second;
    await l2.fill(join(base, 'b'));
    expect(readFileSync(join(base, 'b', 'f'), 'utf8')).toBe('1');
    await l2.drain(join(base, 'b'));
  });

  it('private: a busy cache gives a fresh empty directory that is discarded', async () => {
    const base = testdir();
    const store = { dir: join(base, 'store'), logger: silentLogger };
    const first = await leaseCache(mount('private'), store);
    await first.fill(join(base, 'a'));
    writeFileSync(join(base, 'a', 'f'), '1');
    const second = await leaseCache(mount('private'), store);
    await second.fill(join(base, 'b'));
    expect(existsSync(join(base, 'b', 'f'))).toBe(false);
    writeFileSync(join(base, 'b', 'g'), '2');
    await second.drain(join(base, 'b'));
    await first.drain(join(base, 'a'));
    const third = await leaseCache(mount('private'), store);
    await third.fill(join(base, 'c'));
    expect(existsSync(join(base, 'c', 'f'))).toBe(true);
    expect(existsSync(join(base, 'c', 'g'))).toBe(false);
    await third.drain(join(base, 'c'));
  });

  it('ro: the command sees the cache but its writes are not kept', async () => {
    const base = testdir();
    const store = { dir: join(base, 'store'), logger: silentLogger };
    const rw = await leaseCache(mount('shared'), store);
    await rw.fill(join(base, 'a'));
    writeFileSync(join(base, 'a', 'f'), 'kept');
    await rw.drain(join(base, 'a'));
    const ro = await leaseCache(mount('shared', { readonly: true }), store);
    await ro.fill(join(base, 'b'));
    writeFileSync(join(base, 'b', 'f'), 'changed');
    mkdirSync(join(base, 'b', 'new'));
    await ro.drain(join(base, 'b'));
    const again = await leaseCache(mount('shared'), store);
    await again.fill(join(base, 'c'));
    expect(readFileSync(join(base, 'c', 'f'), 'utf8')).toBe('kept');
    expect(existsSync(join(base, 'c', 'new'))).toBe(false);
    await again.drain(join(base, 'c'));
  });

  it('a cache on another filesystem is copied in and back (EXDEV)', async () => {
    const base = testdir();
    const other = mkdtempSync('/dev/shm/kiln-cache-mount-');
    onTestFinished(() => rmSync(other, { recursive: true, force: true }));
    const store = { dir: other, logger: silentLogger };
    const first = await leaseCache(mount('locked'), store);
    await first.fill(join(base, 'a'));
    writeFileSync(join(base, 'a', 'f'), 'across');
    await first.drain(join(base, 'a'));
    expect(existsSync(join(base, 'a'))).toBe(false);
    const second = await leaseCache(mount('locked'), store);
    await second.fill(join(base, 'b'));
    expect(readFileSync(join(base, 'b', 'f'), 'utf8')).toBe('across');
    await second.drain(join(base, 'b'));
  });
});
