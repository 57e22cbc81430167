// ADD beyond COPY, end to end: local archives extracted (gzip, xz; kept with --unpack=false),
// a URL from a loopback node:http server (good and bad --checksum, Last-Modified, 0600, an
// HTTP error), git sources from a loopback `git daemon` (ref and subdir, --keep-git-dir) and a
// heredoc source. Checked in the OCI layout and the tree umoci unpacks.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, testEnv, type TestEnv } from '../helpers/testenv.ts';
import { fixtures, sh, tempDir } from './build-support.ts';
import { startGitHttp, type Server } from './context-servers.ts';
import { buildContext, lastHistory, readLayout, unpackLayout } from './run-mount-support.ts';

const BODY = 'downloaded over http\n';
const LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT';
let env: TestEnv;
let server: http.Server;
let base = '';
let daemon: ChildProcess | undefined;
let gitUrl = '';
let gitDir = '';
let gitHttp: Server | undefined;

beforeAll(async () => {
  env = testEnv();
  server = http.createServer((req, res) => {
    if (req.url === '/private/tool.txt') {
      const ok = req.headers.authorization === `Basic ${Buffer.from('user:pa:ss').toString('base64')}`;
      res.writeHead(ok ? 200 : 401);
      res.end(ok ? 'private\n' : 'no');
    } else if (req.url === '/files/tool.txt') {
      res.writeHead(200, { 'last-modified': LAST_MODIFIED, 'content-type': 'text/plain' });
      res.end(BODY);
    } else {
      res.writeHead(404);
      res.end('no');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  gitUrl = await startGitDaemon();
  gitHttp = await startGitHttp(gitDir, { username: 'u', password: 'git-s3cret' });
});

afterAll(async () => {
  daemon?.kill('SIGTERM');
  await gitHttp?.stop();
  if (gitDir !== '') rmSync(gitDir, { recursive: true, force: true });
  await new Promise<void>((r) => server.close(() => r()));
});

async function startGitDaemon(): Promise<string> {
  const dir = path.join(tempDirOutsideTest(), 'git');
  const work = path.join(dir, 'work');
  mkdirSync(path.join(work, 'sub'), { recursive: true });
  writeFileSync(path.join(work, 'sub/readme.txt'), 'from git\n');
  writeFileSync(path.join(work, 'root.txt'), 'root of the repo\n');
  const git = (args: string[], cwd: string): string => sh('git', ['-C', cwd, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', ...args]);
  git(['init', '-q'], work);
  git(['add', '.'], work);
  git(['commit', '-qm', 'one'], work);
  sh('git', ['clone', '-q', '--bare', work, path.join(dir, 'repo.git')]);
  const port = await freePort();
  daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${dir}`, '--listen=127.0.0.1', `--port=${port}`, dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((r) => net.connect(port, '127.0.0.1').on('connect', function (this: net.Socket) { this.destroy(); r(true); }).on('error', () => r(false)));
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return `git://127.0.0.1:${port}/repo.git#main:sub`;
}

function tempDirOutsideTest(): string {
  gitDir = mkdtempSync(path.join(os.tmpdir(), 'kiln-add-e2e-'));
  return gitDir;
}

function context(): string {
  const ctx = path.join(tempDir(), 'ctx');
  cpSync(path.join(fixtures, 'add-sources'), ctx, { recursive: true });
  const payload = path.join(tempDir(), 'payload');
  mkdirSync(path.join(payload, 'app/bin'), { recursive: true });
  writeFileSync(path.join(payload, 'app/bin/run'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  sh('tar', ['-czf', path.join(ctx, 'app.tar.gz'), '--owner=1000', '--group=1000', '--numeric-owner', '-C', payload, 'app']);
  sh('tar', ['-cJf', path.join(ctx, 'app.tar.xz'), '-C', payload, 'app']);
  return ctx;
}

const common = (out: string, file: string): string[] => [
  '--dockerfile', file, '--build-arg', `BASE=${env.images.busybox.v2s2}`, '--build-arg', `URL=${base}/files/tool.txt`,
  '--no-push', '--insecure-pull', '--oci-layout-path', out,
];

describe('ADD', () => {
  it('extracts local archives, downloads URLs with --checksum, checks out git sources, copies heredocs', async () => {
    const ctx = context();
    const out = path.join(tempDir(), 'oci');
    const sum = createHash('sha256').update(BODY).digest('hex');
    const r = await buildContext(ctx, [...common(out, 'Dockerfile'), '--build-arg', `SUM=sha256:${sum}`, '--build-arg', `GIT=${gitUrl}`, '--build-arg', `PRIVATE=${base.replace('http://', 'http://user:pa%3Ass@')}/private/tool.txt`,
      '--build-arg', `GITHTTP=${gitHttp!.url.replace('http://', 'http://u:git-s3cret@')}/git/repo.git#main:sub`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('pa%3Ass');
    const rootfs = unpackLayout(out, tempDir());
    const at = (p: string): string => path.join(rootfs, p);
    // archives: extracted with their owners and modes; --unpack=false keeps the file
    expect(readFileSync(at('opt/app/bin/run'), 'utf8')).toBe('#!/bin/sh\necho run\n');
    expect([statSync(at('opt/app/bin/run')).uid, statSync(at('opt/app/bin/run')).mode & 0o777]).toEqual([1000, 0o755]);
    expect(readFileSync(at('opt/xz/app/bin/run'), 'utf8')).toContain('echo run');
    expect(existsSync(at('kept/app.tar.gz'))).toBe(true);
    // URL: named from the path (or the destination), mode 0600, mtime from Last-Modified
    for (const p of ['downloads/tool.txt', 'downloads/named.txt']) {
      expect(readFileSync(at(p), 'utf8')).toBe(BODY);
      const st = statSync(at(p));
      expect([st.mode & 0o777, st.mtime.toISOString()]).toEqual([0o600, new Date(LAST_MODIFIED).toISOString()]);
    }
    // git: the subdir of the ref; .git removed unless --keep-git-dir
    expect(readFileSync(at('src/readme.txt'), 'utf8')).toBe('from git\n');
    expect(existsSync(at('src/.git'))).toBe(false);
    expect(existsSync(at('src/root.txt'))).toBe(false);
    expect(readFileSync(at('src-git/readme.txt'), 'utf8')).toBe('from git\n');
    expect(readFileSync(at('from-heredoc.txt'), 'utf8')).toBe('added by heredoc\n');
    // git over smart HTTP with credentials: they reach the server, not .git/config or the history
    expect(readFileSync(at('src-http/readme.txt'), 'utf8')).toBe('from git\n');
    expect(gitHttp!.requests.some((q) => q.headers.authorization !== undefined)).toBe(true);
    expect(readFileSync(at('downloads/private.txt'), 'utf8')).toBe('private\n');
    const img = readLayout(out);
    expect(img.rawConfig).not.toContain('pa%3Ass');
    expect(img.rawConfig).not.toContain('git-s3cret');
    for (const l of img.layers) expect(l.bytes.includes('git-s3cret')).toBe(false);
    expect(img.rawConfig).toContain('ADD http://***@127.0.0.1:');
    expect(lastHistory(img, 1)).toEqual(['ADD <<EOF /from-heredoc.txt # buildkit']);
  });

  it('fails on a checksum mismatch (URL or git commit) and on an HTTP error, naming the URL and the status', async () => {
    const ctx = context();
    const bad = await buildContext(ctx, common(path.join(tempDir(), 'oci'), 'Dockerfile.bad'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/checksum of http:\/\/127\.0\.0\.1:\d+\/files\/tool\.txt does not match: expected sha256:0{64}, got sha256:[0-9a-f]{64}/);
    const missing = await buildContext(ctx, [...common(path.join(tempDir(), 'oci'), 'Dockerfile.missing'), '--build-arg', `URL=${base}/nothing/here.txt`]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/downloading http:\/\/127\.0\.0\.1:\d+\/nothing\/here\.txt: HTTP status 404/);
    const denied = await buildContext(ctx, [...common(path.join(tempDir(), 'oci'), 'Dockerfile.missing'), '--build-arg', `URL=${base.replace('http://', 'http://user:wrong-pw@')}/private/tool.txt`]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/downloading http:\/\/\*\*\*@127\.0\.0\.1:\d+\/private\/tool\.txt: HTTP status 401/);
    expect(denied.stderr.split('\n').filter((l) => !l.includes('build-arg') && l.includes('wrong-pw'))).toEqual([]);
    const gitsum = await buildContext(ctx, [...common(path.join(tempDir(), 'oci'), 'Dockerfile.gitsum'), '--build-arg', `GIT=${gitUrl}`]);
    expect(gitsum.code).not.toBe(0);
    expect(gitsum.stderr).toMatch(/git:\/\/127\.0\.0\.1:\d+\/repo\.git#main is commit [0-9a-f]{40}, not the --checksum 0123456789abcdef0123456789abcdef01234567/);
  });
});
