// COPY/ADD sources in a source tree (the build context, or a stage's or an image's files for
// `--from`): cleaned, resolved as if the tree were "/" (a link is followed inside it, never
// out, as BuildKit's fs.RootPath), globs expanded in every component (`*`, `?`, `[...]` as
// Go's filepath.Match, `**` for any depth). A glob that matches nothing adds nothing (BuildKit's
// AllowEmptyWildcard); a named path that does not exist, or that .dockerignore excludes, fails.
// With --parents the path below the pivot (`a/./b/c` keeps `b/c`, else the whole path) is kept.
import { lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { KilnError } from '../../shared/errors.ts';
import { resolveInRoot } from '../root/run-paths.ts';

/** Where sources are read: a directory and what of it is excluded (.dockerignore for the context). */
export interface SourceTree {
  readonly dir: string;
  excluded(rel: string): boolean;
  /** For messages: "the build context" when absent, else e.g. "stage build". */
  readonly name?: string;
}

export interface ContextSource {
  /** Tree-relative path ('' for the tree's root). */
  rel: string;
  /** Host path, links resolved inside the tree. */
  host: string;
  isDir: boolean;
  /** --parents: the path the source keeps under the destination. */
  keep?: string;
}

export interface ResolveOptions {
  parents?: boolean;
}

const GLOB = /[*?[]/;

export async function resolveSources(tree: SourceTree, sources: readonly string[], what: string, options: ResolveOptions = {}): Promise<ContextSource[]> {
  const out: ContextSource[] = [];
  for (const s of sources) {
    const pivot = options.parents === true ? s.indexOf('/./') : -1;
    const base = pivot >= 0 ? cleanSource(s.slice(0, pivot), s, what) : '';
    const clean = cleanSource(s, s, what);
    const names = GLOB.test(clean) ? await expandGlob(tree, clean) : [clean];
    const found: ContextSource[] = [];
    for (const rel of names) {
      if (rel !== '' && tree.excluded(rel)) continue;
      const src = await sourceOf(tree, rel, what);
      if (options.parents === true) src.keep = base === '' ? rel : posix.relative(base, rel);
      found.push(src);
    }
    if (found.length === 0 && !GLOB.test(clean)) {
      throw new KilnError('E_STEP', `${what}: "${s}" not found: it is excluded by .dockerignore`, { hint: 'check the path against the context directory and .dockerignore' });
    }
    out.push(...found);
  }
  return out;
}

function cleanSource(s: string, whole: string, what: string): string {
  const clean = posix.normalize('/' + s).slice(1).replace(/\/$/, '');
  if (clean.startsWith('..')) throw new KilnError('E_STEP', `${what}: source "${whole}" is outside the build context`);
  return clean === '.' ? '' : clean;
}

/** Tree-relative paths matching a pattern, component by component, sorted. */
async function expandGlob(tree: SourceTree, pattern: string): Promise<string[]> {
  let matched = [''];
  for (const part of pattern.split('/')) {
    const next: string[] = [];
    for (const dir of matched) {
      if (part === '**') next.push(dir, ...(await descendants(tree, dir)));
      else if (!GLOB.test(part)) next.push(dir === '' ? part : `${dir}/${part}`);
      else {
        const re = globRegex(part);
        for (const name of await list(tree, dir)) if (re.test(name)) next.push(dir === '' ? name : `${dir}/${name}`);
      }
    }
    matched = [...new Set(next)];
  }
  const exists = await Promise.all(matched.map(async (rel) => (await lstat(await resolveInRoot(tree.dir, '/' + rel)).catch(() => undefined)) !== undefined));
  return matched.filter((_, i) => exists[i]).sort();
}

async function list(tree: SourceTree, dir: string): Promise<string[]> {
  const host = await resolveInRoot(tree.dir, '/' + dir);
  return (await readdir(host).catch(() => [] as string[])).sort();
}

/** Every directory below `dir` (links not followed), for `**`. */
async function descendants(tree: SourceTree, dir: string): Promise<string[]> {
  const host = await resolveInRoot(tree.dir, '/' + dir);
  const entries = await readdir(host, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const rel = dir === '' ? e.name : `${dir}/${e.name}`;
    out.push(rel, ...(await descendants(tree, rel)));
  }
  return out;
}

/** Go filepath.Match for one component: `*`, `?`, `[...]` (`[^...]` negates), `\` escapes. */
export function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += '\\' + (pattern[++i] as string);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new KilnError('E_STEP', `bad glob pattern "${pattern}"`);
      const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += `[${body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function sourceOf(tree: SourceTree, rel: string, what: string): Promise<ContextSource> {
  const host = await resolveInRoot(tree.dir, '/' + rel);
  const st = await lstat(host).catch(() => undefined);
  if (st === undefined) {
    throw new KilnError('E_STEP', `${what}: "${rel}" not found in ${tree.name ?? 'the build context'}`, { hint: 'check the path and .dockerignore' });
  }
  return { rel, host, isDir: st.isDirectory() };
}
