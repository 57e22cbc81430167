import { describe, expect, it } from 'vitest';
import { MediaTypes } from '../image/types.ts';
import { descriptorFor, entryOf, platformKey, refNameFor } from './entry.ts';

// containers/image (oci/internal) and umoci accept exactly these ref names.
const OCI_REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

describe('entry keys and names', () => {
  it('normalises platforms so equal ones share a key', () => {
    expect(platformKey({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64');
    expect(platformKey({ os: 'linux', architecture: 'arm64' })).toBe('linux/arm64');
    expect(platformKey({ os: 'linux', architecture: 'arm' })).toBe('linux/arm/v7');
    expect(platformKey({ os: 'linux', architecture: 'arm', variant: 'v6' })).toBe('linux/arm/v6');
    expect(platformKey({ os: 'linux', architecture: 'amd64', variant: 'v1' })).toBe('linux/amd64');
    expect(platformKey({ os: 'linux', architecture: 'amd64', variant: 'v3' })).toBe('linux/amd64/v3');
  });

  it('names entries `<reference>+<platform>` in the OCI grammar, hashing what the grammar refuses', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(refNameFor('index.docker.io/library/busybox:1.36', 'linux/arm/v7')).toBe('index.docker.io/library/busybox:1.36+linux-arm-v7');
    expect(refNameFor(`127.0.0.1:5000/a/b@${digest}`, 'linux/amd64')).toBe(`127.0.0.1:5000/a/b@${digest}+linux-amd64`);
    for (const ref of ['localhost:5000/x:v1.0_rc-1', `r.test/y:t@${digest}`]) expect(refNameFor(ref, 'linux/amd64')).toMatch(OCI_REF_NAME);
    const odd = refNameFor('r.test/y:a__b', 'linux/amd64');
    expect(odd).toMatch(/^kiln-[0-9a-f]{32}$/);
    expect(refNameFor('r.test/y:a__b', 'linux/arm64')).not.toBe(odd);
  });

  it('round-trips an entry through its index.json descriptor', () => {
    const ref = { registry: 'r.test', repository: 'a', tag: '1', toString: () => 'r.test/a:1' };
    const manifest = { mediaType: MediaTypes.ociManifest, digest: `sha256:${'b'.repeat(64)}` as const, size: 10 };
    const d = descriptorFor({ ref, platform: { os: 'linux', architecture: 'amd64' }, manifest, warmedAt: new Date(5000), indexDigest: `sha256:${'c'.repeat(64)}` });
    expect(entryOf(d)).toEqual({ ref: 'r.test/a:1', platform: 'linux/amd64', warmedAt: new Date(5000), indexDigest: `sha256:${'c'.repeat(64)}`, descriptor: d });
    expect(entryOf({ ...manifest })).toBeUndefined();
    const docker = descriptorFor({ ref, platform: { os: 'linux', architecture: 'amd64' }, manifest: { ...manifest, mediaType: MediaTypes.dockerManifest }, warmedAt: new Date(0) });
    expect(docker.annotations?.['org.opencontainers.image.ref.name']).toBeUndefined();
  });
});
