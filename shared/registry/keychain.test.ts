import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../log.ts';
import { matchKey } from './docker-config.ts';
import { createKeychain } from './keychain.ts';

async function testdir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-keychain-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function helper(dir: string, name: string, body: string): Promise<void> {
  const path = join(dir, `docker-credential-${name}`);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
}

function keychain(dir: string, env: NodeJS.ProcessEnv, credentialHelpers: string[] = []) {
  return createKeychain({ env: { PATH: `${dir}:/usr/bin:/bin`, ...env }, dockerConfigDir: dir, credentialHelpers, logger: silentLogger });
}

describe('keychain', () => {
  it('reads auths by host, by URL key and the Docker Hub key', async () => {
    const dir = await testdir();
    await writeFile(join(dir, 'config.json'), JSON.stringify({
      auths: {
        'reg.example:5000': { auth: b64('alice:s3cr:et') },
        'https://other.example/v2/': { username: 'bob', password: 'pw' },
        'https://index.docker.io/v1/': { identitytoken: 'refresh-me' },
      },
    }));
    const kc = keychain(dir, {});
    expect(await kc.resolve('reg.example:5000', 'a/b')).toEqual({ username: 'alice', password: 's3cr:et' });
    expect(await kc.resolve('other.example', 'x')).toEqual({ username: 'bob', password: 'pw' });
    expect(await kc.resolve('index.docker.io', 'library/ubuntu')).toEqual({ identityToken: 'refresh-me' });
    expect(await kc.resolve('nobody.example', 'x')).toBeUndefined();
  });

  it('prefers credHelpers, then auths, then credsStore, and sends the server URL on stdin', async () => {
    const dir = await testdir();
    await helper(dir, 'per-host', 'read url; echo "{\\"ServerURL\\":\\"$url\\",\\"Username\\":\\"helper-$url\\",\\"Secret\\":\\"pw\\"}"');
    await helper(dir, 'store', 'read url; [ "$url" = "https://index.docker.io/v1/" ] && echo \'{"Username":"<token>","Secret":"idtok"}\' && exit 0; echo "credentials not found in native keychain"; exit 1');
    await writeFile(join(dir, 'config.json'), JSON.stringify({
      credHelpers: { 'h.example': 'per-host' },
      auths: { 'h.example': { auth: b64('ignored:x') }, 'a.example': { auth: b64('u:p') } },
      credsStore: 'store',
    }));
    const kc = keychain(dir, {});
    expect(await kc.resolve('h.example', 'r')).toEqual({ username: 'helper-h.example', password: 'pw' });
    expect(await kc.resolve('a.example', 'r')).toEqual({ username: 'u', password: 'p' });
    expect(await kc.resolve('docker.io', 'library/x')).toEqual({ identityToken: 'idtok' });
    expect(await kc.resolve('z.example', 'r')).toBeUndefined();
  });

  it('reads REGISTRY_AUTH_FILE with repository-scoped keys, most specific first', async () => {
    const dir = await testdir();
    const authFile = join(dir, 'auth.json');
    await writeFile(authFile, JSON.stringify({
      auths: { 'r.example': { auth: b64('any:1') }, 'r.example/team': { auth: b64('team:2') }, 'r.example/team/app': { auth: b64('app:3') } },
    }));
    const kc = keychain(dir, { REGISTRY_AUTH_FILE: authFile });
    expect(await kc.resolve('r.example', 'team/app')).toEqual({ username: 'app', password: '3' });
    expect(await kc.resolve('r.example', 'team/other')).toEqual({ username: 'team', password: '2' });
    expect(await kc.resolve('r.example', 'teams')).toEqual({ username: 'any', password: '1' });
  });

  it('tries --credential-helpers last, skipping missing ones', async () => {
    const dir = await testdir();
    await helper(dir, 'kilntest', 'echo \'{"Username":"ci","Secret":"tok"}\'');
    const kc = keychain(dir, {}, ['', 'not-installed', 'kilntest']);
    expect(await kc.resolve('x.example', 'r')).toEqual({ username: 'ci', password: 'tok' });
  });

  it('fails with a clear error that never shows the helper output', async () => {
    const dir = await testdir();
    await helper(dir, 'broken', 'echo "password=hunter2 leaked"; exit 3');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ credsStore: 'broken' }));
    const err = await keychain(dir, {}).resolve('x.example', 'r').catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'E_REGISTRY_AUTH' });
    expect((err as Error).message).toContain('docker-credential-broken');
    expect((err as Error).message).toContain('exited with code 3');
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('rejects a malformed config.json with the path', async () => {
    const dir = await testdir();
    await writeFile(join(dir, 'config.json'), '{nope');
    await expect(keychain(dir, {}).resolve('x', 'r')).rejects.toThrow(/config\.json: not valid JSON/);
  });
});

describe('matchKey', () => {
  it('treats every Docker Hub spelling alike', () => {
    expect(matchKey(['https://index.docker.io/v1/'], 'docker.io', 'library/a')).toBe('https://index.docker.io/v1/');
    expect(matchKey(['registry-1.docker.io'], 'index.docker.io', 'library/a')).toBe('registry-1.docker.io');
    expect(matchKey(['quay.io'], 'index.docker.io', 'library/a')).toBeUndefined();
  });
});
