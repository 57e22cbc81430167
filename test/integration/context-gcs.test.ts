// gs:// contexts against a FAKE of Google Cloud Storage (test/e2e/context-servers.ts: it
// implements only the JSON API object GET, the OAuth2 JWT-bearer token exchange and the
// metadata token path; no GCS emulator installs here), reached through STORAGE_EMULATOR_HOST.
// The fake verifies the service account's RS256 assertion with the key pair made here.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { fetchContext } from '../../executor/context/fetch-context.ts';
import { silentLogger } from '../../shared/log.ts';
import { startFakeGcs, type FakeGcs } from '../e2e/context-servers.ts';
import { tarGz } from './context-support.ts';

let work = '';
let anon: FakeGcs;
let secured: FakeGcs;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-ctx-gcs-'));
  const objects = new Map([
    ['ctx-bucket/context.tar.gz', await tarGz({ 'Dockerfile': 'FROM scratch\n', 'default.txt': 'default object\n' })],
    ['ctx-bucket/builds/a b.tgz', await tarGz({ 'sub/app.txt': 'from gcs\n' })],
  ]);
  anon = await startFakeGcs(objects);
  secured = await startFakeGcs(objects, { publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(), requireToken: true });
});

afterAll(async () => {
  await anon?.stop();
  await secured?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function fetchGs(url: string, env: NodeJS.ProcessEnv, subPath = ''): Promise<string> {
  const ctx = await fetchContext({
    source: { kind: 'gs', url }, subPath, git: { singleBranch: false, recurseSubmodules: false, insecureSkipTls: false },
    env: { HOME: work, ...env }, containerMode: false, kanikoDir: '/nonexistent', stdin: Readable.from([]), cwd: '/', logger: silentLogger,
  });
  onTestFinished(() => ctx.dispose());
  return ctx.dir;
}

function serviceAccountFile(tokenUri: string, privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()): string {
  const file = join(work, `sa-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ type: 'service_account', client_email: 'builder@proj.iam.gserviceaccount.com', private_key_id: 'k1', private_key: privateKey, token_uri: tokenUri }));
  return file;
}

describe('gs:// contexts (fake GCS via STORAGE_EMULATOR_HOST)', () => {
  it('downloads without credentials from an emulator; the object defaults to context.tar.gz', async () => {
    const host = anon.url.replace('http://', '');
    expect(readFileSync(join(await fetchGs('gs://ctx-bucket', { STORAGE_EMULATOR_HOST: host }), 'default.txt'), 'utf8')).toBe('default object\n');
    const dir = await fetchGs('gs://ctx-bucket/builds/a b.tgz', { STORAGE_EMULATOR_HOST: anon.url }, 'sub');
    expect(readFileSync(join(dir, 'app.txt'), 'utf8')).toBe('from gcs\n');
    expect(anon.requests.map((r) => r.line)).toContain('GET /storage/v1/b/ctx-bucket/o/builds%2Fa%20b.tgz?alt=media');
    expect(anon.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('signs a service-account JWT, exchanges it at token_uri and sends the token', async () => {
    const env = { STORAGE_EMULATOR_HOST: secured.url, GOOGLE_APPLICATION_CREDENTIALS: serviceAccountFile(`${secured.url}/token`) };
    expect(readFileSync(join(await fetchGs('gs://ctx-bucket/context.tar.gz', env), 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
    expect(secured.tokens).toHaveLength(1);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const forged = { STORAGE_EMULATOR_HOST: secured.url, GOOGLE_APPLICATION_CREDENTIALS: serviceAccountFile(`${secured.url}/token`, other) };
    await expect(fetchGs('gs://ctx-bucket/context.tar.gz', forged)).rejects.toMatchObject({ code: 'E_CONTEXT', message: expect.stringContaining('HTTP status 400 (invalid_grant)') });
  });

  it('uses GOOGLE_OAUTH_ACCESS_TOKEN, and the metadata server only when GCE_METADATA_HOST names it', async () => {
    await expect(fetchGs('gs://ctx-bucket/context.tar.gz', { STORAGE_EMULATOR_HOST: secured.url })).rejects.toMatchObject({ message: expect.stringContaining('HTTP status 401') });
    const metadata = await fetchGs('gs://ctx-bucket/context.tar.gz', { STORAGE_EMULATOR_HOST: secured.url, GCE_METADATA_HOST: secured.url.replace('http://', '') });
    expect(readFileSync(join(metadata, 'default.txt'), 'utf8')).toBe('default object\n');
    const token = secured.tokens.at(-1) as string;
    expect(token).toMatch(/^meta-/);
    expect(readFileSync(join(await fetchGs('gs://ctx-bucket/context.tar.gz', { STORAGE_EMULATOR_HOST: secured.url, GOOGLE_OAUTH_ACCESS_TOKEN: token }), 'default.txt'), 'utf8')).toBe('default object\n');
  });

  it('fails before any request without credentials and without an emulator, and on a missing object', async () => {
    await expect(fetchGs('gs://ctx-bucket/context.tar.gz', {})).rejects.toMatchObject({ code: 'E_CONTEXT', message: 'fetching the build context gs://ctx-bucket/context.tar.gz: no Google Cloud credentials given' });
    await expect(fetchGs('gs://ctx-bucket/nope.tgz', { STORAGE_EMULATOR_HOST: anon.url })).rejects.toMatchObject({ message: expect.stringMatching(/HTTP status 404 \(No such object\)/) });
  });
});
