// The test environment's apt repository (scripts/testenv/apt-repo.ts) is served on 127.0.0.1:
// the signed indexes and packages answer, nothing outside its directory does, requests are logged.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { testEnv } from '../helpers/testenv.ts';

const env = testEnv();

/** A request with the path sent as written (fetch would normalise `..` away). */
function raw(method: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: env.aptRepo.port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the repository is on loopback and serves its signed indexes, the keyring and the packages', async () => {
  const repo = env.aptRepo;
  expect(repo.url).toBe(`http://127.0.0.1:${repo.port}/`);
  for (const name of ['InRelease', 'Release', 'Release.gpg', 'Packages', 'kiln-hello_1.0_all.deb']) {
    const res = await fetch(`${repo.url}${name}`);
    expect(res.status, name).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(repo.dir, name))), name).toBe(true);
  }
  const viaDot = await fetch(`${repo.url}./Packages.gz`);
  expect(viaDot.headers.get('content-type')).toBe('application/gzip');
  expect(Buffer.from(readFileSync(repo.keyFile)).toString('base64')).toBe(repo.keyBase64);
  expect(repo.packages.map((p) => `${p.name} ${p.version} ${p.files.join(',')}`)).toEqual([
    'kiln-hello-data 1.0 /usr/share/kiln-hello/greeting',
    'kiln-hello 1.0 /usr/bin/kiln-hello',
  ]);
});

test('HEAD gives the length, other methods 405, paths out of the directory 404; every request is logged', async () => {
  const head = await raw('HEAD', '/Packages');
  expect([head.status, head.headers['content-length']]).toEqual([200, String(readFileSync(join(env.aptRepo.dir, 'Packages')).length)]);
  expect((await raw('PUT', '/Packages')).status).toBe(405);
  for (const path of ['/../testenv.json', '/%2e%2e/testenv.json', '/nope', '/']) expect((await raw('GET', path)).status, path).toBe(404);
  const log = readFileSync(env.aptRepo.accessLog, 'utf8');
  expect(log).toContain('HEAD /Packages 200\n');
  expect(log).toContain('PUT /Packages 405\n');
  expect(log).toContain('GET /../testenv.json 404\n');
});
