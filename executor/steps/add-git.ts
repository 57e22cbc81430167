// ADD of a git repository (`https://host/repo.git#ref:subdir`, `git@host:repo.git#ref`,
// `git://…`, `ssh://…`): a shallow fetch of the ref (default HEAD) with the `git` program into
// a private temporary directory, checked out, `.git` removed unless --keep-git-dir. A
// --checksum names the commit the ref must resolve to.
import { lstat, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { KilnError, redactUrl } from '../../shared/errors.ts';
import { splitCredentials } from '../context/http-get.ts';
import { runGit } from '../run-git.ts';
import { inTempDir } from './temp-dir.ts';

export interface GitSource {
  remote: string;
  ref?: string;
  subdir?: string;
}

/** BuildKit's test for a git source in ADD. */
export function isGitSource(src: string): boolean {
  if (src.startsWith('git@') || /^(git|ssh):\/\//i.test(src)) return true;
  if (!/^https?:\/\//i.test(src)) return false;
  const path = src.split('#')[0] as string;
  return /\.git\/?$/.test(path);
}

export function parseGitSource(src: string): GitSource {
  const hash = src.indexOf('#');
  if (hash < 0) return { remote: src };
  const remote = src.slice(0, hash);
  const fragment = src.slice(hash + 1);
  const colon = fragment.indexOf(':');
  const ref = colon < 0 ? fragment : fragment.slice(0, colon);
  const subdir = colon < 0 ? '' : fragment.slice(colon + 1);
  return { remote, ...(ref !== '' ? { ref } : {}), ...(subdir !== '' ? { subdir } : {}) };
}

export interface Checkout {
  /** Host path of what to copy (the subdir when one was given). */
  host: string;
  dispose(): Promise<void>;
}

export async function gitCheckout(src: GitSource, options: { keepGitDir: boolean; checksum?: string; what: string }): Promise<Checkout> {
  const shown = redactUrl(src.remote);
  // Credentials in an https URL go to git as an extra header through the environment: never in
  // a command line (ps) nor in .git/config (--keep-git-dir would put that in the image).
  const { target: remote, authorization } = /^https?:/i.test(src.remote) ? splitCredentials(src.remote) : { target: src.remote, authorization: undefined };
  const extra: Record<string, string> = authorization !== undefined ? { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: ${authorization}` } : {};
  return inTempDir('kiln-git-', async (dir) => {
    const repo = join(dir, 'repo');
    const git = (args: string[]): Promise<string> => runStepGit(args, { cwd: repo, what: `${options.what}: git ${args[0]} ${shown}`, env: extra });
    await runStepGit(['init', '-q', repo], { cwd: dir, what: `${options.what}: git init` });
    await git(['remote', 'add', 'origin', remote]);
    const ref = src.ref ?? 'HEAD';
    try {
      await git(['fetch', '-q', '--depth=1', '--no-tags', 'origin', ref]);
    } catch (e) {
      if (!/^[0-9a-f]{7,40}$/.test(ref)) throw e;
      await git(['fetch', '-q', '--no-tags', 'origin']); // a commit the server will not serve shallow
    }
    await git(['checkout', '-q', '--detach', /^[0-9a-f]{7,40}$/.test(ref) ? ref : 'FETCH_HEAD']);
    await git(['submodule', 'update', '--init', '--recursive', '--depth=1', '-q']);
    const commit = (await git(['rev-parse', 'HEAD'])).trim();
    if (options.checksum !== undefined && !commit.startsWith(options.checksum.replace(/^sha1:/, ''))) {
      throw new KilnError('E_DIGEST_MISMATCH', `${options.what}: ${shown}#${ref} is commit ${commit}, not the --checksum ${options.checksum}`);
    }
    if (!options.keepGitDir) await rm(join(repo, '.git'), { recursive: true, force: true });
    const host = src.subdir !== undefined ? join(repo, posix.normalize('/' + src.subdir)) : repo;
    if ((await lstat(host).catch(() => undefined))?.isDirectory() !== true) {
      throw new KilnError('E_STEP', `${options.what}: ${shown}: "${src.subdir ?? ''}" is not a directory in the repository`);
    }
    return { host };
  });
}

function runStepGit(args: string[], o: { cwd: string; what: string; env?: Record<string, string> }): Promise<string> {
  return runGit(args, {
    cwd: o.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', ...(process.env.SSH_AUTH_SOCK ? { SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK } : {}), ...o.env },
    what: o.what,
    code: 'E_STEP',
    missingHint: 'ADD of a git repository needs the git program',
  });
}
