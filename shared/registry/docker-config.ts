// config.json (docker CLI) and auth.json (podman/skopeo, REGISTRY_AUTH_FILE): parsing and
// key matching. Keys are hostnames (`reg:5000`), URLs (`https://index.docker.io/v1/`) or,
// in auth.json, repository prefixes (`reg/team/app`), the most specific of which wins.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors.ts';

export type Credential =
  | { username: string; password: string }
  | { identityToken: string; username?: string }
  | { registryToken: string };

export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface AuthFile {
  path: string;
  auths: Record<string, AuthEntry>;
  credHelpers: Record<string, string>;
  credsStore?: string;
}

export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set(['index.docker.io', 'docker.io', 'registry-1.docker.io']);

export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_HOSTS.has(registry);
}

/** The path of config.json: --docker-config dir, DOCKER_CONFIG (a dir, or a file), ~/.docker. */
export async function dockerConfigPath(dir: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const base = dir ?? env['DOCKER_CONFIG'] ?? (env['HOME'] === undefined ? undefined : join(env['HOME'], '.docker'));
  if (base === undefined) return undefined;
  const st = await stat(base).catch(() => undefined);
  if (st?.isFile() === true) return base;
  return join(base, 'config.json');
}

/** Read a config.json / auth.json; undefined when the file does not exist. */
export async function readAuthFile(path: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new KilnError('E_REGISTRY_AUTH', `reading ${path}: ${(e as NodeJS.ErrnoException).code ?? 'failed'}`, { cause: e });
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new KilnError('E_REGISTRY_AUTH', `reading ${path}: not valid JSON`, { hint: 'fix or remove the file' });
  }
  const obj = (v: unknown): Record<string, never> => (typeof v === 'object' && v !== null ? (v as Record<string, never>) : {});
  const store = raw['credsStore'];
  return {
    path,
    auths: obj(raw['auths']) as Record<string, AuthEntry>,
    credHelpers: obj(raw['credHelpers']) as Record<string, string>,
    ...(typeof store === 'string' && store !== '' ? { credsStore: store } : {}),
  };
}

/** `https://reg:5000/v1/` → `reg:5000` (docker's ConvertToHostname). */
export function hostOfKey(key: string): string {
  const noScheme = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  return noScheme.split('/')[0] ?? noScheme;
}

/** Normalise a host so that every Docker Hub spelling compares equal. */
export function canonicalHost(host: string): string {
  return isDockerHub(host) ? 'index.docker.io' : host.toLowerCase();
}

/**
 * The key of `map` that applies to registry/repository: a scheme-less key with a path
 * (`reg/team`) matches repositories under it, the longest such key wins; otherwise any key
 * whose hostname is the registry's.
 */
export function matchKey(keys: Iterable<string>, registry: string, repository: string): string | undefined {
  const want = canonicalHost(registry);
  const full = `${want}/${repository}`;
  let best: string | undefined;
  let bestLen = -1;
  let hostOnly: string | undefined;
  for (const key of keys) {
    if (canonicalHost(hostOfKey(key)) !== want) continue;
    const scoped = !/^[a-z][a-z0-9+.-]*:\/\//i.test(key) && key.includes('/');
    if (!scoped) {
      hostOnly ??= key;
      continue;
    }
    const path = `${want}/${key.slice(key.indexOf('/') + 1).replace(/\/+$/, '')}`;
    if ((full === path || full.startsWith(`${path}/`)) && path.length > bestLen) {
      best = key;
      bestLen = path.length;
    }
  }
  return best ?? hostOnly;
}

/** Credentials stored directly in an auths entry, if any. */
export function credentialOf(entry: AuthEntry | undefined, where: string): Credential | undefined {
  if (entry === undefined) return undefined;
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    return { identityToken: entry.identitytoken, ...(entry.username ? { username: entry.username } : {}) };
  }
  if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') return { registryToken: entry.registrytoken };
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new KilnError('E_REGISTRY_AUTH', `reading credentials for ${where}: the "auth" field is not base64 of user:password`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && entry.username !== '' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}
