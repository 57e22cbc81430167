// Remote tarball contexts over loopback HTTP and HTTPS (the test environment's CA-signed
// certificate): CA bundles from SSL_CERT_FILE / NODE_EXTRA_CA_CERTS, redirects, a download cut
// short, a large context unpacked with flat memory; and a git context over HTTPS with
// --git insecure-skip-tls=true.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { fetchContext } from '../../executor/context/fetch-context.ts';
import type { ContextSource, GitOptions } from '../../executor/flag-values.ts';
import { silentLogger } from '../../shared/log.ts';
import { testEnv, type TestEnv } from '../helpers/testenv.ts';
import { git, listen, startGitHttp, type Server } from '../e2e/context-servers.ts';
import { tarGz } from './context-support.ts';

const BIG = 256 * 1024 * 1024;
let env: TestEnv;
let work = '';
let small: Buffer;
let plain: Server;
let secure: Server;

/** A gzipped tar holding one file of `size` zero bytes, produced as it is sent. */
function bigArchive(size: number): Readable {
  const pack = tarStream.pack();
  const entry = pack.entry({ name: 'big.bin', size, mode: 0o644 }, (e) => (e ? pack.destroy(e) : pack.finalize()));
  const chunk = Buffer.alloc(1024 * 1024);
  let left = size;
  const write = (): void => {
    while (left > 0) {
      left -= chunk.length;
      if (!entry.write(chunk)) return void entry.once('drain', write);
    }
    entry.end(() => undefined);
  };
  write();
  return pack.pipe(createGzip({ level: 1 }));
}

beforeAll(async () => {
  env = testEnv();
  work = mkdtempSync(join(tmpdir(), 'kiln-ctx-https-'));
  small = await tarGz({ 'Dockerfile': 'FROM scratch\n', 'hello.txt': 'over the network\n' });
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
    if (req.url === '/ctx.tar.gz') return void res.writeHead(200, { 'content-length': small.length }).end(small);
    if (req.url === '/auth.tar.gz') {
      if (req.headers.authorization !== `Basic ${Buffer.from('ci:tar-pass').toString('base64')}`) return void res.writeHead(401).end();
      return void res.writeHead(200).end(small);
    }
    if (req.url === '/moved') return void res.writeHead(302, { location: '/ctx.tar.gz' }).end();
    if (req.url === '/cut.tar.gz') {
      res.writeHead(200, { 'content-length': small.length * 4 });
      res.write(small);
      return void setTimeout(() => res.destroy(), 50);
    }
    if (req.url === '/big.tar.gz') return void bigArchive(BIG).pipe(res);
    res.writeHead(404).end('no such file');
  };
  plain = await listen(handler);
  secure = await listen(handler, { cert: readFileSync(env.pki.serverCertFile, 'utf8'), key: readFileSync(env.pki.serverKeyFile, 'utf8') });
});

afterAll(async () => {
  await plain?.stop();
  await secure?.stop();
  rmSync(work, { recursive: true, force: true });
});

const noGit: GitOptions = { singleBranch: false, recurseSubmodules: false, insecureSkipTls: false };

async function fetchUrl(url: string, o: { env?: NodeJS.ProcessEnv; git?: Partial<GitOptions> } = {}): Promise<string> {
  const source: ContextSource = { kind: url.startsWith('https') ? 'https' : 'http', url };
  const ctx = await fetchContext({
    source, subPath: '', git: { ...noGit, ...o.git }, env: { PATH: process.env.PATH, ...o.env },
    containerMode: false, kanikoDir: '/nonexistent', stdin: Readable.from([]), cwd: '/', logger: silentLogger,
  });
  onTestFinished(() => ctx.dispose());
  return ctx.dir;
}

describe('remote tarball contexts', () => {
  it('verifies TLS with the CA from SSL_CERT_FILE, SSL_CERT_DIR or NODE_EXTRA_CA_CERTS, and refuses an unknown CA', async () => {
    expect(readFileSync(join(await fetchUrl(`${secure.url}/ctx.tar.gz`, { env: { SSL_CERT_FILE: env.pki.caFile } }), 'hello.txt'), 'utf8')).toBe('over the network\n');
    expect(readFileSync(join(await fetchUrl(`${secure.url}/ctx.tar.gz`, { env: { NODE_EXTRA_CA_CERTS: env.pki.caFile } }), 'hello.txt'), 'utf8')).toBe('over the network\n');
    const certDir = join(work, 'certs');
    mkdirSync(certDir, { recursive: true });
    copyFileSync(env.pki.caFile, join(certDir, 'test-ca.crt'));
    expect(readFileSync(join(await fetchUrl(`${secure.url}/ctx.tar.gz`, { env: { SSL_CERT_DIR: `/nonexistent:${certDir}` } }), 'hello.txt'), 'utf8')).toBe('over the network\n');
    await expect(fetchUrl(`${secure.url}/ctx.tar.gz`)).rejects.toMatchObject({ code: 'E_CONTEXT', message: expect.stringMatching(/certificate/i) });
  });

  it('sends user info from the URL as Basic auth (as Go does), never showing it', async () => {
    const at = (pass: string): string => `${plain.url.replace('://', `://ci:${pass}@`)}/auth.tar.gz`;
    expect(readFileSync(join(await fetchUrl(at('tar-pass')), 'hello.txt'), 'utf8')).toBe('over the network\n');
    const denied = await fetchUrl(at('bad-pass')).then(() => new Error('fetched'), (e: unknown) => e as Error);
    expect(denied.message).toMatch(/^fetching the build context http:\/\/\*\*\*@127\.0\.0\.1:\d+\/auth\.tar\.gz: HTTP status 401/);
    expect(denied.message).not.toContain('bad-pass');
  });

  it('follows redirects, and fails on a 404 or a download cut short', async () => {
    expect(readFileSync(join(await fetchUrl(`${plain.url}/moved`), 'hello.txt'), 'utf8')).toBe('over the network\n');
    await expect(fetchUrl(`${plain.url}/missing.tgz`)).rejects.toMatchObject({ code: 'E_CONTEXT', message: expect.stringContaining('HTTP status 404') });
    await expect(fetchUrl(`${plain.url}/cut.tar.gz`)).rejects.toMatchObject({ code: 'E_CONTEXT', message: expect.stringMatching(/^unpacking the build context http:\/\/127\.0\.0\.1:\d+\/cut\.tar\.gz: reading it failed: /) });
  });

  it(`unpacks a ${BIG >> 20} MiB context as a stream: memory stays flat`, async () => {
    let peak = 0;
    const base = process.memoryUsage().rss;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss - base)), 20);
    try {
      const dir = await fetchUrl(`${plain.url}/big.tar.gz`);
      expect(statSync(join(dir, 'big.bin')).size).toBe(BIG);
    } finally {
      clearInterval(timer);
    }
    expect(peak).toBeLessThan(BIG / 2);
  });
});

describe('git over HTTPS', () => {
  it('needs the CA, or --git insecure-skip-tls=true', async () => {
    const repo = join(work, 'repo');
    git(work, 'init', '-q', repo);
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'empty');
    git(work, 'clone', '-q', '--bare', repo, join(work, 'srv', 'r.git'));
    const server = await startGitHttp(join(work, 'srv'), undefined, { cert: readFileSync(env.pki.serverCertFile, 'utf8'), key: readFileSync(env.pki.serverKeyFile, 'utf8') });
    onTestFinished(() => server.stop());
    await expect(fetchUrl(`${server.url}/r.git`)).rejects.toMatchObject({ code: 'E_CONTEXT', message: expect.stringMatching(/certificate|SSL/i) });
    expect(git(await fetchUrl(`${server.url}/r.git`, { git: { insecureSkipTls: true } }), 'log', '--format=%s')).toBe('empty');
    expect(git(await fetchUrl(`${server.url}/r.git`, { env: { GIT_SSL_CAINFO: env.pki.caFile } }), 'log', '--format=%s')).toBe('empty');
    expect(git(await fetchUrl(`${server.url}/r.git`, { env: { SSL_CERT_FILE: env.pki.caFile } }), 'log', '--format=%s')).toBe('empty');
  });
});
