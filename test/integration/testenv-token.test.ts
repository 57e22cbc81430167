// The bearer-token side of the test environment: anonymous pulls of public/*, the OAuth2 POST
// form, and a private token registry whose token and registry requests a test can count.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, onTestFinished, test } from 'vitest';
import { basicAuth, httpsRequest, startTokenRegistry, testEnv } from '../helpers/testenv.ts';

const run = promisify(execFile);
const env = testEnv();

interface TokenBody {
  token: string;
  access_token: string;
  refresh_token?: string;
}

function claims(token: string): { sub: string; aud: string; access: unknown[] } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string; aud: string; access: unknown[] };
}

function postForm(fields: Record<string, string>) {
  return httpsRequest(env.token.realm, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('token registry', () => {
  test('anonymous users can pull public/* with skopeo but not kiln/*', async () => {
    const ok = await run('skopeo', ['inspect', '--cert-dir', env.certDir, '--no-creds', `docker://${env.token.publicBusybox}`]);
    expect(JSON.parse(ok.stdout)).toMatchObject({ Architecture: 'amd64' });
    await expect(run('skopeo', ['inspect', '--cert-dir', env.certDir, '--no-creds', `docker://${env.token.busybox}`])).rejects.toThrow(
      /unauthorized|authentication required/i,
    );
  });

  test('an anonymous push to public/* is refused: the token grants pull only', async () => {
    const scope = 'repository:public/busybox:pull,push';
    const res = await httpsRequest(`${env.token.realm}?service=${env.token.service}&scope=${encodeURIComponent(scope)}`);
    expect(claims((JSON.parse(res.body.toString()) as TokenBody).token).access).toEqual([
      { type: 'repository', name: 'public/busybox', actions: ['pull'] },
    ]);
  });

  test('the OAuth2 POST form: password grant, refresh token, wrong password', async () => {
    const scope = 'repository:kiln/busybox:pull';
    const common = { service: env.token.service, scope, client_id: 'kiln-test' };
    const bad = await postForm({ ...common, grant_type: 'password', username: env.token.username, password: 'wrong' });
    expect(bad.status).toBe(401);
    const good = await postForm({ ...common, grant_type: 'password', username: env.token.username, password: env.token.password, access_type: 'offline' });
    expect(good.status).toBe(200);
    const body = JSON.parse(good.body.toString()) as TokenBody;
    expect(claims(body.access_token)).toMatchObject({ sub: env.token.username, aud: env.token.service });
    expect(body.refresh_token).toBeTypeOf('string');
    const again = await postForm({ ...common, grant_type: 'refresh_token', refresh_token: body.refresh_token ?? '' });
    expect(claims((JSON.parse(again.body.toString()) as TokenBody).access_token).access).toEqual([
      { type: 'repository', name: 'kiln/busybox', actions: ['pull'] },
    ]);
    const manifest = await httpsRequest(`https://${env.token.host}/v2/kiln/busybox/manifests/v2s2`, {
      headers: { authorization: `Bearer ${body.access_token}`, accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(manifest.status).toBe(200);
  });

  test('startTokenRegistry: a private registry whose token and registry requests are counted', async () => {
    const reg = await startTokenRegistry();
    onTestFinished(() => reg.stop());
    const dest = `docker://${reg.registry.host}/kiln/copied:1`;
    await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-cert-dir', env.certDir,
      '--dest-creds', `${reg.username}:${reg.password}`, `docker://${env.images.busybox.v2s2}`, dest]);
    const tokens = reg.tokens.requests();
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((t) => t.user === reg.username && t.status === 200)).toBe(true);
    expect(tokens.some((t) => t.scopes.includes('repository:kiln/copied:pull,push'))).toBe(true);
    const requests = reg.registry.requests();
    expect(requests.some((r) => r.status === 401)).toBe(true);
    expect(requests.filter((r) => r.method === 'PUT' && r.uri === '/v2/kiln/copied/manifests/1')).toHaveLength(1);
    const anon = await httpsRequest(`https://${reg.registry.host}/v2/`, { headers: { authorization: basicAuth('x', 'y') } });
    expect(anon.status).toBe(401);
  });
});
