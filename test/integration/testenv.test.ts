// Proves the test environment: registries answer, auth is enforced, base images exist with the
// right manifest media types, and busybox runs when unpacked into a temp dir.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, onTestFinished, test } from 'vitest';
import { hostMirrors, sourcesLines } from '../../scripts/testenv/images/debian-rootfs.ts';
import { basicAuth, httpsRequest, startRegistry, testEnv, type TestEnv } from '../helpers/testenv.ts';

const run = promisify(execFile);
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_V2S2 = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-testenv-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function skopeo(args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', args, { maxBuffer: 32 * 1024 * 1024 });
  return stdout;
}

async function skopeoFails(args: string[]): Promise<string> {
  try {
    await run('skopeo', args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr);
  }
  throw new Error(`skopeo ${args.join(' ')} succeeded but should have failed`);
}

const env: TestEnv = testEnv();
const get = (url: string, opts: { auth?: string } = {}) =>
  httpsRequest(url, { headers: opts.auth ? { authorization: opts.auth } : {} });

describe('registries', () => {
  test('the plain registry answers /v2/ anonymously over HTTP', async () => {
    const res = await fetch(`http://${env.plain.host}/v2/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  test('the TLS registry asks for basic auth and accepts the right password', async () => {
    const anon = await get(`https://${env.tls.host}/v2/`, {});
    expect(anon.status).toBe(401);
    expect(String(anon.headers['www-authenticate'])).toMatch(/^Basic realm=/);
    expect((await get(`https://${env.tls.host}/v2/`, { auth: basicAuth(env.tls.username, 'wrong') })).status).toBe(401);
    expect((await get(`https://${env.tls.host}/v2/`, { auth: basicAuth(env.tls.username, env.tls.password) })).status).toBe(200);
  });

  test('the token registry sends a bearer challenge naming the realm and service', async () => {
    const anon = await get(`https://${env.token.host}/v2/`, {});
    expect(anon.status).toBe(401);
    const challenge = String(anon.headers['www-authenticate']);
    expect(challenge).toContain(`Bearer realm="${env.token.realm}"`);
    expect(challenge).toContain(`service="${env.token.service}"`);
  });

  test('the token issuer refuses a wrong password and grants nothing to anonymous users', async () => {
    const scope = 'repository:kiln/busybox:pull';
    const url = `${env.token.realm}?service=${env.token.service}&scope=${encodeURIComponent(scope)}`;
    expect((await get(url, { auth: basicAuth(env.token.username, 'wrong') })).status).toBe(401);
    const anon = await get(url, {});
    expect(anon.status).toBe(200);
    const token = (JSON.parse(anon.body.toString()) as { token: string }).token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { access: unknown[] };
    expect(claims.access).toEqual([{ type: 'repository', name: 'kiln/busybox', actions: [] }]);
    const denied = await get(`https://${env.token.host}/v2/kiln/busybox/manifests/v2s2`, { auth: `Bearer ${token}` });
    expect(denied.status).toBe(401);
  });

  test('a user token grants pull: the manifest is served', async () => {
    const url = `${env.token.realm}?service=${env.token.service}&scope=repository:kiln/busybox:pull`;
    const res = await get(url, { auth: basicAuth(env.token.username, env.token.password) });
    const token = (JSON.parse(res.body.toString()) as { token: string }).token;
    const manifest = await get(`https://${env.token.host}/v2/kiln/busybox/manifests/v2s2`, {
      auth: `Bearer ${token}`,
    });
    expect(manifest.status).toBe(200);
  });

  for (const kind of ['tls', 'token'] as const) {
    test(`skopeo: wrong password fails and the right one works on the ${kind} registry`, async () => {
      const r = env[kind];
      const ref = `docker://${r.busybox}`;
      const wrong = await skopeoFails(['inspect', '--cert-dir', env.certDir, '--creds', `${r.username}:wrong`, ref]);
      expect(wrong).toMatch(/unauthorized|401|authentication required/i);
      const anon = await skopeoFails(['inspect', '--cert-dir', env.certDir, '--no-creds', ref]);
      expect(anon).toMatch(/unauthorized|401|authentication required/i);
      const out = await skopeo(['inspect', '--cert-dir', env.certDir, '--authfile', join(env.dockerConfigDir, 'config.json'), ref]);
      expect(JSON.parse(out)).toMatchObject({ Architecture: 'amd64', Os: 'linux' });
    });
  }

  test('startRegistry starts an extra registry whose requests can be counted', async () => {
    const reg = await startRegistry();
    onTestFinished(() => reg.stop());
    await skopeo(['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false',
      `docker://${env.images.busybox.oci}`, `docker://${reg.host}/copy/busybox:1`]);
    const head = await fetch(`${reg.url}/v2/copy/busybox/manifests/1`, { method: 'HEAD', headers: { accept: OCI_MANIFEST } });
    expect(head.status).toBe(200);
    const puts = reg.requests().filter((r) => r.method === 'PUT' && r.uri.includes('/manifests/'));
    expect(puts).toEqual([{ method: 'PUT', uri: '/v2/copy/busybox/manifests/1', status: 201 }]);
  });

  test('startRegistry with proxy: a pull-through mirror of the plain registry', async () => {
    const mirror = await startRegistry({ proxy: { remoteUrl: `http://${env.plain.host}` } });
    onTestFinished(() => mirror.stop());
    const ref = env.images.busybox.v2s2.replace(env.plain.host, mirror.host);
    const out = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${ref}`])) as { Digest: string };
    expect(out.Digest).toBe(env.images.busybox.digest.v2s2);
    expect(mirror.requests().some((r) => r.uri === '/v2/kiln/busybox/manifests/v2s2' && r.status === 200)).toBe(true);
  });
});

describe('base images', () => {
  for (const name of ['busybox', 'debian'] as const) {
    test(`${name} exists as v2s2, oci, an OCI index and a Docker manifest list`, async () => {
      const refs = env.images[name];
      type Raw = { mediaType: string; manifests?: Array<{ mediaType: string; platform: { architecture: string; variant?: string } }> };
      const raw = async (ref: string): Promise<Raw> => {
        const text = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
        return JSON.parse(text) as Raw;
      };
      expect((await raw(refs.v2s2)).mediaType).toBe(DOCKER_V2S2);
      expect((await raw(refs.oci)).mediaType).toBe(OCI_MANIFEST);
      for (const [ref, listType, itemType] of [[refs.multi, OCI_INDEX, OCI_MANIFEST], [refs.list, DOCKER_LIST, DOCKER_V2S2]] as const) {
        const index = await raw(ref);
        expect(index.mediaType).toBe(listType);
        expect(index.manifests?.map((m) => [m.mediaType, m.platform.architecture, m.platform.variant])).toEqual([
          [itemType, 'amd64', undefined],
          [itemType, 'arm64', 'v8'],
        ]);
        const arm = await skopeo(['inspect', '--tls-verify=false', '--override-arch', 'arm64', `docker://${ref}`]);
        expect(JSON.parse(arm)).toMatchObject({ Architecture: 'arm64', Os: 'linux' });
      }
      for (const [tag, accept] of [['oci', OCI_MANIFEST], ['v2s2', DOCKER_V2S2], ['multi', OCI_INDEX], ['list', DOCKER_LIST]] as const) {
        const [host, path] = [refs.oci.slice(0, refs.oci.indexOf('/')), refs.oci.slice(refs.oci.indexOf('/') + 1, -':oci'.length)];
        const res = await fetch(`http://${host}/v2/${path}/manifests/${tag}`, { headers: { accept } });
        const body = Buffer.from(await res.arrayBuffer());
        expect(`sha256:${createHash('sha256').update(body).digest('hex')}`).toBe(refs.digest[tag]);
      }
    });
  }

  test('the cached OCI layouts hold the same images as the registry', async () => {
    for (const name of ['busybox', 'debian'] as const) {
      const local = JSON.parse(await skopeo(['inspect', '--config', `oci:${env.layouts[name]}:${name}`])) as { rootfs: unknown };
      const remote = JSON.parse(await skopeo(['inspect', '--config', '--tls-verify=false', `docker://${env.images[name].oci}`])) as {
        rootfs: unknown;
      };
      expect(local.rootfs).toEqual(remote.rootfs);
    }
  });

  async function unpack(ref: string): Promise<string> {
    const dir = tempDir();
    await skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${join(dir, 'layout')}:img`]);
    await run('umoci', ['unpack', '--image', `${join(dir, 'layout')}:img`, join(dir, 'bundle')]);
    return join(dir, 'bundle', 'rootfs');
  }

  test('busybox runs sh in a chroot and has the kiln user, /tmp 1777 and /home/kiln', async () => {
    const rootfs = await unpack(env.images.busybox.v2s2);
    expect(rootfs).not.toBe('/');
    const { stdout } = await run('chroot', [rootfs, '/bin/sh', '-c', 'echo ok']);
    expect(stdout).toBe('ok\n');
    const id = await run('chroot', [rootfs, '/bin/id', 'kiln']);
    expect((await run('chroot', [rootfs, '/usr/bin/env', 'true'])).stdout).toBe('');
    expect(id.stdout.trim()).toBe('uid=1000(kiln) gid=1000(kiln) groups=1000(kiln),10(wheel)');
    expect(statSync(join(rootfs, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(statSync(join(rootfs, 'home/kiln')).uid).toBe(1000);
    const config = JSON.parse(await skopeo(['inspect', '--config', '--tls-verify=false', `docker://${env.images.busybox.oci}`])) as {
      config: { Cmd: string[]; Env: string[] };
    };
    expect(config.config.Cmd).toEqual(['sh']);
    expect(config.config.Env.some((e) => e.startsWith('PATH='))).toBe(true);
  });

  test('debian has apt and sources pointing at the host mirror', async () => {
    const rootfs = await unpack(env.images.debian.oci);
    expect(readdirSync(join(rootfs, 'dev'))).toEqual([]); // before a command creates /dev/null
    const { stdout } = await run('chroot', [rootfs, '/usr/bin/apt-get', '--version']);
    expect(stdout).toMatch(/^apt /);
    expect(readFileSync(join(rootfs, 'etc/debian_version'), 'utf8')).toMatch(/^12\./);
    const sources = readFileSync(join(rootfs, 'etc/apt/sources.list'), 'utf8');
    for (const line of sourcesLines(hostMirrors())) expect(sources).toContain(line);
  });
});
