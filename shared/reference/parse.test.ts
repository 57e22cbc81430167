import { describe, expect, it } from 'vitest';
import { isKilnError } from '../errors.ts';
import { familiarString, isScratch, parseReference, referenceName, withDigest, withTag } from './index.ts';

const F = `sha256:${'f'.repeat(64)}`;
const D = 'sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';

// [input, registry, repository, tag, digest] — facts from distribution/reference's
// normalize_test.go and reference_test.go, with Docker Hub written as index.docker.io.
const valid: [string, string, string, string | undefined, string | undefined][] = [
  ['ubuntu', 'index.docker.io', 'library/ubuntu', 'latest', undefined],
  ['ubuntu:22.04', 'index.docker.io', 'library/ubuntu', '22.04', undefined],
  ['docker/docker', 'index.docker.io', 'docker/docker', 'latest', undefined],
  ['library/debian', 'index.docker.io', 'library/debian', 'latest', undefined],
  ['docker.io/docker/docker', 'index.docker.io', 'docker/docker', 'latest', undefined],
  ['docker.io/library/debian', 'index.docker.io', 'library/debian', 'latest', undefined],
  ['docker.io/debian', 'index.docker.io', 'library/debian', 'latest', undefined],
  ['index.docker.io/docker/docker', 'index.docker.io', 'docker/docker', 'latest', undefined],
  ['index.docker.io/debian', 'index.docker.io', 'library/debian', 'latest', undefined],
  ['docker.io/library/foo/bar', 'index.docker.io', 'library/foo/bar', 'latest', undefined],
  ['store/foo/bar', 'index.docker.io', 'store/foo/bar', 'latest', undefined],
  ['127.0.0.1:5000/docker/docker', '127.0.0.1:5000', 'docker/docker', 'latest', undefined],
  ['127.0.0.1:5000/debian', '127.0.0.1:5000', 'debian', 'latest', undefined],
  ['192.168.0.1', 'index.docker.io', 'library/192.168.0.1', 'latest', undefined],
  ['192.168.0.1:80', 'index.docker.io', 'library/192.168.0.1', '80', undefined],
  ['192.168.0.1:8/debian', '192.168.0.1:8', 'debian', 'latest', undefined],
  ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000', 'repo', '5050', undefined],
  ['localhost/debian', 'localhost', 'debian', 'latest', undefined],
  ['localhost/library/debian', 'localhost', 'library/debian', 'latest', undefined],
  ['localhost:5000/a', 'localhost:5000', 'a', 'latest', undefined],
  ['LOCALDOMAIN/debian', 'LOCALDOMAIN', 'debian', 'latest', undefined],
  ['Docker/docker', 'Docker', 'docker', 'latest', undefined],
  ['test_com/foo', 'index.docker.io', 'test_com/foo', 'latest', undefined],
  ['test.com:tag', 'index.docker.io', 'library/test.com', 'tag', undefined],
  ['test:5000/repo', 'test:5000', 'repo', 'latest', undefined],
  ['test-com:8080/foo', 'test-com:8080', 'foo', 'latest', undefined],
  ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo', 'latest', undefined],
  ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io', 'test.example.com/my-app', 'test.example.com', undefined],
  ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag', undefined],
  ['foo/foo_bar.com:8080', 'index.docker.io', 'foo/foo_bar.com', '8080', undefined],
  ['lowercase:Uppercase', 'index.docker.io', 'library/lowercase', 'Uppercase', undefined],
  ['test:5000/repo@' + F, 'test:5000', 'repo', undefined, F],
  ['test:5000/repo:tag@' + F, 'test:5000', 'repo', 'tag', F],
  ['host/a/b/c:tag@' + F, 'index.docker.io', 'host/a/b/c', 'tag', F], // no '.' or ':': not a registry
  ['my.host/a/b/c:tag@' + F, 'my.host', 'a/b/c', 'tag', F],
  ['redis@' + D, 'index.docker.io', 'library/redis', undefined, D],
  ['busybox:latest@' + D, 'index.docker.io', 'library/busybox', 'latest', D],
  ['docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'index.docker.io', 'library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'latest', undefined],
  ['thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', 'index.docker.io', 'library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', 'latest', undefined],
  ['docker-rules/docker', 'index.docker.io', 'docker-rules/docker', 'latest', undefined],
  ['docker---rules/docker', 'index.docker.io', 'docker---rules/docker', 'latest', undefined],
  ['dock__er/docker', 'index.docker.io', 'dock__er/docker', 'latest', undefined],
  ['d/docker', 'index.docker.io', 'd/docker', 'latest', undefined],
  ['[fc00::1]:5000/docker', '[fc00::1]:5000', 'docker', 'latest', undefined],
  ['[2001:db8::1]/repo', '[2001:db8::1]', 'repo', 'latest', undefined],
  ['[::1]:5000/repo:tag@' + F, '[::1]:5000', 'repo', 'tag', F],
];

// [input, a fragment of the reason]
const invalid: [string, string][] = [
  ['', 'empty'],
  ['https://github.com/docker/docker', 'has no scheme'],
  ['docker://quay.io/library/foo:bar', 'has no scheme'],
  ['$$$', 'invalid reference format'],
  ['::', 'invalid reference format'],
  ['docker/Docker', 'must be lowercase'],
  ['Uppercase:tag', 'must be lowercase'],
  ['test:5000/Uppercase/lowercase:tag', 'must be lowercase'],
  ['docker.io/docker/Docker', 'must be lowercase'],
  ['-docker', 'invalid reference format'],
  ['-docker/docker', 'invalid reference format'],
  ['-docker.io/docker/docker', 'invalid reference format'],
  ['docker-/docker', 'invalid reference format'],
  ['docker///docker', 'invalid reference format'],
  ['docker.io/docker///docker', 'invalid reference format'],
  ['____/____', 'invalid reference format'],
  ['_docker/_docker', 'invalid reference format'],
  ['dock..er/docker', 'invalid reference format'],
  ['dock_.er/docker', 'invalid reference format'],
  ['dock-.er/docker', 'invalid reference format'],
  ['docker/', 'invalid reference format'],
  ['[fc00::1]', 'invalid reference format'],
  ['[fc00::1]:5000', 'invalid reference format'],
  ['fc00::1:5000/debian', 'invalid reference format'],
  ['[fe80::1%eth0]:5000/debian', 'invalid reference format'],
  ['[2001:db8:3:4::192.0.2.33]:5000/debian', 'invalid reference format'],
  ['1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', '64-byte hexadecimal'],
  [':justtag', 'invalid reference format'],
  ['@' + F, 'invalid reference format'],
  ['repo@sha256:ffffffffffffffffffffffffffffffffff', 'digest length'],
  ['validname@invaliddigest:' + 'f'.repeat(64), 'unsupported digest algorithm'],
  ['repo@sha256:' + 'F'.repeat(64), 'lowercase'],
  ['repo@sha512:' + 'f'.repeat(128), 'only sha256'],
  ['aa/asdf$$^/aa', 'invalid reference format'],
  ['a/'.repeat(128) + 'a:tag', 'more than 255'],
  ['repo:-tag', 'invalid reference format'],
  ['repo:' + 'a'.repeat(129), 'invalid reference format'],
  [' ubuntu', 'invalid reference format'],
  ['my_host.com/app', 'registry host'],
];

describe('parseReference', () => {
  it.each(valid)('parses %s', (input, registry, repository, tag, digest) => {
    const ref = parseReference(input);
    expect({ registry: ref.registry, repository: ref.repository, tag: ref.tag, digest: ref.digest }).toEqual({ registry, repository, tag, digest });
    // The canonical string parses back to the same reference.
    expect(parseReference(ref.toString()).toString()).toBe(ref.toString());
  });

  it.each(invalid)('rejects %j', (input, why) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(isKilnError(err)).toBe(true);
    const k = err as { code: string; message: string; hint?: string };
    expect(k.code).toBe('E_REF');
    expect(k.message).toContain(`parsing reference "${input}": `);
    expect(k.message).toContain(why);
    expect(k.hint).toBeTruthy();
  });

  it('writes the canonical string with both tag and digest', () => {
    expect(parseReference('ubuntu').toString()).toBe('index.docker.io/library/ubuntu:latest');
    expect(parseReference(`localhost:5000/a/b:1@${F}`).toString()).toBe(`localhost:5000/a/b:1@${F}`);
    expect(parseReference(`busybox@${D}`).toString()).toBe(`index.docker.io/library/busybox@${D}`);
  });

  it('returns frozen values that compare equal and serialise without methods', () => {
    const a = parseReference('docker.io/library/ubuntu');
    const b = parseReference('ubuntu:latest');
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toEqual(b);
    expect(JSON.parse(JSON.stringify(a))).toEqual({ registry: 'index.docker.io', repository: 'library/ubuntu', tag: 'latest' });
    expect(`${a}`).toBe('index.docker.io/library/ubuntu:latest');
    expect(() => {
      (a as { tag?: string }).tag = 'x';
    }).toThrow(TypeError);
  });
});

describe('helpers', () => {
  it('familiarString prints what Docker prints', () => {
    const cases: [string, string][] = [
      ['ubuntu', 'ubuntu:latest'],
      ['docker.io/library/ubuntu:22.04', 'ubuntu:22.04'],
      ['index.docker.io/fooo/bar', 'fooo/bar:latest'],
      ['docker.io/library/foo/bar', 'library/foo/bar:latest'],
      ['127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase:latest'],
      ['Foo/bar', 'Foo/bar:latest'],
      [`busybox:latest@${D}`, `busybox:latest@${D}`],
      [`redis@${D}`, `redis@${D}`],
    ];
    for (const [input, want] of cases) expect(familiarString(parseReference(input))).toBe(want);
  });

  it('referenceName drops tag and digest', () => {
    expect(referenceName(parseReference(`host:5000/a/b:t@${F}`))).toBe('host:5000/a/b');
  });

  it('withDigest and withTag keep the other part and validate', () => {
    const ref = parseReference('test.com:8000/foo');
    expect(withTag(ref, 'TAG5').toString()).toBe('test.com:8000/foo:TAG5');
    const pinned = withDigest(ref, F);
    expect(pinned.toString()).toBe(`test.com:8000/foo:latest@${F}`);
    expect(withTag(pinned, 'v2').toString()).toBe(`test.com:8000/foo:v2@${F}`);
    expect(Object.isFrozen(pinned)).toBe(true);
    expect(() => withTag(ref, '-foo')).toThrow(/adding tag "-foo"/);
    expect(() => withDigest(ref, 'foo')).toThrow(/adding digest "foo"/);
  });

  it('isScratch matches FROM scratch only', () => {
    expect(isScratch('scratch')).toBe(true);
    expect(isScratch('scratch:latest')).toBe(false);
    expect(isScratch('busybox')).toBe(false);
  });
});
