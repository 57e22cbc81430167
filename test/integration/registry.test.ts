// The registry client against the test environment's real registries (distribution 2.8):
// plain HTTP, TLS + htpasswd, bearer tokens. Pushed images are checked with skopeo too.
import { execFileSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateImage } from '../../shared/image/index.ts';
import { parseReference } from '../../shared/reference/index.ts';
import { randomImage } from '../helpers/random-image.ts';
import { testEnv } from '../helpers/testenv.ts';
import { amd64, dockerConfig, makeClient, tempDir } from './registry-client.ts';

const env = testEnv();
const unique = (): string => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function skopeoDigest(ref: string, creds?: string): string {
  const args = ['inspect', '--cert-dir', env.certDir, ...(creds ? ['--creds', creds] : ['--tls-verify=false']), `docker://${ref}`];
  return (JSON.parse(execFileSync('skopeo', args, { encoding: 'utf8' })) as { Digest: string }).Digest;
}

describe('pull from a real registry', () => {
  for (const kind of ['v2s2', 'oci'] as const) {
    it(`pulls busybox as ${kind} and validates it`, async () => {
      const { client } = makeClient(env);
      const img = await client.image(parseReference(env.images.busybox[kind]), amd64);
      await validateImage(img);
      expect(await img.digest()).toBe(env.images.busybox.digest[kind]);
      expect((await img.config()).architecture).toBe('amd64');
    });
  }

  it('resolves the multi-platform index to each platform', async () => {
    const { client } = makeClient(env);
    const ref = parseReference(env.images.busybox.multi);
    expect((await client.manifest(ref)).digest).toBe(env.images.busybox.digest.multi);
    expect((await client.head(ref)).digest).toBe(env.images.busybox.digest.multi);
    for (const architecture of ['amd64', 'arm64']) {
      const img = await client.image(ref, { platform: { os: 'linux', architecture } });
      await validateImage(img);
      expect((await img.config()).architecture).toBe(architecture);
    }
    await expect(client.image(ref, { platform: { os: 'linux', architecture: 'riscv64' } })).rejects.toMatchObject({ code: 'E_PLATFORM' });
  });

  it('pulls from the TLS registry with htpasswd and from the token registry', async () => {
    const { client } = makeClient(env);
    for (const ref of [env.tls.busybox, env.token.busybox]) await validateImage(await client.image(parseReference(ref), amd64));
  });

  it('fails TLS without the CA, with a hint; --skip-tls-verify-pull really works, for pulls only', async () => {
    const ref = parseReference(env.tls.busybox);
    const plain = makeClient(env, { trust: false });
    const err = await plain.client.manifest(ref).catch((e: Error & { hint?: string }) => e);
    expect(err).toMatchObject({ code: 'E_REGISTRY_NETWORK' });
    expect((err as Error).message).toContain('TLS failure');
    expect((err as { hint?: string }).hint).toContain('--registry-certificate');
    const skip = makeClient(env, { trust: false, options: { skipTlsVerifyPull: true } });
    await validateImage(await skip.client.image(ref, amd64));
    await expect(skip.client.push(await randomImage(), parseReference(`${env.tls.host}/skip/${unique()}:1`))).rejects.toMatchObject({ code: 'E_REGISTRY_NETWORK' });
    const reg = makeClient(env, { trust: false, options: { skipTlsVerifyRegistries: [env.tls.host] } });
    await reg.client.push(await randomImage(), parseReference(`${env.tls.host}/skip/${unique()}:1`));
  });
});

describe('push to a real registry', () => {
  const targets = [
    ['plain HTTP', () => env.plain.host, undefined],
    ['TLS + htpasswd', () => env.tls.host, `${env.tls.username}:${env.tls.password}`],
    ['bearer token', () => env.token.host, `${env.token.username}:${env.token.password}`],
  ] as const;
  for (const [name, host, creds] of targets) {
    it(`round-trips an image through ${name}, and skopeo agrees`, async () => {
      const { client } = makeClient(env);
      for (const mediaTypes of ['docker', 'oci'] as const) {
        const img = await randomImage({ layers: 3, layerBytes: 20_000, mediaTypes });
        const ref = `${host()}/kiln-it/${unique()}:${mediaTypes}`;
        const digest = await client.push(img, parseReference(ref));
        expect(digest).toBe(await img.digest());
        const back = await client.image(parseReference(ref), amd64);
        await validateImage(back);
        expect(await back.digest()).toBe(digest);
        expect(skopeoDigest(ref, creds)).toBe(digest);
      }
    });
  }

  it('pushes one image to several destinations and checks push permission', async () => {
    const { client } = makeClient(env);
    const img = await randomImage({ layers: 2 });
    const refs = [`${env.plain.host}/multi/${unique()}:a`, `${env.plain.host}/multi/${unique()}:b`, `${env.token.host}/multi/${unique()}:c`].map(parseReference);
    for (const ref of refs) await client.checkPushPermission(ref);
    const digests = await Promise.all(refs.map((r) => client.push(img, r)));
    expect(new Set(digests)).toEqual(new Set([await img.digest()]));
  });
});

describe('indexes', () => {
  it('copies the multi-platform index to another registry byte for byte', async () => {
    const { client } = makeClient(env);
    const index = await client.index(parseReference(env.images.busybox.multi));
    expect(await index.digest()).toBe(env.images.busybox.digest.multi);
    const dest = `${env.token.host}/index-copy/${unique()}:multi`;
    expect(await client.pushIndex(index, parseReference(dest))).toBe(env.images.busybox.digest.multi);
    expect(skopeoDigest(dest, `${env.token.username}:${env.token.password}`)).toBe(env.images.busybox.digest.multi);
    const arm = await client.image(parseReference(dest), { platform: { os: 'linux', architecture: 'arm64' } });
    await validateImage(arm);
    await expect(client.index(parseReference(env.images.busybox.oci))).rejects.toMatchObject({ code: 'E_MANIFEST' });
  });
});

describe('auth against real registries', () => {
  for (const which of ['tls', 'token'] as const) {
    it(`a wrong password on the ${which} registry is E_REGISTRY_AUTH naming the registry and status, not the password`, async () => {
      const secret = 'Wr0ng-Pa55-word';
      const dir = await dockerConfig({ auths: { [env[which].host]: { auth: Buffer.from(`${env[which].username}:${secret}`).toString('base64') } } });
      const { client } = makeClient(env, { dockerConfigDir: dir });
      const err = await client.image(parseReference(env[which].busybox), amd64).catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'E_REGISTRY_AUTH', status: 401 });
      const text = `${(err as Error).message} ${(err as { hint?: string }).hint ?? ''}`;
      expect(text).toContain(env[which].host);
      expect(text).toContain('401');
      expect(text).not.toContain(secret);
      expect(text).not.toContain(Buffer.from(`${env[which].username}:${secret}`).toString('base64'));
    });
  }

  it('anonymous users cannot push to the token registry: the permission check says so', async () => {
    const { client } = makeClient(env, { dockerConfigDir: await dockerConfig({}) });
    const err = await client.checkPushPermission(parseReference(`${env.token.host}/nope/${unique()}:1`)).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'E_REGISTRY_AUTH' });
    expect((err as { hint?: string }).hint).toContain('--skip-push-permission-check');
  });

  it('gets credentials from a docker-credential helper on PATH', async () => {
    const bin = await tempDir();
    const script = join(bin, 'docker-credential-kilntest');
    await writeFile(script, `#!/bin/sh\nread server\n[ "$1" = get ] || exit 1\nprintf '{"ServerURL":"%s","Username":"${env.tls.username}","Secret":"${env.tls.password}"}' "$server"\n`);
    await chmod(script, 0o755);
    const dir = await dockerConfig({ credHelpers: { [env.tls.host]: 'kilntest' } });
    const { client } = makeClient(env, { dockerConfigDir: dir, env: { PATH: `${bin}:/usr/bin:/bin` } });
    await validateImage(await client.image(parseReference(env.tls.busybox), amd64));
    const none = makeClient(env, { dockerConfigDir: await dockerConfig({}) });
    await expect(none.client.manifest(parseReference(env.tls.busybox))).rejects.toMatchObject({ code: 'E_REGISTRY_AUTH' });
  });
});
