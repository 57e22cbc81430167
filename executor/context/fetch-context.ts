// The build context by kind (kaniko's GetBuildContext): a local directory is used in place;
// every other kind is fetched into a fresh directory (`<kaniko dir>/buildcontext` in the
// container mode, as kaniko, a temporary directory on a host), --context-sub-path is resolved
// inside it, and dispose() removes it after the build. The directory is on the ignore list
// (DESIGN.md §3): never snapshotted, never deleted by a step.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { KilnError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import type { ContextSource, GitOptions } from '../flag-values.ts';
import { resolveDir } from '../root/safe-path.ts';
import { cleanRel, hostPath } from '../root/workspace.ts';
import { fetchAzureContext } from './azure.ts';
import { fetchGcsContext } from './gcs.ts';
import { fetchGitContext, isGitUrl } from './git.ts';
import { fetchHttpsContext } from './https.ts';
import { fetchS3Context } from './s3.ts';
import { fetchTarContext } from './tar.ts';

/** kaniko's Azure Blob hosts (public, China, Germany, US Government clouds). */
const AZURE_HOSTS = /^https:\/\/[^/]+?\.blob\.core\.(windows\.net|chinacloudapi\.cn|cloudapi\.de|usgovcloudapi\.net)\/./i;

export function isAzureBlobUrl(url: string): boolean {
  return AZURE_HOSTS.test(url);
}

export interface FetchContextOptions {
  source: ContextSource;
  /** --context-sub-path ('' for none); already applied by the options for a directory. */
  subPath: string;
  git: GitOptions;
  env: NodeJS.ProcessEnv;
  /** True when the build root is "/": the context goes under the kaniko dir. */
  containerMode: boolean;
  kanikoDir: string;
  stdin: Readable & { isTTY?: boolean };
  cwd: string;
  logger: Logger;
}

export interface FetchedContext {
  /** Absolute directory holding the context (sub path applied). */
  readonly dir: string;
  /** Remove what was fetched (nothing for a local directory). */
  dispose(): Promise<void>;
}

type Fetcher = (url: string, dir: string, o: FetchContextOptions) => Promise<void>;

export type RemoteKind = 'tar' | 'git' | 'https' | 's3' | 'gs' | 'azure';

/** Which fetcher serves a remote --context value (kaniko: Azure by host name, git by `.git`). */
export function remoteKind(source: Exclude<ContextSource, { kind: 'dir' }>): RemoteKind {
  if (source.kind === 'https' || source.kind === 'http') {
    if (isAzureBlobUrl(source.url)) return 'azure';
    return isGitUrl(source.url) ? 'git' : 'https';
  }
  return source.kind;
}

const FETCHERS: Record<RemoteKind, Fetcher> = {
  tar: (url, dir, o) => fetchTarContext(url, dir, o),
  git: (url, dir, o) => fetchGitContext(url, dir, o),
  https: (url, dir, o) => fetchHttpsContext(url, dir, o),
  s3: (url, dir, o) => fetchS3Context(url, dir, o),
  azure: (url, dir, o) => fetchAzureContext(url, dir, o),
  gs: (url, dir, o) => fetchGcsContext(url, dir, o),
};

export async function fetchContext(o: FetchContextOptions): Promise<FetchedContext> {
  const source = o.source;
  if (source.kind === 'dir') return { dir: source.path, dispose: async () => undefined };
  const fetcher = FETCHERS[remoteKind(source)];
  const dir = await contextDir(o);
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await fetcher(source.url, dir, o);
    return { dir: applySubPath(dir, o.subPath), dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

async function contextDir(o: FetchContextOptions): Promise<string> {
  if (!o.containerMode) return await mkdtemp(join(tmpdir(), 'kiln-context-'));
  const dir = join(o.kanikoDir, 'buildcontext');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o750 });
  return dir;
}

/** The sub path resolved inside the fetched directory: links in the archive cannot lead out. */
export function applySubPath(dir: string, subPath: string): string {
  if (subPath === '') return dir;
  const rel = cleanRel(subPath);
  const what = `using --context-sub-path "${subPath}"`;
  const r = rel === undefined ? undefined : resolveDir(dir, rel, { what });
  if (r?.kind !== 'dir') {
    throw new KilnError('E_CONTEXT', `${what}: no such directory in the build context`, {
      hint: 'give a directory path relative to the top of the fetched context',
    });
  }
  return hostPath(dir, r.rel);
}
