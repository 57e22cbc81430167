// Git contexts, kaniko's syntax: `git://host/org/repo.git#refs/heads/branch#commit` is fetched
// over https (or http: GIT_PULL_METHOD=http), `https://host/org/repo.git#ref#commit` as given.
// --git branch=, single-branch=, recurse-submodules=, insecure-skip-tls= keep kaniko's meaning.
// The `git` program does the work: a shallow fetch of the one ref, the commit checked out, the
// .git directory kept (kaniko keeps it). Credentials (GIT_USERNAME/GIT_PASSWORD, or GIT_TOKEN
// as the user name, as kaniko) go to git as an http.<origin>.extraHeader through GIT_CONFIG_*
// variables: never on a command line, in a log line or in an error message.
import { KilnError, redactUrl } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import type { GitOptions } from '../flag-values.ts';
import { runGit } from '../run-git.ts';

export interface GitContextSpec {
  /** The URL git fetches from. */
  remote: string;
  /** A ref (`refs/heads/main`, `refs/pull/1/head`, a branch name) or a commit; undefined: HEAD. */
  ref?: string;
  /** A commit to check out after fetching the ref. */
  commit?: string;
}

const HASH = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;

/** `git://…#ref#commit` or `http(s)://….git#ref#commit` → what to fetch. */
export function parseGitContext(url: string, env: NodeJS.ProcessEnv): GitContextSpec {
  const [head = '', ref = '', commit = ''] = url.split('#');
  let remote = head;
  if (/^git:\/\//i.test(head)) {
    const method = env.GIT_PULL_METHOD === 'http' ? 'http' : 'https';
    remote = `${method}://${head.slice('git://'.length)}`;
  }
  return { remote, ...(ref !== '' ? { ref } : {}), ...(commit !== '' ? { commit } : {}) };
}

/** An https:// or http:// context that names a git repository (its path ends in .git). */
export function isGitUrl(url: string): boolean {
  return /^https?:\/\/[^#]+\.git\/?(#.*)?$/i.test(url);
}

export interface GitContextOptions {
  git: GitOptions;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

export async function fetchGitContext(url: string, dir: string, o: GitContextOptions): Promise<void> {
  const spec = parseGitContext(url, o.env);
  const shown = redactUrl(spec.remote);
  const git = gitRunner(dir, spec.remote, o);
  await git(['init', '-q']);
  await git(['remote', 'add', 'origin', spec.remote]);
  const ref = o.git.branch !== undefined && o.git.branch !== '' ? await branchRef(git, o.git.branch, shown) : (spec.ref ?? 'HEAD');
  const target = spec.commit ?? (HASH.test(ref) ? ref : undefined);
  o.logger.info(`Cloning the git context ${shown}${ref !== 'HEAD' ? ` at ${ref}` : ''}${spec.commit !== undefined ? `, commit ${spec.commit}` : ''}`);
  if (target === undefined) {
    await git(['fetch', '-q', '--depth=1', '--no-tags', 'origin', ref]);
    const branch = /^refs\/heads\/(.+)$/.exec(ref)?.[1] ?? (ref.startsWith('refs/') || ref === 'HEAD' ? undefined : ref);
    await git(['checkout', '-q', ...(branch !== undefined ? ['-B', branch] : ['--detach']), 'FETCH_HEAD']);
  } else {
    await fetchCommit(git, { ref: HASH.test(ref) ? undefined : ref, commit: target, singleBranch: o.git.singleBranch });
    await git(['checkout', '-q', '--detach', target]);
  }
  if (o.git.recurseSubmodules) {
    await git(['submodule', 'update', '-q', '--init', '--recursive', '--depth=1']).catch(() => git(['submodule', 'update', '-q', '--init', '--recursive']));
  }
  o.logger.debug(`git context at commit ${(await git(['rev-parse', 'HEAD'])).trim()}`);
}

type Git = (args: string[]) => Promise<string>;

/** kaniko's --git branch=: a branch, else a tag of that name on the remote. */
async function branchRef(git: Git, branch: string, shown: string): Promise<string> {
  const refs = new Set((await git(['ls-remote', '--heads', '--tags', 'origin'])).split('\n').map((l) => l.split('\t')[1]));
  for (const ref of [`refs/heads/${branch}`, `refs/tags/${branch}`]) if (refs.has(ref)) return ref;
  throw new KilnError('E_CONTEXT', `cloning the git context ${shown}: no branch or tag "${branch}"`, { hint: 'check --git branch=' });
}

/**
 * The commit, shallow when the server serves it by id; else the history of the ref (or of all
 * branches unless single-branch=true), where the commit must be.
 */
async function fetchCommit(git: Git, o: { ref: string | undefined; commit: string; singleBranch: boolean }): Promise<void> {
  try {
    await git(['fetch', '-q', '--depth=1', '--no-tags', 'origin', o.commit]);
    return;
  } catch {
    // servers that do not allow fetching an unadvertised commit
  }
  if (o.ref !== undefined) await git(['fetch', '-q', '--no-tags', 'origin', o.ref]);
  if (o.ref === undefined || !o.singleBranch) await git(['fetch', '-q', '--no-tags', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
}

function gitRunner(dir: string, remote: string, o: GitContextOptions): Git {
  const env = gitEnv(remote, o);
  return (args) =>
    runGit(args, {
      cwd: dir,
      env,
      what: `cloning the git context ${redactUrl(remote)}: git ${args[0]}`,
      code: 'E_CONTEXT',
      missingHint: 'git contexts need the git program on PATH',
      failedHint: 'check the repository URL, the ref and the credentials (GIT_USERNAME/GIT_PASSWORD or GIT_TOKEN)',
    });
}

/** The environment git runs with: config through GIT_CONFIG_* (credentials stay off argv). */
export function gitEnv(remote: string, o: Pick<GitContextOptions, 'env' | 'git'>): NodeJS.ProcessEnv {
  const e = o.env;
  const config: [string, string][] = [['advice.detachedHead', 'false'], ['init.defaultBranch', 'main']];
  const auth = basicAuth(e);
  if (auth !== undefined) config.push([`http.${originOf(remote)}/.extraHeader`, `Authorization: Basic ${auth}`]);
  if (o.git.insecureSkipTls) config.push(['http.sslVerify', 'false']);
  const pass = ['PATH', 'HOME', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH', 'GIT_SSH_COMMAND', 'SSH_AUTH_SOCK'];
  const out: NodeJS.ProcessEnv = Object.fromEntries(pass.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]));
  out.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  // git's libcurl (GnuTLS on Debian) ignores OpenSSL's variables: hand the same CAs over
  if (e.SSL_CERT_FILE && !e.GIT_SSL_CAINFO) out.GIT_SSL_CAINFO = e.SSL_CERT_FILE;
  if (e.SSL_CERT_DIR && !e.GIT_SSL_CAPATH && !e.SSL_CERT_DIR.includes(':')) out.GIT_SSL_CAPATH = e.SSL_CERT_DIR;
  out.GIT_TERMINAL_PROMPT = '0';
  out.GIT_CONFIG_NOSYSTEM = '1';
  out.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([k, v], i) => {
    out[`GIT_CONFIG_KEY_${i}`] = k;
    out[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return out;
}

/** kaniko: GIT_TOKEN is the user name with an empty password; else GIT_USERNAME/GIT_PASSWORD. */
function basicAuth(e: NodeJS.ProcessEnv): string | undefined {
  const token = e.GIT_TOKEN ?? '';
  const [user, password] = token !== '' ? [token, ''] : [e.GIT_USERNAME ?? '', e.GIT_PASSWORD ?? ''];
  if (user === '' && password === '') return undefined;
  return Buffer.from(`${user}:${password}`).toString('base64');
}

function originOf(remote: string): string {
  try {
    const u = new URL(remote);
    return `${u.protocol}//${u.host}`;
  } catch {
    return remote;
  }
}
