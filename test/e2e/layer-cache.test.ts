// The layer cache end to end (DESIGN.md §7): dist/executor.js builds the same Dockerfile twice
// with --cache; the second build takes every RUN and COPY from the cache (no RUN runs) and
// makes the same layers; a changed build arg misses from the RUN that sees it on; the cache
// lives in the test environment's registry or in an OCI layout; a cache that cannot be written
// only warns.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort, testEnv, type TestEnv } from '../helpers/testenv.ts';
import { build, fixtures, inspectConfig, repoRoot, sh, tempDir, type BuildResult } from './build-support.ts';

let env: TestEnv;
const unique = `${process.pid}-${Date.now()}`;
beforeAll(() => {
  env = testEnv();
});

const FIXTURE = 'layer-cache';
const RUN_ONE = 'RUN echo "one $(cat /proc/sys/kernel/random/uuid)" > /one.txt && echo "RAN STEP ONE"';
const RUN_TWO = 'RUN echo "two $FLAVOR $(cat /proc/sys/kernel/random/uuid)" > /two.txt && echo "RAN STEP TWO $FLAVOR"';
const RUN_THREE = 'RUN echo "three $(cat /proc/sys/kernel/random/uuid)" > /three.txt && cat /app/app.txt /one.txt > /dev/null && echo "RAN STEP THREE"';
const RUN_FOUR = 'RUN echo "RAN STEP FOUR"';
const COPY = 'COPY app.txt src/ /app/';

function cachedBuild(args: string[]): BuildResult {
  const r = build(FIXTURE, ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--insecure', '--insecure-pull', '--cache', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

const used = (r: BuildResult, cmd: string): boolean => r.stderr.includes(`Using caching version of cmd: ${cmd}\n`);
const missed = (r: BuildResult, cmd: string): boolean => r.stderr.includes(`No cached layer found for cmd ${cmd}\n`);
const ran = (r: BuildResult): string[] => r.stdout.split('\n').filter((l) => l.startsWith('RAN STEP'));

interface Built {
  diffIds: string[];
  history: string[];
  /** The diff_id of the layer whose history line starts with `RUN echo "<word>` ('one', 'two', …) or `COPY`. */
  layerOf(step: string): string | undefined;
}

function built(cfg: { rootfs: { diff_ids: string[] }; history: { created_by: string; empty_layer?: boolean }[] }): Built {
  const withLayers = cfg.history.filter((h) => h.empty_layer !== true);
  return {
    diffIds: cfg.rootfs.diff_ids,
    history: cfg.history.map((h) => h.created_by),
    layerOf: (step) => {
      const i = withLayers.findIndex((h) => (step === 'COPY' ? h.created_by.startsWith('COPY ') : h.created_by.includes(`-c echo "${step} `)));
      return i < 0 ? undefined : cfg.rootfs.diff_ids[i];
    },
  };
}

function fromRegistry(ref: string): Built {
  return built(inspectConfig(ref) as Parameters<typeof built>[0]);
}

function fromLayout(dir: string): Built {
  return built(JSON.parse(sh('skopeo', ['inspect', '--config', `oci:${dir}`])) as Parameters<typeof built>[0]);
}

function listTags(repo: string): string[] {
  return (JSON.parse(sh('skopeo', ['list-tags', '--tls-verify=false', `docker://${repo}`])) as { Tags: string[] }).Tags;
}

describe('layer cache in a registry repository', () => {
  it('takes every RUN and COPY from the cache on the second build; a changed build arg misses from its RUN on', () => {
    const cacheRepo = `${env.plain.host}/kiln/layer-cache-${unique}/cache`;
    const dest = (n: string): string => `${env.plain.host}/kiln/layer-cache-${unique}:${n}`;
    const flags = ['--cache-repo', cacheRepo, '--cache-copy-layers'];

    const first = cachedBuild([...flags, '--destination', dest('first')]);
    for (const cmd of [COPY, RUN_ONE, RUN_TWO, RUN_THREE, RUN_FOUR]) expect(missed(first, cmd), cmd).toBe(true);
    expect(ran(first)).toEqual(['RAN STEP ONE', 'RAN STEP TWO plain', 'RAN STEP THREE', 'RAN STEP FOUR']);
    expect(first.stderr).toMatch(new RegExp(`Checking for cached layer ${cacheRepo}:[0-9a-f]{64}\\.\\.\\.`));
    expect(first.stderr).not.toMatch(/WARN/);
    // One entry per cached step: COPY, and four RUNs (the last one with no layer).
    expect(listTags(cacheRepo)).toHaveLength(5);

    const second = cachedBuild([...flags, '--destination', dest('second')]);
    for (const cmd of [COPY, RUN_ONE, RUN_TWO, RUN_THREE, RUN_FOUR]) expect(used(second, cmd), cmd).toBe(true);
    expect(ran(second)).toEqual([]);
    expect(second.stderr).not.toContain('Running: [');
    // Every step hit: the base is never unpacked (kaniko); a miss unpacks it, then the hits before it.
    expect(first.stderr).toContain('Unpacking rootfs as cmd COPY app.txt src/ /app/ requires it.');
    expect(second.stderr).not.toContain('Unpacking rootfs');
    const a = fromRegistry(dest('first'));
    const b = fromRegistry(dest('second'));
    expect(b.diffIds).toEqual(a.diffIds);
    expect(b.history).toEqual(a.history);
    expect(second.stderr).toMatch(/cached\s+COPY app\.txt src\/ \/app\//);

    const third = cachedBuild([...flags, '--destination', dest('third'), '--build-arg', 'FLAVOR=fancy']);
    expect([used(third, COPY), used(third, RUN_ONE)]).toEqual([true, true]);
    expect([missed(third, RUN_TWO), missed(third, RUN_THREE), missed(third, RUN_FOUR)]).toEqual([true, true, true]);
    expect(ran(third)).toEqual(['RAN STEP TWO fancy', 'RAN STEP THREE', 'RAN STEP FOUR']);
    expect(third.stderr).toContain(`Unpacking rootfs as cmd ${RUN_TWO} requires it.`);
    const c = fromRegistry(dest('third'));
    for (const step of ['COPY', 'one', 'two', 'three']) expect(a.layerOf(step), step).toMatch(/^sha256:/);
    expect([c.layerOf('COPY'), c.layerOf('one')]).toEqual([a.layerOf('COPY'), a.layerOf('one')]);
    expect(c.layerOf('two')).not.toBe(a.layerOf('two'));
    expect(c.layerOf('three')).not.toBe(a.layerOf('three'));
    expect(c.diffIds[0]).toBe(a.diffIds[0]);
  });

  it("uses <destination repository>/cache when --cache-repo is not given, as kaniko", () => {
    const repo = `${env.plain.host}/kiln/layer-cache-default-${unique}`;
    const r = cachedBuild(['--destination', `${repo}:t`]);
    expect(r.stderr).toContain(`Using layer cache ${repo}/cache`);
    // RUN layers are cached by default; COPY only with --cache-copy-layers.
    expect(missed(r, COPY)).toBe(false);
    expect(listTags(`${repo}/cache`)).toHaveLength(4);
  });
});

describe('layer cache across stages', () => {
  it('hits in both stages, and a change in the first stage misses in the stage built on it', () => {
    const dir = tempDir('kiln-layer-cache-stages-');
    const stages = (extra: string[]): BuildResult => {
      const r = build('layer-cache-stages', ['--build-arg', `BASE=${env.images.busybox.v2s2}`, '--insecure-pull', '--cache', '--cache-repo', `oci:${dir}/cache`, '--no-push', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    const lines = (r: BuildResult): string[] => r.stdout.split('\n').filter((l) => l.startsWith('RAN '));
    expect(lines(stages(['--oci-layout-path', `${dir}/first`]))).toEqual(['RAN BUILDER 1', 'RAN FINAL']);
    const again = stages(['--oci-layout-path', `${dir}/second`]);
    expect(lines(again)).toEqual([]);
    expect(fromLayout(`${dir}/second`).diffIds).toEqual(fromLayout(`${dir}/first`).diffIds);
    expect(lines(stages(['--build-arg', 'B=2']))).toEqual(['RAN BUILDER 2', 'RAN FINAL']);
  });
});

describe('layer cache in an OCI layout (--cache-repo=oci:DIR)', () => {
  it('hits on the second build with the same layers, and skopeo reads the cached entries', () => {
    const dir = tempDir('kiln-layer-cache-oci-');
    const flags = ['--cache-repo', `oci:${dir}/cache`, '--cache-copy-layers', '--no-push'];
    const first = cachedBuild([...flags, '--oci-layout-path', `${dir}/first`]);
    expect(ran(first)).toHaveLength(4);
    const second = cachedBuild([...flags, '--oci-layout-path', `${dir}/second`]);
    expect(ran(second)).toEqual([]);
    for (const cmd of [COPY, RUN_ONE, RUN_TWO, RUN_THREE, RUN_FOUR]) expect(used(second, cmd), cmd).toBe(true);
    expect(fromLayout(`${dir}/second`).diffIds).toEqual(fromLayout(`${dir}/first`).diffIds);

    const index = JSON.parse(sh('cat', [`${dir}/cache/index.json`])) as { manifests: { annotations?: Record<string, string> }[] };
    const names = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).filter((n) => n !== undefined);
    expect(names).toHaveLength(5);
    for (const name of names) {
      const cfg = JSON.parse(sh('skopeo', ['inspect', '--config', `oci:${dir}/cache:${name}`])) as { history: { created_by: string }[]; created: string };
      expect(cfg.history.at(-1)?.created_by).toMatch(/^(COPY|RUN) /);
      expect(Date.parse(cfg.created)).toBeGreaterThan(Date.now() - 3600_000);
    }

    const changed = cachedBuild([...flags, '--oci-layout-path', `${dir}/third`, '--build-arg', 'FLAVOR=other']);
    expect(ran(changed)).toEqual(['RAN STEP TWO other', 'RAN STEP THREE', 'RAN STEP FOUR']);
  });

  it('--no-push-cache reads the cache but adds nothing to it', () => {
    const dir = tempDir('kiln-layer-cache-oci-');
    const flags = ['--cache-repo', `oci:${dir}/cache`, '--no-push'];
    cachedBuild(flags);
    const before = sh('cat', [`${dir}/cache/index.json`]);
    const again = cachedBuild([...flags, '--no-push-cache', '--build-arg', 'FLAVOR=x']);
    expect(ran(again)).toEqual(['RAN STEP TWO x', 'RAN STEP THREE', 'RAN STEP FOUR']);
    expect(sh('cat', [`${dir}/cache/index.json`])).toBe(before);
  });
});

describe('layer cache keys over the COPY sources and the TTL', () => {
  /** Build a copy of the fixture, so the test can change its files. */
  function buildIn(context: string, args: string[]): BuildResult {
    const r = spawnSync(
      process.execPath,
      [path.join(repoRoot, 'dist/executor.js'), '--root-dir', path.join(tempDir(), 'root'), '--context', context, '--build-arg', `BASE=${env.images.busybox.v2s2}`,
        '--insecure-pull', '--cache', '--cache-copy-layers', '--no-push', ...args],
      { encoding: 'utf8', timeout: 240_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: '--no-warnings' } },
    );
    expect(r.status, r.stderr).toBe(0);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('a changed source file misses from its COPY on; a file .dockerignore leaves out changes nothing; an old entry is a miss', () => {
    const dir = tempDir('kiln-layer-cache-src-');
    const context = path.join(dir, 'context');
    cpSync(path.join(fixtures, FIXTURE), context, { recursive: true });
    const cache = ['--cache-repo', `oci:${dir}/cache`];
    expect(ran(buildIn(context, cache))).toHaveLength(4);

    writeFileSync(path.join(context, 'src/ignored.log'), 'changed, but .dockerignore leaves it out\n');
    const ignored = buildIn(context, cache);
    expect(ran(ignored)).toEqual([]);
    expect(used(ignored, COPY)).toBe(true);

    writeFileSync(path.join(context, 'src/module.txt'), 'changed\n');
    const changed = buildIn(context, cache);
    expect(missed(changed, COPY)).toBe(true);
    expect(ran(changed)).toEqual(['RAN STEP ONE', 'RAN STEP TWO plain', 'RAN STEP THREE', 'RAN STEP FOUR']);

    const old = buildIn(context, [...cache, '--cache-ttl=1ms']);
    expect(old.stderr).toMatch(/Cached layer oci:\S+ is older than --cache-ttl: not used/);
    expect(ran(old)).toHaveLength(4);
  });
});

describe('layer cache with RUN --mount', () => {
  it('hits for cache, secret, tmpfs and context bind mounts; a secret value is never in a key or an entry', () => {
    const dir = tempDir('kiln-layer-cache-mounts-');
    const secretA = 'secret-AAAA-1111';
    const secretB = 'secret-BBBB-2222'; // same length: the image is the same, the key must be too
    const mounts = (secret: string): BuildResult => {
      writeFileSync(path.join(dir, 'token'), secret);
      const r = build('run-mounts', [
        '--build-arg', `BASE=${env.images.busybox.v2s2}`, '--no-push', '--insecure-pull', '--cache', '--cache-copy-layers', '--cache-repo', `oci:${dir}/cache`,
        '--cache-mount-dir', path.join(dir, 'mounts'), '--secret', `id=token,src=${path.join(dir, 'token')}`,
      ]);
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    const first = mounts(secretA);
    const steps = (first.stderr.match(/No cached layer found for cmd /g) ?? []).length;
    expect(steps).toBeGreaterThanOrEqual(9);
    const second = mounts(secretB);
    expect((second.stderr.match(/Using caching version of cmd: /g) ?? []).length).toBe(steps);
    expect(second.stderr).not.toContain('Running: [');
    for (const name of readdirSync(path.join(dir, 'cache/blobs/sha256'))) {
      const bytes = readFileSync(path.join(dir, 'cache/blobs/sha256', name));
      let plain = bytes;
      try {
        plain = gunzipSync(bytes);
      } catch {
        // not a gzip layer: a manifest, a config, index.json's entries
      }
      for (const secret of [secretA, secretB]) expect(plain.includes(secret), name).toBe(false);
    }
    expect(`${first.stderr}${second.stderr}`).not.toMatch(/secret-(AAAA|BBBB)/);
  });
});

describe('layer cache in a registry with bearer-token auth over TLS', () => {
  it('stores and hits with the credentials of DOCKER_CONFIG', () => {
    const cacheRepo = `${env.token.host}/kiln/layer-cache-auth-${unique}/cache`;
    const tokenBuild = (): BuildResult => {
      const r = build(FIXTURE, [
        '--build-arg', `BASE=${env.images.busybox.v2s2}`, '--insecure-pull', '--no-push', '--cache', '--cache-repo', cacheRepo,
        // The token realm listens on another port of the same host: one CA for the host.
        '--registry-certificate', `127.0.0.1=${env.token.caFile}`,
      ], { env: { DOCKER_CONFIG: env.dockerConfigDir } });
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    const first = tokenBuild();
    expect(first.stderr).not.toMatch(/WARN/);
    expect(ran(first)).toHaveLength(4);
    const second = tokenBuild();
    expect(ran(second)).toEqual([]);
    expect(used(second, RUN_ONE)).toBe(true);
    expect(`${first.stderr}${second.stderr}`).not.toContain(env.token.password);
  });
});

describe('a layer cache that cannot be reached', () => {
  it('warns and the build succeeds', async () => {
    const port = await freePort();
    const dest = `${env.plain.host}/kiln/layer-cache-down-${unique}:t`;
    const r = cachedBuild(['--cache-repo', `127.0.0.1:${port}/kiln/cache`, '--destination', dest]);
    expect(r.stderr).toMatch(/WARN.*Failed to retrieve cached layer 127\.0\.0\.1:\d+\/kiln\/cache:[0-9a-f]{64}/);
    expect(r.stderr).toMatch(/WARN.*Error uploading layer to cache 127\.0\.0\.1:\d+\/kiln\/cache:[0-9a-f]{64}/);
    expect(ran(r)).toHaveLength(4);
    const pushed = spawnSync('skopeo', ['inspect', '--tls-verify=false', `docker://${dest}`], { encoding: 'utf8' });
    expect(pushed.status, pushed.stderr).toBe(0);
  });
});
