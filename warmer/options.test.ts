import { failure } from '../test/helpers/kiln-failure.ts';
import { describe, expect, it } from 'vitest';
import { warmerFlagSpecs } from './flags.ts';
import { parseWarmerArgs } from './options.ts';

const CWD = '/w';
const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseWarmerArgs(argv, env, { cwd: CWD });


describe('parseWarmerArgs', () => {
  it("uses kaniko's defaults", () => {
    const o = parse(['--image', 'busybox']);
    expect(o).toMatchObject({ images: ['busybox'], cacheDir: '/cache', cacheTtlMs: 336 * 3600_000, force: false, prune: false, buildArgs: {} });
    expect(o.dockerfile).toBeUndefined();
    expect(o.platform).toBeUndefined();
    expect(o.log).toEqual({ format: 'text', level: 'info', timestamp: false });
    expect(Object.isFrozen(o) && Object.isFrozen(o.images) && Object.isFrozen(o.registry)).toBe(true);
  });

  it("takes kaniko's short flags and repeated images", () => {
    const o = parse(['-i', 'a', '--image=b', '-i', 'c:1', '-c', 'store', '-f', '-d', 'Dockerfile', '-v', 'debug']);
    expect(o.images).toEqual(['a', 'b', 'c:1']);
    expect(o.cacheDir).toBe('/w/store');
    expect(o.force).toBe(true);
    expect(o.dockerfile).toBe('/w/Dockerfile');
    expect(o.log.level).toBe('debug');
    expect(parse(['-d', 'https://example.invalid/Dockerfile']).dockerfile).toBe('https://example.invalid/Dockerfile');
  });

  it('reads build args, the TTL and both platform spellings', () => {
    const o = parse(['-d', 'D', '--build-arg', 'BASE=alpine', '--build-arg', 'TAG', '--cache-ttl=12h', '--customPlatform=linux/arm64'], { TAG: '3.20' });
    expect(o.buildArgs).toEqual({ BASE: 'alpine', TAG: '3.20' });
    expect(o.cacheTtlMs).toBe(12 * 3600_000);
    expect(o.platform).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parse(['-i', 'x', '--custom-platform', 'linux/arm/v7']).platform).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  it('fills the registry options (no push flags) with env fallbacks', () => {
    const o = parse(['-i', 'x', '--insecure-pull', '--registry-mirror', 'm', '--skip-tls-verify-registry', 'r:5000', '--image-download-retry', '4'], {
      KANIKO_REGISTRY_MAP: 'quay.io=q',
    });
    expect(o.registry).toMatchObject({
      insecurePull: true,
      registryMirrors: ['m'],
      skipTlsVerifyRegistries: ['r:5000'],
      imageDownloadRetry: 4,
      registryMaps: { 'quay.io': ['q'] },
      pushRetry: 0,
    });
    expect(failure(() => parse(['-i', 'x', '--push-retry=1'])).message).toBe('unknown flag --push-retry');
  });

  it('needs an image, a Dockerfile or --prune', () => {
    expect(failure(() => parse([]))).toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/at least one image/) });
    expect(parse(['--prune']).prune).toBe(true);
  });

  it('rejects unknown flags and bad values, naming the flag', () => {
    expect(failure(() => parse(['-i', 'x', '--destination', 'y'])).message).toBe('unknown flag --destination');
    expect(failure(() => parse(['-i', 'x', '--cache-ttl', 'forever'])).message).toMatch(/^invalid --cache-ttl value "forever": expected a duration/);
    expect(failure(() => parse(['-i', 'x', '--force=maybe'])).message).toBe('invalid --force value "maybe": expected true or false');
    expect(failure(() => parse(['-i'])).message).toBe('flag --image needs a value');
    expect(failure(() => parse(['-i', 'x', 'extra'])).message).toMatch(/unexpected argument "extra"/);
  });

  it("has kaniko's warmer flags and short forms", () => {
    const names = new Set(warmerFlagSpecs.map((s) => s.name));
    for (const n of ['image', 'cache-dir', 'force', 'cache-ttl', 'insecure-pull', 'skip-tls-verify-pull', 'insecure-registry', 'skip-tls-verify-registry', 'registry-certificate', 'registry-client-cert', 'registry-map', 'registry-mirror', 'skip-default-registry-fallback', 'customPlatform', 'dockerfile', 'build-arg', 'verbosity', 'log-format', 'log-timestamp']) {
      expect(names.has(n), n).toBe(true);
    }
    const shorts = Object.fromEntries(warmerFlagSpecs.filter((s) => s.short).map((s) => [s.short, s.name]));
    expect(shorts).toEqual({ i: 'image', d: 'dockerfile', c: 'cache-dir', f: 'force', v: 'verbosity' });
  });
});
