// Every --context kind end to end: dist/executor.js builds the same small Dockerfile from a
// directory, tar:// (file and stdin), git:// and https://….git (git http-backend, Basic auth),
// an http tarball, s3:// (s3rver), gs:// and --bucket (the fake GCS of context-servers.ts,
// which implements only the object GET), and Azure Blob (azurite), with --context-sub-path,
// and checks that the COPY'd file is in the image and the fetched context is gone afterwards.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedKeyHeaders } from '../../executor/context/azure.ts';
import { signV4 } from '../../executor/context/sigv4.ts';
import { testEnv, type TestEnv } from '../helpers/testenv.ts';
import { repoRoot, sh, tempDir } from './build-support.ts';
import { AZURITE_ACCOUNT, AZURITE_KEY, git, listen, startAzurite, startFakeGcs, startGitHttp, startS3, type FakeGcs, type Server } from './context-servers.ts';
import { readLayout } from './run-mount-support.ts';

let env: TestEnv;
let work = '';
let archive: Buffer;
const stops: (() => Promise<void>)[] = [];
let gitServer: Server;
let httpServer: Server;
let gcs: FakeGcs;
let s3 = '';
let azure = '';

/** The context: a Dockerfile at the top and one in sub/ (for --context-sub-path). */
function makeContext(dir: string): void {
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  writeFileSync(path.join(dir, 'Dockerfile'), 'ARG BASE\nFROM $BASE\nCOPY hello.txt /ctx/hello.txt\n');
  writeFileSync(path.join(dir, 'hello.txt'), 'hello from the context\n');
  writeFileSync(path.join(dir, 'sub', 'Dockerfile'), 'ARG BASE\nFROM $BASE\nCOPY sub.txt /ctx/sub.txt\n');
  writeFileSync(path.join(dir, 'sub', 'sub.txt'), 'from the sub path\n');
  writeFileSync(path.join(dir, 'Dockerfile.all'), 'ARG BASE\nFROM $BASE\nCOPY . /all/\n');
  writeFileSync(path.join(dir, '.dockerignore'), 'secret.txt\n');
  writeFileSync(path.join(dir, 'secret.txt'), 'must stay out of the image\n');
}

beforeAll(async () => {
  env = testEnv();
  work = tempDirOutsideTest();
  const ctx = path.join(work, 'ctx');
  makeContext(ctx);
  sh('tar', ['-czf', path.join(work, 'ctx.tar.gz'), '-C', ctx, '.']);
  archive = readFileSync(path.join(work, 'ctx.tar.gz'));
  // git: a bare repository served over smart HTTP with Basic auth
  const repo = path.join(work, 'repo');
  cpSync(ctx, repo, { recursive: true });
  git(repo, 'init', '-q');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'context');
  git(work, 'clone', '-q', '--bare', repo, path.join(work, 'srv', 'app.git'));
  gitServer = await startGitHttp(path.join(work, 'srv'), { username: 'ci', password: 'git-pass' });
  httpServer = await listen((req, res) => {
    if (req.url !== '/ctx.tar.gz') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': archive.length }).end(archive);
  });
  gcs = await startFakeGcs(new Map([['ctx-bucket/context.tar.gz', archive], ['ctx-bucket/builds/ctx.tar.gz', archive]]));
  const s3srv = await startS3(mkdir(path.join(work, 's3')), 'ctx-bucket');
  s3 = s3srv.endpoint;
  const az = await startAzurite(mkdir(path.join(work, 'azurite')));
  azure = az.endpoint;
  stops.push(gitServer.stop, httpServer.stop, gcs.stop, s3srv.stop, az.stop);
  await putS3('builds/ctx.tar.gz');
  await putAzure();
});

afterAll(async () => {
  for (const stop of stops) await stop();
  sh('rm', ['-rf', work]);
});

function tempDirOutsideTest(): string {
  const dir = path.join(sh('mktemp', ['-d', '/tmp/kiln-ctx-e2e-XXXXXX']).trim());
  return dir;
}

function mkdir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function putS3(key: string): Promise<void> {
  const url = new URL(`${s3}/ctx-bucket/${key}`);
  const headers = signV4({ method: 'PUT', url, payloadHash: 'UNSIGNED-PAYLOAD' }, { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, region: 'us-east-1', service: 's3', date: new Date(), contentSha256Header: true });
  delete headers.host;
  const res = await fetch(url, { method: 'PUT', headers, body: archive });
  if (!res.ok) throw new Error(`s3 put: ${res.status}`);
}

async function putAzure(): Promise<void> {
  for (const [p, body, extra] of [['/contexts?restype=container', undefined, {}], ['/contexts/ctx.tar.gz', archive, { 'x-ms-blob-type': 'BlockBlob' }]] as const) {
    const url = new URL(`${azure}${p}`);
    const signed = sharedKeyHeaders({ account: AZURITE_ACCOUNT, url, key: AZURITE_KEY }, { method: 'PUT', headers: { 'content-length': String(body?.length ?? 0), ...extra }, date: new Date() });
    delete signed['content-length'];
    const res = await fetch(url, { method: 'PUT', headers: signed, ...(body ? { body } : {}) });
    if (!res.ok) throw new Error(`azurite put ${p}: ${res.status}`);
  }
}

interface Run {
  code: number | null;
  stderr: string;
  /** The layout's last layer, uncompressed. */
  lastLayer: () => string;
  /** Entries left in the build's TMPDIR (a fetched context must be removed). */
  leftovers: string[];
}

/** The executor bundle as a child process (async: the git, http and GCS servers run in this process). */
async function buildWith(args: string[], o: { env?: NodeJS.ProcessEnv; stdin?: Buffer } = {}): Promise<Run> {
  const out = path.join(tempDir(), 'oci');
  const tmp = tempDir('kiln-ctx-tmp-');
  const child = spawn(process.execPath, [
    path.join(repoRoot, 'dist/executor.js'), '--root-dir', path.join(tempDir(), 'root'), '--no-push', '--insecure-pull',
    '--oci-layout-path', out, '--build-arg', `BASE=${env.images.busybox.v2s2}`, ...args,
  ], { env: { PATH: process.env.PATH, HOME: tmp, TMPDIR: tmp, NODE_OPTIONS: '--no-warnings', AWS_EC2_METADATA_DISABLED: 'true', ...o.env }, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(o.stdin ?? Buffer.alloc(0));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const lastLayer = (): string => (readLayout(out).layers.at(-1)?.bytes ?? Buffer.alloc(0)).toString('latin1');
  return { code, stderr, lastLayer, leftovers: readdirSync(tmp).filter((n) => n.startsWith('kiln-context-')) };
}

function expectBuilt(r: Run, content = 'hello from the context\n'): void {
  expect(r.code, r.stderr).toBe(0);
  expect(r.lastLayer()).toContain(content);
  expect(r.leftovers).toEqual([]);
}

describe('--context kinds', () => {
  it('dir:// and tar:// (a file, and stdin as with docker run -i)', async () => {
    expectBuilt(await buildWith(['--context', `dir://${path.join(work, 'ctx')}`]));
    expectBuilt(await buildWith(['--context', `tar://${path.join(work, 'ctx.tar.gz')}`]));
    const stdin = await buildWith(['--context', 'tar://stdin', '--context-sub-path', 'sub'], { stdin: archive });
    expectBuilt(stdin, 'from the sub path\n');
    expect(stdin.stderr).toContain('Reading the build context (a tar archive) from stdin');
    const all = await buildWith(['--context', `tar://${path.join(work, 'ctx.tar.gz')}`, '--dockerfile', 'Dockerfile.all']);
    expectBuilt(all); // the fetched context's .dockerignore applies
    expect(all.lastLayer()).not.toContain('must stay out of the image');
  });

  it('git:// (kaniko syntax, GIT_PULL_METHOD=http) and http://….git with GIT_USERNAME/GIT_PASSWORD', async () => {
    const creds = { GIT_USERNAME: 'ci', GIT_PASSWORD: 'git-pass' };
    const r = await buildWith(['--context', `git://127.0.0.1:${gitServer.port}/app.git#refs/heads/main`], { env: { ...creds, GIT_PULL_METHOD: 'http' } });
    expectBuilt(r);
    expect(r.stderr).not.toContain('git-pass');
    expectBuilt(await buildWith(['--context', `${gitServer.url}/app.git`, '--git', 'branch=main,single-branch=true', '--context-sub-path', 'sub'], { env: creds }), 'from the sub path\n');
    const denied = await buildWith(['--context', `${gitServer.url}/app.git`], { env: { GIT_USERNAME: 'ci', GIT_PASSWORD: 'wrong-pass' } });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/cloning the git context http:\/\/127\.0\.0\.1:\d+\/app\.git/);
    expect(denied.stderr).not.toContain('wrong-pass');
    expect(denied.leftovers).toEqual([]);
  });

  it('an http(s) tarball, s3:// (s3rver), gs:// and --bucket (fake GCS), Azure Blob (azurite)', async () => {
    expectBuilt(await buildWith(['--context', `${httpServer.url}/ctx.tar.gz`]));
    const s3env = { S3_ENDPOINT: s3, S3_FORCE_PATH_STYLE: 'true', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
    expectBuilt(await buildWith(['--context', 's3://ctx-bucket/builds/ctx.tar.gz'], { env: s3env }));
    expectBuilt(await buildWith(['--context', 'gs://ctx-bucket/builds/ctx.tar.gz', '--context-sub-path', 'sub'], { env: { STORAGE_EMULATOR_HOST: gcs.url } }), 'from the sub path\n');
    expectBuilt(await buildWith(['--bucket', 'ctx-bucket'], { env: { STORAGE_EMULATOR_HOST: gcs.url } }));
    const azEnv = { AZURE_STORAGE_ACCESS_KEY: AZURITE_KEY, AZURE_STORAGE_CONNECTION_STRING: `AccountName=${AZURITE_ACCOUNT};BlobEndpoint=${azure}` };
    expectBuilt(await buildWith(['--context', `https://${AZURITE_ACCOUNT}.blob.core.windows.net/contexts/ctx.tar.gz`], { env: azEnv }));
  });

  it('fails cleanly, removing what it fetched: a missing object, no credentials, a bad sub path', async () => {
    const missing = await buildWith(['--context', `${httpServer.url}/nothing.tar.gz`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/fetching the build context http:\/\/127\.0\.0\.1:\d+\/nothing\.tar\.gz: HTTP status 404/);
    const noCreds = await buildWith(['--context', 's3://ctx-bucket/builds/ctx.tar.gz'], { env: { S3_ENDPOINT: s3, S3_FORCE_PATH_STYLE: 'true' } });
    expect(noCreds.stderr).toContain('no AWS credentials given');
    const badSub = await buildWith(['--context', `tar://${path.join(work, 'ctx.tar.gz')}`, '--context-sub-path', 'nope']);
    expect(badSub.stderr).toContain('using --context-sub-path "nope": no such directory in the build context');
    for (const r of [missing, noCreds, badSub]) expect(r.leftovers).toEqual([]);
  });
});
