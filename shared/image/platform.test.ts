import { describe, expect, it } from 'vitest';
import { defaultPlatform, formatPlatform, parsePlatform, platformMatches, selectManifest } from './platform.ts';
import { MediaTypes, type Descriptor, type IndexManifest, type Platform } from './types.ts';

describe('parsePlatform and formatPlatform', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['Linux/X86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64' }],
    ['linux/armhf', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/armel', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/i386', { os: 'linux', architecture: '386' }],
    ['windows/amd64', { os: 'windows', architecture: 'amd64' }],
    ['linux/s390x', { os: 'linux', architecture: 's390x' }],
  ])('%s', (s, want) => {
    expect(parsePlatform(s)).toEqual(want);
  });

  it('gives a lone os the host architecture', () => {
    expect(parsePlatform('linux')).toEqual(defaultPlatform());
  });

  it.each(['', 'linux/amd64/v2/x', 'linux//amd64', 'linux/am d64'])('rejects %j', (s) => {
    expect(() => parsePlatform(s)).toThrow(expect.objectContaining({ code: 'E_USAGE', message: expect.stringContaining(`parsing platform "${s}"`) }));
  });

  it('formats os/arch[/variant]', () => {
    expect(formatPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64/v8');
    expect(formatPlatform({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
    expect(formatPlatform({ os: 'linux', architecture: 'amd64', variant: '' })).toBe('linux/amd64');
  });
});

describe('defaultPlatform', () => {
  it.each([
    ['x64', { os: 'linux', architecture: 'amd64' }],
    ['arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['arm', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['ia32', { os: 'linux', architecture: '386' }],
    ['ppc64', { os: 'linux', architecture: 'ppc64le' }],
    ['s390x', { os: 'linux', architecture: 's390x' }],
    ['riscv64', { os: 'linux', architecture: 'riscv64' }],
  ])('maps node arch %s', (arch, want) => {
    expect(defaultPlatform(arch)).toEqual(want);
  });

  it('uses process.arch by default', () => {
    expect(defaultPlatform()).toEqual(defaultPlatform(process.arch));
  });
});

const p = (s: string): Platform => parsePlatform(s);

describe('platformMatches', () => {
  it.each([
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/arm64/v8', 'linux/arm64', true],
    ['linux/arm64/v8', 'linux/arm64/v8', true],
    ['linux/arm64/v8', 'linux/arm64/v9', false],
    ['linux/arm', 'linux/arm/v7', true],
    ['linux/arm/v7', 'linux/arm', true],
    ['linux/arm/v6', 'linux/arm/v7', false],
    ['linux/arm/v7', 'linux/arm/7', true],
    ['linux/amd64', 'linux/amd64/v3', true],
    ['linux/amd64', 'linux/amd64', true],
    ['linux/amd64/v3', 'linux/amd64/v2', false],
    ['linux/amd64/v2', 'linux/amd64/v2', true],
    ['linux/amd64/v1', 'linux/amd64', true],
    ['linux/amd64', 'linux/arm64', false],
    ['linux/amd64', 'windows/amd64', false],
    ['linux/amd64', 'Linux/x86_64', true],
  ])('want %s, have %s → %s', (want, have, ok) => {
    const haveRaw = have.split('/');
    const hp: Platform = { os: haveRaw[0] ?? '', architecture: haveRaw[1] ?? '' };
    if (haveRaw[2] !== undefined) hp.variant = haveRaw[2];
    expect(platformMatches(p(want), hp)).toBe(ok);
  });
});

function desc(platform: Platform | undefined, n: number, annotations?: Record<string, string>): Descriptor {
  const d: Descriptor = { mediaType: MediaTypes.ociManifest, digest: `sha256:${String(n).repeat(64).slice(0, 64)}`, size: 100 + n };
  if (platform !== undefined) d.platform = platform;
  if (annotations !== undefined) d.annotations = annotations;
  return d;
}

describe('selectManifest', () => {
  const index: IndexManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      desc({ os: 'linux', architecture: 'amd64' }, 1),
      desc({ os: 'linux', architecture: 'amd64', variant: 'v3' }, 2),
      desc({ os: 'linux', architecture: 'arm64', variant: 'v8' }, 3),
      desc({ os: 'linux', architecture: 'arm', variant: 'v7' }, 4),
      desc({ os: 'unknown', architecture: 'unknown' }, 5, { 'vnd.docker.reference.type': 'attestation-manifest' }),
    ],
  };

  it('chooses the exact variant first, then the first match', () => {
    expect(selectManifest(index, p('linux/amd64'), 'x').size).toBe(101);
    expect(selectManifest(index, p('linux/amd64/v3'), 'x').size).toBe(102);
    expect(selectManifest(index, p('linux/arm64'), 'x').size).toBe(103);
    expect(selectManifest(index, p('linux/arm64/v8'), 'x').size).toBe(103);
    expect(selectManifest(index, p('linux/arm'), 'x').size).toBe(104);
  });

  it('lists what exists when nothing matches, without attestations', () => {
    const err = (() => {
      try {
        selectManifest(index, p('linux/s390x'), 'index.docker.io/library/busybox:latest');
      } catch (e) {
        return e as { code: string; message: string; hint?: string };
      }
      throw new Error('no error');
    })();
    expect(err.code).toBe('E_PLATFORM');
    expect(err.message).toBe(
      'choosing the image for linux/s390x in index.docker.io/library/busybox:latest: no manifest for that platform; it has linux/amd64, linux/amd64/v3, linux/arm64/v8, linux/arm/v7',
    );
    expect(err.hint).toContain('--custom-platform=linux/amd64');
    expect(() => selectManifest(index, p('linux/amd64/v2'), 'x')).toThrow(/linux\/amd64\/v3/);
  });

  it('reports an index without platforms', () => {
    const bare: IndexManifest = { schemaVersion: 2, manifests: [desc(undefined, 1)] };
    expect(() => selectManifest(bare, p('linux/amd64'), 'y')).toThrow(/it lists no platforms/);
  });
});
