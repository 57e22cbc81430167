// COPY/ADD sources in the build context: cleaned, kept inside the context, `*`/`?`/`[...]`
// globs in the last component expanded (full globbing and --parents arrive with issue 6).
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { KilnError } from '../../shared/errors.ts';
import type { BuildContext } from '../context/types.ts';

export interface ContextSource {
  /** Context-relative path ('' for the context root). */
  rel: string;
  /** Host path; a top-level symlink is followed (as Docker does for a named source). */
  host: string;
  isDir: boolean;
}

const GLOB = /[*?[]/;

export async function resolveSources(ctx: BuildContext, sources: readonly string[], what: string): Promise<ContextSource[]> {
  const out: ContextSource[] = [];
  for (const s of sources) {
    const clean = posix.normalize('/' + s).slice(1).replace(/\/$/, '');
    if (clean.startsWith('..')) throw new KilnError('E_STEP', `${what}: source "${s}" is outside the build context`);
    const parent = posix.dirname(clean) === '.' ? '' : posix.dirname(clean);
    const base = posix.basename(clean);
    if (GLOB.test(parent)) throw new KilnError('E_NOT_IMPLEMENTED', `${what}: globs in directory names ("${s}") are not implemented yet`);
    const names = GLOB.test(base) ? await globNames(ctx, parent, base) : [clean];
    const found: ContextSource[] = [];
    for (const rel of names) {
      if (rel !== '' && ctx.excluded(rel)) continue;
      found.push(await sourceOf(ctx, rel, what));
    }
    if (found.length === 0) {
      throw new KilnError('E_STEP', `${what}: no source files were specified or all were excluded: "${s}"`, {
        hint: 'check the path against the context directory and .dockerignore',
      });
    }
    out.push(...found);
  }
  return out;
}

async function globNames(ctx: BuildContext, parent: string, pattern: string): Promise<string[]> {
  const re = globRegex(pattern);
  const names = await readdir(join(ctx.dir, parent)).catch(() => [] as string[]);
  return names.filter((n) => re.test(n)).sort().map((n) => (parent === '' ? n : `${parent}/${n}`));
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
      const body = pattern.slice(i + 1, end).replace(/^\^/, '^').replace(/\\/g, '\\\\');
      re += `[${body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function sourceOf(ctx: BuildContext, rel: string, what: string): Promise<ContextSource> {
  const host = join(ctx.dir, rel);
  const l = await lstat(host).catch(() => undefined);
  if (l === undefined) {
    throw new KilnError('E_STEP', `${what}: "${rel}" not found in the build context`, { hint: 'check the path and .dockerignore' });
  }
  if (!l.isSymbolicLink()) return { rel, host, isDir: l.isDirectory() };
  const real = await realpath(host).catch(() => undefined);
  const ctxReal = await realpath(ctx.dir);
  if (real === undefined || !(real === ctxReal || real.startsWith(ctxReal + '/'))) {
    throw new KilnError('E_STEP', `${what}: "${rel}" is a link that leads outside the build context`);
  }
  return { rel, host: real, isDir: (await stat(real)).isDirectory() };
}
