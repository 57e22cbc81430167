// dist/warmer.js fills a /cache directory that dist/executor.js builds from: a warmed base makes
// no registry request (counted in the registry's access log, then with the registry stopped),
// an executor builds while a warmer rewrites the store, and the warmer's flags behave as kaniko's
// (plus --prune, and a refresh of entries older than --cache-ttl).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../shared/cache/index.ts';
import { silentLogger } from '../../shared/log.ts';
import { copyImage, runWarmer, sleep, spawnWarmer, tempDir, type Run } from '../integration/warmer-fixture.ts';
import { startRegistry, testEnv, type Registry } from '../helpers/testenv.ts';
import { repoRoot } from './build-support.ts';

let reg: Registry;
let base: string;
let other: string;

beforeAll(async () => {
  const env = testEnv();
  reg = await startRegistry();
  base = `${reg.host}/cached/busybox:multi`;
  other = `${reg.host}/cached/busybox:oci`;
  await copyImage(env.images.busybox.multi, base);
  await copyImage(env.images.busybox.oci, other);
});
afterAll(async () => {
  await reg?.stop();
});

function warmerArgs(cacheDir: string, extra: string[]): string[] {
  return ['--cache-dir', cacheDir, '--insecure-registry', reg.host, ...extra];
}

/** Build a small Dockerfile on `from` with dist/executor.js, reading bases from cacheDir. */
function executorBuild(cacheDir: string, from: string): Promise<Run> {
  const context = tempDir('kiln-warm-e2e-ctx-');
  writeFileSync(path.join(context, 'Dockerfile'), `FROM ${from}\nRUN echo built > /built.txt\n`);
  const out = tempDir('kiln-warm-e2e-out-');
  const args = [
    path.join(repoRoot, 'dist/executor.js'), '--root-dir', path.join(out, 'root'), '--context', context, '--dockerfile', 'Dockerfile',
    '--cache-dir', cacheDir, '--cache-mount-dir', path.join(out, 'mounts'), '--insecure-pull', '--no-push', '--tar-path', path.join(out, 'image.tar'),
  ];
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: '--no-warnings' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

async function requestCount(): Promise<number> {
  await sleep(300);
  return reg.requests().length;
}

describe('warmer → executor through --cache-dir', () => {
  it('builds from a warmed base with no registry request, also while a warmer rewrites the store', async () => {
    const cache = tempDir('kiln-warm-e2e-cache-');
    const warmed = await runWarmer(warmerArgs(cache, ['--image', base]));
    expect(warmed.code, warmed.stderr).toBe(0);
    expect(warmed.stderr).toContain(`Retrieving image manifest ${base}`);
    expect(warmed.stderr).toMatch(new RegExp(`Wrote ${base} \\(linux/amd64\\) to cache`));

    const before = await requestCount();
    const built = await executorBuild(cache, base);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toMatch(new RegExp(`Found ${base} \\(linux/amd64\\) in cache`));
    expect(await requestCount()).toBe(before);

    const writer = spawnWarmer(warmerArgs(cache, ['--image', base, '--image', other, '--force']));
    const during = await executorBuild(cache, base);
    const w = await writer.done;
    expect(during.code, during.stderr).toBe(0);
    expect(w.code, w.stderr).toBe(0);
    expect(await openStore(cache, { logger: silentLogger }).validate()).toEqual([]);
  });

  it('answers from the store when fresh, refreshes past --cache-ttl, refetches with --force, prunes', async () => {
    const cache = tempDir('kiln-warm-e2e-cache-');
    expect((await runWarmer(warmerArgs(cache, ['-i', base, '-i', other]))).code).toBe(0);
    const fresh = await runWarmer(warmerArgs(cache, ['-i', base]));
    expect(fresh.stderr).toMatch(/Found .*busybox:multi \(linux\/amd64\) in cache/);
    expect(fresh.stderr).not.toContain('Retrieving image manifest');
    await sleep(1100);
    const expired = await runWarmer(warmerArgs(cache, ['-i', base, '--cache-ttl', '1s']));
    expect(expired.code, expired.stderr).toBe(0);
    expect(expired.stderr).toMatch(/older than --cache-ttl: refreshing it/);
    const forced = await runWarmer(warmerArgs(cache, ['-i', base, '--force']));
    expect(forced.stderr).toContain(`Retrieving image manifest ${base}`);
    await sleep(1100);
    // `other` was warmed over a second ago: past a 1s TTL it is pruned; `base` is refreshed first.
    const pruned = await runWarmer(warmerArgs(cache, ['-i', base, '--force', '--cache-ttl', '1s', '--prune']));
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toMatch(/Pruned .*: 1 entries older than --cache-ttl/);
    const refs = (await openStore(cache, { logger: silentLogger }).entries()).map((e) => e.ref);
    expect(refs).toEqual([base]);
  });

  it('exits 1 naming the images that failed, after warming the others', async () => {
    const cache = tempDir('kiln-warm-e2e-cache-');
    const r = await runWarmer(warmerArgs(cache, ['-i', `${reg.host}/cached/absent:1`, '-i', other]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/caching 1 of 2 images failed: .*cached\/absent:1: .*404/);
    expect(r.stderr).toMatch(/Wrote .*busybox:oci \(linux\/amd64\) to cache/);
  });

  it('warms the bases of a --dockerfile with --build-arg', async () => {
    const cache = tempDir('kiln-warm-e2e-cache-');
    const dir = tempDir('kiln-warm-e2e-df-');
    mkdirSync(path.join(dir, 'sub'));
    const df = path.join(dir, 'sub', 'Dockerfile');
    writeFileSync(df, `ARG TAG=nope\nFROM ${reg.host}/cached/busybox:\${TAG} AS b\nFROM b\nFROM scratch\nCOPY --from=b / /\n`);
    const r = await runWarmer(warmerArgs(cache, ['--dockerfile', df, '--build-arg', 'TAG=oci']));
    expect(r.code, r.stderr).toBe(0);
    expect((await openStore(cache, { logger: silentLogger }).entries()).map((e) => e.ref)).toEqual([other]);
  });

  // Last: stops the registry.
  it('builds from the store with the registry stopped', async () => {
    const cache = tempDir('kiln-warm-e2e-cache-');
    expect((await runWarmer(warmerArgs(cache, ['-i', base]))).code).toBe(0);
    const [entry] = await openStore(cache, { logger: silentLogger }).entries();
    await reg.stop();
    const byTag = await executorBuild(cache, base);
    expect(byTag.code, byTag.stderr).toBe(0);
    const byDigest = await executorBuild(cache, `${reg.host}/cached/busybox@${entry?.indexDigest}`);
    expect(byDigest.code, byDigest.stderr).toBe(0);
    expect(existsSync(cache)).toBe(true);
  });
});
