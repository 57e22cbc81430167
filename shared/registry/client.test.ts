import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Readable } from 'node:stream';
import { type Digest, sha256, VerifyingStream } from '../digest.ts';
import { indexJson, MediaTypes, validateImage, type Image } from '../image/index.ts';
import { silentLogger, type Logger } from '../log.ts';
import { parseReference } from '../reference/index.ts';
import { startFakeRegistry, type FakeAuth, type FakeRegistry } from '../../test/helpers/fake-registry.ts';
import { randomImage } from '../../test/helpers/random-image.ts';
import { createRegistryClient, type RegistryClient } from './client.ts';
import { defaultRegistryOptions, type RegistryOptions } from './options.ts';

interface Setup {
  reg: FakeRegistry;
  client: RegistryClient;
  sleeps: number[];
  warnings: string[];
}

async function setup(opts: { auth?: FakeAuth; creds?: [string, string]; options?: Partial<RegistryOptions>; attempts?: number } = {}): Promise<Setup> {
  const reg = await startFakeRegistry(opts.auth ? { auth: opts.auth } : {});
  const dir = await mkdtemp(join(tmpdir(), 'kiln-client-'));
  if (opts.creds) {
    const auth = Buffer.from(opts.creds.join(':')).toString('base64');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth } } }));
  }
  const sleeps: number[] = [];
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(m) };
  const client = createRegistryClient({
    options: { ...defaultRegistryOptions, ...opts.options },
    logger,
    env: { PATH: '/usr/bin:/bin' },
    dockerConfigDir: dir,
    retry: { baseDelayMs: 1, maxDelayMs: 4, attempts: opts.attempts ?? 3 },
    clock: { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) },
  });
  onTestFinished(async () => {
    await client.close();
    await reg.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { reg, client, sleeps, warnings };
}

const ref = (reg: FakeRegistry, s: string) => parseReference(`${reg.host}/${s}`);
const amd64 = { platform: { os: 'linux', architecture: 'amd64' } };
const count = (reg: FakeRegistry, method: string, re: RegExp): number => reg.requests.filter((r) => r.method === method && re.test(r.path)).length;

async function roundTrip(s: Setup, img: Image, name: string): Promise<Image> {
  const digest = await s.client.push(img, ref(s.reg, name));
  expect(digest).toBe(await img.digest());
  const back = await s.client.image(ref(s.reg, name), amd64);
  await validateImage(back);
  expect(await back.digest()).toBe(digest);
  return back;
}

describe('registry client against a fake registry', () => {
  it('pushes and pulls back an image, and skips blobs the registry has', async () => {
    const s = await setup();
    const img = await randomImage({ layers: 3, layerBytes: 5000 });
    await roundTrip(s, img, 'app/one:v1');
    expect(count(s.reg, 'PUT', /\/blobs\/uploads\//)).toBe(4);
    const again = createRegistryClient({ options: defaultRegistryOptions, logger: silentLogger, env: {} });
    onTestFinished(() => again.close());
    await again.push(img, ref(s.reg, 'app/one:v2'));
    expect(count(s.reg, 'PUT', /\/blobs\/uploads\//)).toBe(4);
    expect(count(s.reg, 'HEAD', /\/blobs\/sha256:/)).toBe(8);
  });

  it('mounts layers pulled from another repository and never uploads a blob twice', async () => {
    const s = await setup();
    await s.client.push(await randomImage({ layers: 2 }), ref(s.reg, 'base/img:1'));
    const base = await s.client.image(ref(s.reg, 'base/img:1'), amd64);
    expect(s.client.layerOrigin((await base.layers())[0]!)).toEqual({ registry: s.reg.host, repository: 'base/img' });
    const uploadsBefore = count(s.reg, 'PUT', /\/blobs\/uploads\//);
    const events: string[] = [];
    await s.client.push(base, ref(s.reg, 'app/derived:1'), { onBlob: (e) => void events.push(e.outcome) });
    expect(events.sort()).toEqual(['mounted', 'mounted', 'mounted']);
    expect(count(s.reg, 'POST', /mount=sha256/)).toBe(3);
    expect(count(s.reg, 'PUT', /\/blobs\/uploads\//)).toBe(uploadsBefore);
    // two destinations in one repository: the second push makes no blob request at all
    const blobRequests = count(s.reg, 'HEAD', /blobs/);
    await Promise.all([s.client.push(base, ref(s.reg, 'app/derived:2')), s.client.push(base, ref(s.reg, 'app/derived:3'))]);
    expect(count(s.reg, 'HEAD', /blobs/)).toBe(blobRequests);
  });

  it('uploads in chunks with Content-Range', async () => {
    const s = await setup();
    const img = await randomImage({ layers: 1, layerBytes: 20_000 });
    await s.client.push(img, ref(s.reg, 'c/chunked:1'), { chunked: { threshold: 0, chunkSize: 4096 } });
    const patches = s.reg.requests.filter((r) => r.method === 'PATCH');
    expect(patches.length).toBeGreaterThan(2);
    expect(patches[0]?.headers['content-range']).toBe('0-4095');
    await validateImage(await s.client.image(ref(s.reg, 'c/chunked:1'), amd64));
  });

  it('resolves an index to the platform and lists what exists when it is missing', async () => {
    const s = await setup();
    const [a, b] = [await randomImage(), await randomImage({ mediaTypes: 'oci' })];
    const descs = [];
    for (const [img, platform] of [[a, { os: 'linux', architecture: 'amd64' }], [b, { os: 'linux', architecture: 'arm64', variant: 'v8' }]] as const) {
      const raw = await img.rawManifest();
      await s.client.push(img, parseReference(`${s.reg.host}/multi@${sha256(raw)}`));
      descs.push({ mediaType: await img.mediaType(), digest: sha256(raw), size: raw.length, platform });
    }
    s.reg.putManifest('multi', 'latest', indexJson({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: descs }), MediaTypes.ociIndex);
    const arm = await s.client.image(ref(s.reg, 'multi:latest'), { platform: { os: 'linux', architecture: 'arm64' } });
    expect(await arm.digest()).toBe(await b.digest());
    await validateImage(arm);
    const err = await s.client.image(ref(s.reg, 'multi:latest'), { platform: { os: 'linux', architecture: 's390x' } }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'E_PLATFORM' });
    expect((err as Error).message).toMatch(/linux\/amd64, linux\/arm64\/v8/);
  });

  it('memoises images per reference and platform, but not failures', async () => {
    const s = await setup();
    await expect(s.client.image(ref(s.reg, 'memo:1'), amd64)).rejects.toMatchObject({ status: 404 });
    const img = await randomImage();
    await s.client.push(img, ref(s.reg, 'memo:1'));
    const first = await s.client.image(ref(s.reg, 'memo:1'), amd64);
    const requests = s.reg.requests.length;
    expect(await s.client.image(ref(s.reg, 'memo:1'), amd64)).toBe(first);
    expect(s.reg.requests.length).toBe(requests);
  });

  it('rejects a manifest whose Docker-Content-Digest lies', async () => {
    const s = await setup();
    await s.client.push(await randomImage(), ref(s.reg, 'x:1'));
    s.reg.lieAboutDigest(sha256('something else'));
    await expect(s.client.manifest(ref(s.reg, 'x:1'))).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
  });

  it('retries 503 and 429 (honouring Retry-After), then gives up with a clear error', async () => {
    const s = await setup();
    await s.client.push(await randomImage(), ref(s.reg, 'r:1'));
    s.reg.inject({ match: (m, p) => m === 'GET' && p.includes('/manifests/'), times: 1, status: 503 });
    s.reg.inject({ match: (m, p) => m === 'GET' && p.includes('/manifests/'), times: 1, status: 429, headers: { 'retry-after': '2' } });
    await s.client.manifest(ref(s.reg, 'r:1'));
    expect(s.sleeps).toHaveLength(2);
    // Retry-After: 2 asks for 2000 ms; backoff alone would be ~2 ms; the wait is capped at maxDelayMs * 4
    expect(s.sleeps[1]).toBe(16);
    s.reg.inject({ match: (m, p) => m === 'GET' && p.includes('/manifests/'), times: 10, status: 503 });
    const err = await s.client.manifest(ref(s.reg, 'r:1')).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'E_REGISTRY', status: 503 });
    expect((err as Error).message).toContain(`GET http://${s.reg.host}/v2/r/manifests/1: status 503`);
    expect(s.warnings.some((w) => w.includes('retrying'))).toBe(true);
  });

  it('resumes a blob cut mid-stream with a Range request', async () => {
    const s = await setup();
    const img = await randomImage({ layerBytes: 200_000 });
    await s.client.push(img, ref(s.reg, 'cut:1'));
    const layer = (await (await s.client.image(ref(s.reg, 'cut:1'), amd64)).layers())[0]!;
    s.reg.inject({ match: (m, p) => m === 'GET' && /blobs\/sha256/.test(p), times: 1, cutAfter: 10_000 });
    const chunks: Buffer[] = [];
    for await (const c of await layer.compressed()) chunks.push(c as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(await layer.digest());
    expect(s.reg.requests.some((r) => r.headers['range'] === 'bytes=10000-')).toBe(true);
  });

  it('fails a blob that does not match its digest', async () => {
    const s = await setup();
    const data = Buffer.from('hello');
    const digest = s.reg.putBlob('b', data) as Digest;
    const wrong = { mediaType: 'application/octet-stream', digest, size: 4 };
    const read = async () => {
      for await (const _ of s.client.blob({ registry: s.reg.host, repository: 'b' }, wrong)) void _;
    };
    await expect(read()).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
  });
});

describe('registry client auth', () => {
  it('follows the bearer flow, caches tokens per scope and refreshes on 401', async () => {
    const s = await setup({ auth: { scheme: 'bearer', users: { alice: 'wonder' } }, creds: ['alice', 'wonder'] });
    const img = await randomImage({ layers: 2 });
    await roundTrip(s, img, 'team/app:1');
    const fetched = s.reg.tokenRequests.length;
    expect(s.reg.tokenRequests.every((t) => t.user === 'alice')).toBe(true);
    // the blobs went up in parallel, yet one token served them all
    expect(s.reg.tokenRequests.filter((t) => t.scopes.join(' ') === 'repository:team/app:pull,push')).toHaveLength(1);
    await s.client.manifest(ref(s.reg, 'team/app:1'));
    expect(s.reg.tokenRequests.length).toBe(fetched);
    s.reg.revokeTokens();
    await Promise.all([s.client.manifest(ref(s.reg, 'team/app:1')), s.client.manifest(ref(s.reg, 'team/app:1'))]);
    expect(s.reg.tokenRequests.length).toBe(fetched + 1);
  });

  it('exchanges an identity token with an OAuth2 POST', async () => {
    const reg = await startFakeRegistry({ auth: { scheme: 'bearer', users: {}, refreshTokens: ['refresh-123'] } });
    const dir = await mkdtemp(join(tmpdir(), 'kiln-client-'));
    onTestFinished(async () => {
      await reg.close();
      await rm(dir, { recursive: true, force: true });
    });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { identitytoken: 'refresh-123' } } }));
    const client = createRegistryClient({ options: defaultRegistryOptions, logger: silentLogger, env: {}, dockerConfigDir: dir });
    onTestFinished(() => client.close());
    const img = await randomImage();
    await client.push(img, parseReference(`${reg.host}/oauth/app:1`));
    expect(reg.tokenRequests.length).toBeGreaterThan(0);
    expect(reg.tokenRequests.every((t) => t.method === 'POST')).toBe(true);
    expect(reg.tokenRequests[0]?.scopes).toEqual(['repository:oauth/app:pull,push']);
  });

  it('falls back to GET with the identity token as password when there is no OAuth2 endpoint', async () => {
    const reg = await startFakeRegistry({ auth: { scheme: 'bearer', users: { '<token>': 'id-tok' } } });
    const dir = await mkdtemp(join(tmpdir(), 'kiln-client-'));
    onTestFinished(async () => {
      await reg.close();
      await rm(dir, { recursive: true, force: true });
    });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { identitytoken: 'id-tok' } } }));
    const client = createRegistryClient({ options: defaultRegistryOptions, logger: silentLogger, env: {}, dockerConfigDir: dir });
    onTestFinished(() => client.close());
    await client.push(await randomImage(), parseReference(`${reg.host}/fallback/app:1`));
    expect(reg.tokenRequests.map((t) => t.method)).toEqual(['GET']);
    expect(reg.tokenRequests[0]?.user).toBe('<token>');
  });

  it('learns the challenge from a 401 when /v2/ itself is open', async () => {
    const reg = await startFakeRegistry({ auth: { scheme: 'basic', users: { u: 'p' } }, openPing: true });
    const dir = await mkdtemp(join(tmpdir(), 'kiln-client-'));
    onTestFinished(async () => {
      await reg.close();
      await rm(dir, { recursive: true, force: true });
    });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { username: 'u', password: 'p' } } }));
    const client = createRegistryClient({ options: defaultRegistryOptions, logger: silentLogger, env: {}, dockerConfigDir: dir });
    onTestFinished(() => client.close());
    await client.push(await randomImage({ layers: 2 }), parseReference(`${reg.host}/open/ping:1`));
    const unauthenticated = reg.requests.filter((r) => r.path.startsWith('/v2/open/') && r.headers['authorization'] === undefined);
    expect(unauthenticated.length).toBeGreaterThan(0);
    expect(unauthenticated.length).toBeLessThanOrEqual(3); // the first wave of parallel HEADs, then never again
    expect(reg.requests.filter((r) => r.path.startsWith('/v2/open/')).length).toBeGreaterThan(8);
  });

  it('copes with odd challenge spellings', async () => {
    const s = await setup({
      auth: { scheme: 'bearer', users: { u: 'p' }, challenge: (realm, scope) => `BEARER  Realm=${realm} , Service="odd \\"svc\\"",error="invalid_token",scope="${scope}"` },
      creds: ['u', 'p'],
    });
    await roundTrip(s, await randomImage(), 'odd:1');
  });

  it('names the registry and status on a wrong password, never the password', async () => {
    const s = await setup({ auth: { scheme: 'bearer', users: { alice: 'right' } }, creds: ['alice', 'Sup3rSecret!'] });
    const err = await s.client.manifest(ref(s.reg, 'x:1')).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'E_REGISTRY_AUTH', status: 401 });
    expect((err as Error).message).toContain(s.reg.host);
    expect(JSON.stringify({ m: (err as Error).message, h: (err as { hint?: string }).hint })).not.toContain('Sup3rSecret');
  });

  it('sends Basic credentials and checks push permission with an upload it cancels', async () => {
    const s = await setup({ auth: { scheme: 'basic', users: { bob: 'pw' } }, creds: ['bob', 'pw'] });
    await s.client.checkPushPermission(ref(s.reg, 'p/q:1'));
    expect(count(s.reg, 'DELETE', /blobs\/uploads\//)).toBe(1);
    const denied = await setup({ auth: { scheme: 'basic', users: { bob: 'other' } }, creds: ['bob', 'pw'] });
    const err = await denied.client.checkPushPermission(ref(denied.reg, 'p/q:1')).catch((e: Error & { hint?: string }) => e);
    expect(err).toMatchObject({ code: 'E_REGISTRY_AUTH' });
    expect((err as { hint?: string }).hint).toContain('--skip-push-permission-check');
  });

  it('treats an immutable-tag refusal as success only when asked', async () => {
    const s = await setup();
    const img = await randomImage();
    const immutable = { match: (m: string, p: string) => m === 'PUT' && p.includes('/manifests/'), status: 400, body: JSON.stringify({ errors: [{ code: 'TAG_INVALID', message: 'The repository has enabled tag immutability' }] }) };
    s.reg.inject({ ...immutable });
    await expect(s.client.push(img, ref(s.reg, 'imm:1'))).rejects.toMatchObject({ code: 'E_REGISTRY', status: 400 });
    s.reg.inject({ ...immutable });
    expect(await s.client.push(img, ref(s.reg, 'imm:1'), { ignoreImmutableTagErrors: true })).toBe(await img.digest());
    expect(s.warnings.some((w) => w.includes('immutable'))).toBe(true);
  });

  it('does not send the registry Authorization to another host on a blob redirect', async () => {
    const storage = await startFakeRegistry();
    onTestFinished(() => storage.close());
    const reg = await startFakeRegistry({ auth: { scheme: 'basic', users: { u: 'p' } }, redirectBlobsTo: `http://${storage.host}` });
    onTestFinished(() => reg.close());
    const data = Buffer.from('redirected blob');
    const digest = reg.putBlob('r', data) as Digest;
    storage.putBlob('r', data);
    const dir = await mkdtemp(join(tmpdir(), 'kiln-client-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('u:p').toString('base64') } } }));
    const client = createRegistryClient({ options: defaultRegistryOptions, logger: silentLogger, env: {}, dockerConfigDir: dir });
    onTestFinished(() => client.close());
    const chunks: Buffer[] = [];
    for await (const c of client.blob({ registry: reg.host, repository: 'r' }, { mediaType: 'x', digest, size: data.length })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('redirected blob');
    expect(storage.requests.some((r) => r.path.includes(digest))).toBe(true);
    expect(storage.requests.every((r) => r.headers['authorization'] === undefined)).toBe(true);
  });
});

describe('pushing a layer whose bytes lie', () => {
  it('fails with E_DIGEST_MISMATCH, not a network error, and does not retry it', async () => {
    const s = await setup();
    const good = await randomImage({ layers: 1, layerBytes: 50_000 });
    const [layer] = await good.layers();
    const liar: Image = {
      ...good,
      layers: async () => [{
        ...layer!,
        compressed: async () => {
          const want = { digest: await layer!.digest(), size: await layer!.size(), what: 'the lying layer' };
          return Readable.from([Buffer.alloc(want.size, 1)]).pipe(new VerifyingStream(want));
        },
      }],
    };
    const err = await s.client.push(liar, ref(s.reg, 'liar:1')).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'E_DIGEST_MISMATCH' });
    expect((err as Error).message).toContain('the lying layer');
    expect(s.sleeps).toEqual([]);
  });
});
