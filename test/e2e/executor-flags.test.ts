// Three kaniko flags end to end, with dist/executor.js against the test registry:
// --annotation (on the pushed manifest and the OCI layout), --materialize (the root holds the
// image's files even when every step hits the layer cache), --image-fs-extract-retry (a base
// layer whose stream is cut is extracted again; an unsafe layer is not).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { testEnv, type TestEnv } from '../helpers/testenv.ts';
import { fixtures, inspectRaw, repoRoot, sh, tempDir, unpack, type BuildResult } from './build-support.ts';

let env: TestEnv;
const unique = `${process.pid}-${Date.now()}`;
beforeAll(() => {
  env = testEnv();
});

const argv = (fixture: string, root: string, args: string[]): string[] => [
  path.join(repoRoot, 'dist/executor.js'), '--root-dir', root, '--context', path.join(fixtures, fixture), '--dockerfile', 'Dockerfile', ...args,
];
const childEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: '--no-warnings' });

/** Run the executor bundle on a fixture with the given --root-dir (which the test inspects). */
function buildInto(fixture: string, root: string, args: string[]): BuildResult {
  const r = spawnSync(process.execPath, argv(fixture, root, args), { encoding: 'utf8', timeout: 240_000, env: childEnv() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** buildInto without blocking this process: the fault proxy runs in it. */
function buildIntoAsync(fixture: string, root: string, args: string[]): Promise<BuildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv(fixture, root, args), { env: childEnv(), timeout: 240_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => void (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const newRoot = (): string => path.join(tempDir(), 'root');

describe('--annotation', () => {
  it('puts every annotation on the pushed manifest and the OCI layout; the digest file names the annotated manifest', () => {
    const out = tempDir();
    const ref = `${env.plain.host}/kiln/e2e-annotation-${unique}:t`;
    const r = buildInto('metadata-only', newRoot(), [
      '--build-arg', `BASE=${env.images.busybox.v2s2}`, '--insecure', '--insecure-pull', '--destination', ref,
      '--annotation', 'org.opencontainers.image.source=https://example.test/repo', '--annotation', 'dev.kiln.note=a=b',
      '--oci-layout-path', `${out}/layout`, '--digest-file', `${out}/digest`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const want = { 'org.opencontainers.image.source': 'https://example.test/repo', 'dev.kiln.note': 'a=b' };
    expect(inspectRaw(ref).annotations).toEqual(want);
    const digest = readFileSync(`${out}/digest`, 'utf8').trim();
    expect(sh('skopeo', ['inspect', '--tls-verify=false', '--format', '{{.Digest}}', `docker://${ref}`]).trim()).toBe(digest);
    const index = JSON.parse(readFileSync(`${out}/layout/index.json`, 'utf8')) as { manifests: { digest: string }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([digest]);
    const manifest = JSON.parse(readFileSync(`${out}/layout/blobs/sha256/${digest.slice(7)}`, 'utf8')) as { annotations?: Record<string, string> };
    expect(manifest.annotations).toEqual(want);
  });

  it('leaves the manifest without annotations when none are given', () => {
    const ref = `${env.plain.host}/kiln/e2e-annotation-${unique}:none`;
    const r = buildInto('metadata-only', newRoot(), ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--insecure', '--insecure-pull', '--destination', ref]);
    expect(r.code, r.stderr).toBe(0);
    expect(inspectRaw(ref).annotations).toBeUndefined();
  });
});

describe('--materialize', () => {
  it('with every step a layer-cache hit, unpacks the base and the cached layers into the root; without it the root stays empty', () => {
    const cacheRepo = `${env.plain.host}/kiln/e2e-materialize-${unique}/cache`;
    const dest = (n: string): string => `${env.plain.host}/kiln/e2e-materialize-${unique}:${n}`;
    const cached = ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--insecure', '--insecure-pull', '--cache', '--cache-repo', cacheRepo, '--cache-copy-layers'];
    const first = buildInto('layer-cache', newRoot(), [...cached, '--destination', dest('first')]);
    expect(first.code, first.stderr).toBe(0);

    const plain = newRoot();
    const second = buildInto('layer-cache', plain, [...cached, '--destination', dest('plain')]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).not.toContain('RAN STEP');
    expect(existsSync(path.join(plain, 'one.txt'))).toBe(false);
    expect(existsSync(path.join(plain, 'bin'))).toBe(false);

    const root = newRoot();
    const third = buildInto('layer-cache', root, [...cached, '--destination', dest('materialized'), '--materialize']);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).not.toContain('RAN STEP'); // every step still comes from the cache
    const image = unpack(dest('materialized'));
    for (const f of ['one.txt', 'two.txt', 'three.txt', 'app/app.txt', 'bin/busybox']) {
      expect(readFileSync(path.join(root, f)), f).toEqual(readFileSync(path.join(image, f)));
    }
    // /dev, /proc and /sys are on the ignore list: never extracted into a root.
    expect(readdirSync(root).sort()).toEqual(readdirSync(image).filter((n) => !['dev', 'proc', 'sys'].includes(n)).sort());
  });

  it('unpacks the base when no step needs the filesystem', () => {
    const root = newRoot();
    const r = buildInto('metadata-only', root, ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--insecure-pull', '--no-push', '--materialize']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(root, 'bin/busybox'))).toBe(true);
    const without = newRoot();
    expect(buildInto('metadata-only', without, ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--insecure-pull', '--no-push']).code).toBe(0);
    expect(existsSync(path.join(without, 'bin'))).toBe(false);
  });
});

describe('--image-fs-extract-retry', () => {
  /** The busybox base through a fault proxy that cuts its layer's stream on the first `cuts` requests. */
  async function cutBase(cuts: number): Promise<{ base: string; layerRequests: () => number }> {
    const proxy = await startFaultProxy(env.plain.host);
    onTestFinished(() => proxy.close());
    const manifest = inspectRaw(env.images.busybox.v2s2) as { layers: { digest: string; size: number }[] };
    const layer = manifest.layers[0] as { digest: string; size: number };
    expect(layer.size).toBeGreaterThan(100_000);
    const isLayer = (method: string, p: string): boolean => method === 'GET' && p.includes(`/blobs/${layer.digest}`);
    proxy.inject({ match: isLayer, times: cuts, action: { kind: 'cut', afterBytes: 50_000 } });
    const base = env.images.busybox.v2s2.replace(env.plain.host, proxy.host);
    return { base, layerRequests: () => proxy.requests.filter((q) => isLayer(q.method, q.path)).length };
  }

  // The registry client resumes a cut blob itself (3 attempts); 3 cuts make one extraction fail.
  it('extracts the base again after its stream was cut past the client\'s own retries, and builds the image', async () => {
    const { base, layerRequests } = await cutBase(3);
    const root = newRoot();
    const r = await buildIntoAsync('malicious', root, ['--build-arg', `BASE=${base}`, '--insecure-pull', '--no-push', '--image-fs-extract-retry=2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/extracting the base image filesystem failed \(attempt 1 of 3\): .*; retrying in 1000 ms/);
    expect(layerRequests()).toBe(4);
    expect(existsSync(path.join(root, 'bin/busybox'))).toBe(true);
    expect(readFileSync(path.join(root, 'copied'), 'utf8')).toBe(readFileSync(path.join(fixtures, 'malicious/Dockerfile'), 'utf8'));
  });

  it('without the flag the same fault fails the build with the registry error and a hint naming the flag', async () => {
    const { base } = await cutBase(3);
    const r = await buildIntoAsync('malicious', newRoot(), ['--build-arg', `BASE=${base}`, '--insecure-pull', '--no-push']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('retrying in');
    expect(r.stderr).toMatch(/error building image: .*extracting layer sha256:[0-9a-f]{64}/);
    expect(r.stderr).toMatch(/hint: check that 127.0.0.1:\d+ is reachable; or pass --image-fs-extract-retry N to extract the base image again/);
  });

  it('an unsafe base layer fails at once, without a retry', async () => {
    const { pushCraftedImage } = await import('./build-malicious.ts');
    const base = `${env.plain.host}/kiln/e2e-evil-retry:${process.pid}`;
    const layer = await pushCraftedImage(base, [{ name: '../../../escape', type: 'file', content: 'pwned' }]);
    const r = buildInto('malicious', newRoot(), ['--build-arg', `BASE=${base}`, '--no-push', '--insecure-pull', '--image-fs-extract-retry=3']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(layer);
    expect(r.stderr).toContain('path climbs above the build root');
    expect(r.stderr).not.toContain('retrying in');
  });
});
