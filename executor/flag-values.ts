// Readers for the executor's structured flag values: --context, --git, --secret.
import path from 'node:path';
import { badValue, parseGoBool, splitKeyValue } from '../shared/cli/index.ts';

export type RemoteContextKind = 'tar' | 'git' | 's3' | 'gs' | 'https' | 'http';
export type ContextSource =
  | { readonly kind: 'dir'; readonly path: string }
  | { readonly kind: RemoteContextKind; readonly url: string };

const PREFIXES: readonly [string, ContextSource['kind']][] = [
  ['dir://', 'dir'],
  ['tar://', 'tar'],
  ['git://', 'git'],
  ['s3://', 's3'],
  ['gs://', 'gs'],
  ['https://', 'https'],
  ['http://', 'http'],
];

/** A --context value: a local directory (plain or dir://) or a remote source kaniko knows. */
export function parseContextSource(text: string, cwd: string): ContextSource {
  const lower = text.toLowerCase();
  const hit = PREFIXES.find(([prefix]) => lower.startsWith(prefix));
  if (hit === undefined) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
      throw badValue('context', text, 'a directory or one of dir://, tar://, git://, s3://, gs://, https://');
    }
    if (text === '') throw badValue('context', text, 'a directory or a context URL');
    return { kind: 'dir', path: path.resolve(cwd, text) };
  }
  const [prefix, kind] = hit;
  if (kind === 'dir') return { kind, path: path.resolve(cwd, text.slice(prefix.length)) };
  if (text.length === prefix.length) throw badValue('context', text, `a location after ${prefix}`);
  return { kind, url: text };
}

export interface GitOptions {
  readonly branch?: string;
  readonly singleBranch: boolean;
  readonly recurseSubmodules: boolean;
  readonly insecureSkipTls: boolean;
}

const GIT_BOOLS = { 'single-branch': 'singleBranch', 'recurse-submodules': 'recurseSubmodules', 'insecure-skip-tls': 'insecureSkipTls' } as const;

/** kaniko's --git: `branch=main,single-branch=true,recurse-submodules=false,insecure-skip-tls=false`. */
export function parseGitOptions(items: readonly string[]): GitOptions {
  const out: { branch?: string; singleBranch: boolean; recurseSubmodules: boolean; insecureSkipTls: boolean } = {
    singleBranch: false,
    recurseSubmodules: false,
    insecureSkipTls: false,
  };
  const expected = 'branch=NAME, single-branch=BOOL, recurse-submodules=BOOL or insecure-skip-tls=BOOL';
  for (const item of items) {
    for (const part of item.split(',').filter((p) => p !== '')) {
      const kv = splitKeyValue(part);
      if (kv === undefined) throw badValue('git', item, expected);
      const [key, value] = kv;
      if (key === 'branch') {
        out.branch = value;
        continue;
      }
      const field = GIT_BOOLS[key as keyof typeof GIT_BOOLS];
      const b = parseGoBool(value);
      if (field === undefined || b === undefined) throw badValue('git', item, expected);
      out[field] = b;
    }
  }
  return out;
}

export type SecretSpec =
  | { readonly id: string; readonly kind: 'file'; readonly path: string }
  | { readonly id: string; readonly kind: 'env'; readonly env: string };

/**
 * BuildKit's --secret syntax: `id=ID,src=PATH` (also `source=`), `id=ID,env=VAR`, optional
 * `type=file|env`. Without src or env, the secret comes from the environment variable named
 * like the id when there is one, else from the file of that name. Values are never read here.
 */
export function parseSecrets(items: readonly string[], env: NodeJS.ProcessEnv, cwd: string): SecretSpec[] {
  const seen = new Set<string>();
  return items.map((item) => {
    const spec = parseSecret(item, env, cwd);
    if (seen.has(spec.id)) throw badValue('secret', item, `a new id: "${spec.id}" is given twice`);
    seen.add(spec.id);
    return spec;
  });
}

function parseSecret(item: string, env: NodeJS.ProcessEnv, cwd: string): SecretSpec {
  const expected = 'id=ID,src=PATH or id=ID,env=VAR';
  const fields: Record<string, string> = {};
  for (const part of item.split(',')) {
    const kv = splitKeyValue(part.trim());
    const key = kv?.[0].toLowerCase();
    if (kv === undefined || !['id', 'src', 'source', 'env', 'type'].includes(key as string)) throw badValue('secret', item, expected);
    fields[key === 'source' ? 'src' : (key as string)] = kv[1];
  }
  const { type, src } = fields;
  let { id, env: envName } = fields;
  if (type !== undefined && type !== 'file' && type !== 'env') throw badValue('secret', item, 'type=file or type=env');
  if (type === 'env' && envName === undefined) envName = src ?? id;
  id ??= envName;
  if (id === undefined || id === '') throw badValue('secret', item, expected);
  if (envName !== undefined && src !== undefined && type !== 'env') throw badValue('secret', item, 'either src= or env=, not both');
  if (envName !== undefined) return { id, kind: 'env', env: envName };
  if (src !== undefined) return { id, kind: 'file', path: path.resolve(cwd, src) };
  if (type !== 'file' && env[id] !== undefined) return { id, kind: 'env', env: id };
  return { id, kind: 'file', path: path.resolve(cwd, id) };
}
