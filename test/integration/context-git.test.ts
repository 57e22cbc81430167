// Git build contexts against a real `git http-backend` on loopback (Basic auth required):
// kaniko's git://host/repo.git#ref#commit syntax (GIT_PULL_METHOD=http here), https://….git,
// --git branch=/single-branch=/recurse-submodules=, GIT_USERNAME/GIT_PASSWORD and GIT_TOKEN,
// and credentials kept out of error messages.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../shared/log.ts';
import { fetchContext, type FetchContextOptions } from '../../executor/context/fetch-context.ts';
import type { GitOptions } from '../../executor/flag-values.ts';
import { git, startGitHttp, type Server } from '../e2e/context-servers.ts';

const USER = 'builder';
const PASS = 's3cret-pass';
let work = '';
let server: Server;
let first = '';
let featureHead = '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-ctx-git-'));
  const lib = join(work, 'lib');
  mkdirSync(lib);
  writeFileSync(join(lib, 'lib.txt'), 'from the submodule\n');
  git(lib, 'init', '-q');
  git(lib, 'add', '.');
  git(lib, 'commit', '-qm', 'lib');
  git(work, 'clone', '-q', '--bare', lib, join(work, 'srv', 'lib.git'));

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'which.txt'), 'first\n');
  git(app, 'init', '-q');
  git(app, 'add', '.');
  git(app, 'commit', '-qm', 'first');
  first = git(app, 'rev-parse', 'HEAD');
  writeFileSync(join(app, 'which.txt'), 'main\n');
  writeFileSync(join(app, 'Dockerfile'), 'FROM scratch\n');
  git(app, 'submodule', '-q', 'add', join(work, 'srv', 'lib.git'), 'lib');
  git(app, 'config', '-f', '.gitmodules', 'submodule.lib.url', '../lib.git'); // relative to the served app.git
  git(app, 'add', '.');
  git(app, 'commit', '-qm', 'main');
  git(app, 'tag', 'v1');
  git(app, 'checkout', '-qb', 'feature');
  writeFileSync(join(app, 'which.txt'), 'feature\n');
  git(app, 'commit', '-qam', 'feature');
  featureHead = git(app, 'rev-parse', 'HEAD');
  git(app, 'checkout', '-q', 'main');
  git(work, 'clone', '-q', '--bare', app, join(work, 'srv', 'app.git'));
  server = await startGitHttp(join(work, 'srv'), { username: USER, password: PASS });
});

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

const noGit: GitOptions = { singleBranch: false, recurseSubmodules: false, insecureSkipTls: false };
const creds = { GIT_PULL_METHOD: 'http', GIT_USERNAME: USER, GIT_PASSWORD: PASS, PATH: process.env.PATH };

async function fetchGit(url: string, o: { git?: Partial<GitOptions>; env?: NodeJS.ProcessEnv; subPath?: string } = {}): Promise<string> {
  const options: FetchContextOptions = {
    source: { kind: url.startsWith('git://') ? 'git' : 'http', url }, subPath: o.subPath ?? '', git: { ...noGit, ...o.git },
    env: o.env ?? creds, containerMode: false, kanikoDir: '/nonexistent', stdin: Readable.from([]), cwd: '/', logger: silentLogger,
  };
  const ctx = await fetchContext(options);
  onTestFinished(() => ctx.dispose());
  return ctx.dir;
}

const hostPath = (): string => `127.0.0.1:${server.port}`;
const read = (dir: string, f: string): string => readFileSync(join(dir, f), 'utf8');

describe('git contexts over smart HTTP', () => {
  it('clones HEAD of git://host/repo.git with GIT_USERNAME/GIT_PASSWORD, shallow, keeping .git', async () => {
    const dir = await fetchGit(`git://${hostPath()}/app.git`);
    expect(read(dir, 'which.txt')).toBe('main\n');
    expect(existsSync(join(dir, '.git'))).toBe(true);
    expect(existsSync(join(dir, 'lib', 'lib.txt'))).toBe(false); // submodules only when asked
    expect(git(dir, 'rev-list', '--count', 'HEAD')).toBe('1');
  });

  it('follows #refs/heads/branch, #tag and #ref#commit, and http(s)://….git URLs', async () => {
    expect(read(await fetchGit(`git://${hostPath()}/app.git#refs/heads/feature`), 'which.txt')).toBe('feature\n');
    expect(read(await fetchGit(`git://${hostPath()}/app.git#refs/tags/v1`), 'which.txt')).toBe('main\n');
    const old = await fetchGit(`git://${hostPath()}/app.git#refs/heads/main#${first}`);
    expect(read(old, 'which.txt')).toBe('first\n');
    expect(git(old, 'rev-parse', '--is-shallow-repository')).toBe('true'); // protocol v2 serves the commit by id
    expect(git(old, 'rev-parse', 'HEAD')).toBe(first);
    expect(read(await fetchGit(`${server.url}/app.git#${featureHead}`), 'which.txt')).toBe('feature\n');
  });

  it('takes --git branch= (a branch, else a tag), recurse-submodules= and --context-sub-path', async () => {
    expect(read(await fetchGit(`git://${hostPath()}/app.git`, { git: { branch: 'feature' } }), 'which.txt')).toBe('feature\n');
    expect(read(await fetchGit(`git://${hostPath()}/app.git`, { git: { branch: 'v1', singleBranch: true } }), 'which.txt')).toBe('main\n');
    const sub = await fetchGit(`git://${hostPath()}/app.git`, { git: { recurseSubmodules: true }, subPath: 'lib' });
    expect(read(sub, 'lib.txt')).toBe('from the submodule\n');
    await expect(fetchGit(`git://${hostPath()}/app.git`, { git: { branch: 'nope' } })).rejects.toMatchObject({ code: 'E_CONTEXT', message: expect.stringContaining('no branch or tag "nope"') });
  });

  it('uses GIT_TOKEN as the user name (kaniko), and never shows credentials in errors', async () => {
    const tokenServer = await startGitHttp(join(work, 'srv'), { username: 'tok-123', password: '' });
    onTestFinished(() => tokenServer.stop());
    const dir = await fetchGit(`git://127.0.0.1:${tokenServer.port}/app.git`, { env: { GIT_PULL_METHOD: 'http', GIT_TOKEN: 'tok-123', PATH: process.env.PATH } });
    expect(read(dir, 'which.txt')).toBe('main\n');

    const bad = await fetchGit(`http://someone:url-pass@${hostPath()}/app.git`, { env: { GIT_USERNAME: USER, GIT_PASSWORD: 'wrong-pass', PATH: process.env.PATH } }).then(() => new Error("cloned"), (e: unknown) => e as Error);
    expect(bad).toMatchObject({ code: 'E_CONTEXT' });
    expect(bad.message).toMatch(/^cloning the git context http:\/\/\*\*\*@127\.0\.0\.1:\d+\/app\.git: git fetch: /);
    expect(bad.message).not.toMatch(/wrong-pass|url-pass|s3cret/);
    expect(JSON.stringify(bad)).not.toMatch(/wrong-pass|url-pass/);
    await expect(fetchGit(`git://${hostPath()}/missing.git`)).rejects.toMatchObject({ code: 'E_CONTEXT' });
  });

  it('falls back to the history when the server will not serve an unadvertised commit (protocol v0)', async () => {
    const v0 = await startGitHttp(join(work, 'srv'), { username: USER, password: PASS }, undefined, { v0: true });
    onTestFinished(() => v0.stop());
    const at = `git://127.0.0.1:${v0.port}/app.git`;
    const viaRef = await fetchGit(`${at}#refs/heads/main#${first}`, { git: { singleBranch: true } });
    expect(read(viaRef, 'which.txt')).toBe('first\n');
    expect(git(viaRef, 'rev-parse', '--is-shallow-repository')).toBe('false'); // the fallback fetched history
    expect(read(await fetchGit(`${at}##${first}`, { git: { singleBranch: true } }), 'which.txt')).toBe('first\n');
    expect(read(await fetchGit(`${at}#${featureHead}`), 'which.txt')).toBe('feature\n'); // a tip: served by id
  });
});
