// Real warmer processes on one /cache directory: 8 at once warming overlapping images; a warmer
// killed with SIGKILL at random moments, round after round (the store must validate, skopeo must
// read every entry, and the next warmer must succeed); readers verifying images while a warmer
// rewrites them.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Annotations, openStore } from '../../shared/cache/index.ts';
import { validateImage } from '../../shared/image/index.ts';
import { parseReference } from '../../shared/reference/index.ts';
import { firstOf, layoutSource, resolveImage } from '../../shared/source/index.ts';
import { testEnv, type TestEnv } from '../helpers/testenv.ts';
import { recorder, runWarmer, skopeoDigest, sleep, spawnWarmer, tempDir } from './warmer-fixture.ts';

const platform = { os: 'linux', architecture: 'amd64' };
let env: TestEnv;
let all: string[];
beforeAll(() => {
  env = testEnv();
  const { busybox, debian } = env.images;
  all = [busybox.v2s2, busybox.oci, busybox.multi, debian.v2s2, debian.oci, debian.multi];
});

function args(dir: string, images: readonly string[], extra: string[] = []): string[] {
  return ['--cache-dir', dir, '--insecure-registry', env.plain.host, '--custom-platform', 'linux/amd64', ...extra, ...images.flatMap((i) => ['--image', i])];
}

/** validate() is clean and skopeo reads every named entry (a warmer killed before its first index write leaves no store: fine). */
async function expectHealthy(dir: string): Promise<void> {
  expect(await openStore(dir, { logger: recorder().logger }).validate()).toEqual([]);
  if (!existsSync(join(dir, 'index.json'))) return;
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  for (const d of index.manifests) {
    const name = d.annotations?.[Annotations.refName];
    if (name !== undefined) expect(await skopeoDigest(dir, name)).toBe(d.digest);
  }
}

function tempBlobs(dir: string): string[] {
  return readdirIfAny(join(dir, 'blobs', 'sha256')).filter((n) => n.includes('.tmp-'));
}

function readdirIfAny(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Wait for the moment to kill: a random delay; the first temp blob of this process (a blob
 * being written); or the index lock appearing (fs.watch: inotify sees the mkdir at once).
 */
async function killMoment(dir: string, moment: 'random' | 'mid-blob' | 'lock', child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  if (moment === 'random') return sleep(100 + Math.floor(Math.random() * 1900));
  if (moment === 'mid-blob') {
    const mine = `.tmp-${child.pid}-`;
    while (Date.now() < deadline && child.exitCode === null && !tempBlobs(dir).some((n) => n.includes(mine))) await sleep(5);
    return;
  }
  await new Promise<void>((resolve) => {
    const watcher = watch(dir, (_event, name) => {
      if (name === 'index.json.lock' && existsSync(join(dir, 'index.json.lock'))) {
        child.kill('SIGKILL');
        finish();
      }
    });
    const timer = setTimeout(finish, deadline - Date.now());
    child.once('exit', finish);
    function finish(): void {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
  });
}

async function refsIn(dir: string): Promise<string[]> {
  return (await openStore(dir, { logger: recorder().logger }).entries()).map((e) => e.ref).sort();
}

describe('warmer processes sharing one store', () => {
  it('8 warmers at once on overlapping images all succeed and leave one consistent store', { timeout: 300_000 }, async () => {
    const dir = tempDir();
    const runs = Array.from({ length: 8 }, (_, i) => {
      const mine = [all[i % 6], all[(i + 1) % 6], all[(i + 3) % 6]] as string[];
      return runWarmer(args(dir, mine, i % 3 === 0 ? ['--force'] : []));
    });
    const results = await Promise.all(runs);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(await refsIn(dir)).toEqual(all.map((i) => parseReference(i).toString()).sort());
    await expectHealthy(dir);
    const names = readdirSync(join(dir, 'blobs', 'sha256'));
    expect(names.filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-') || n.endsWith('.lock'))).toEqual([]);
  });

  it('survives SIGKILL at random moments, mid-blob and at the lock, round after round', { timeout: 600_000 }, async () => {
    const dir = tempDir();
    const { busybox, debian } = env.images;
    const images = [debian.v2s2, debian.oci, busybox.multi, debian.multi];
    const want = images.map((i) => parseReference(i).toString()).sort();
    let killedWhileRunning = 0;
    let leftTempBlob = 0;
    let leftLock = 0;
    for (let round = 0; round < 9; round++) {
      const moment = (['random', 'mid-blob', 'lock'] as const)[round % 3] ?? 'random';
      // Some rounds start from an emptied store, so there are blobs to write (always when aiming mid-blob).
      if (round % 2 === 0 || moment === 'mid-blob') await openStore(dir, { logger: recorder().logger }).prune({ ttlMs: 0, graceMs: 0 });
      const tempsBefore = tempBlobs(dir).length;
      const victim = spawnWarmer(args(dir, images, ['--force']));
      await killMoment(dir, moment, victim.child);
      if (victim.child.exitCode === null) {
        victim.child.kill('SIGKILL');
        killedWhileRunning++;
      }
      const killed = await victim.done;
      expect(killed.code === 0 || killed.signal === 'SIGKILL', killed.stderr).toBe(true);
      if (tempBlobs(dir).length > tempsBefore) leftTempBlob++;
      if (existsSync(join(dir, 'index.json.lock'))) leftLock++; // the next warmer must take it over as stale
      await expectHealthy(dir);
      const next = await runWarmer(args(dir, images));
      expect(next.code, `round ${round} (${moment}): ${next.stderr}`).toBe(0);
      expect(await refsIn(dir)).toEqual(want);
      await expectHealthy(dir);
    }
    expect(killedWhileRunning).toBeGreaterThanOrEqual(6);
    expect(leftTempBlob).toBeGreaterThanOrEqual(2);
    expect(leftLock).toBeGreaterThanOrEqual(1);
  });

  it('readers verify every image while a warmer rewrites the store', { timeout: 300_000 }, async () => {
    const dir = tempDir();
    const { busybox, debian } = env.images;
    const images = [busybox.v2s2, busybox.multi, debian.oci];
    expect((await runWarmer(args(dir, images))).code).toBe(0);
    const { logger, lines } = recorder();
    const registryUsed = { name: 'registry', resolve: async () => Promise.reject(new Error('the registry was asked')) };
    const source = firstOf([layoutSource(dir, { ttlMs: 3600_000, logger }), registryUsed], logger);
    const writer = (async () => {
      for (let i = 0; i < 3; i++) {
        const r = await runWarmer(args(dir, images, ['--force']));
        expect(r.code, r.stderr).toBe(0);
      }
    })();
    let reads = 0;
    let writing = true;
    void writer.finally(() => (writing = false));
    while (writing) {
      for (const ref of images) {
        await validateImage(await resolveImage(source, parseReference(ref), { platform }));
        reads++;
      }
      expect(await openStore(dir, { logger }).validate()).toEqual([]);
    }
    await writer;
    expect(reads).toBeGreaterThanOrEqual(images.length);
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([]);
  });
});
