// .dockerignore as Docker/BuildKit read and apply it (moby/patternmatcher ignorefile.ReadAll +
// MatchesOrParentMatches): `#` comments only in column 0, lines trimmed, `!` exceptions,
// patterns cleaned and anchored at the context root, last match wins, and a pattern matching
// a parent directory applies to everything below it. `<Dockerfile>.dockerignore` beside the
// Dockerfile wins over the context's `.dockerignore`.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KilnError } from '../errors.ts';
import { cleanPath, compilePattern, patternMatches, type Pattern } from './dockerignore-pattern.ts';

export interface Dockerignore {
  /** The file the patterns came from; undefined when there is none. */
  readonly source?: string;
  /** Patterns as Docker reads them (cleaned, `!` kept). */
  readonly patterns: readonly string[];
  /**
   * Whether a context-relative path (slash-separated) is excluded. Docker does not tell files
   * from directories here; `isDir` is accepted for callers' clarity and does not change the result.
   */
  matches(relPath: string, opts?: { isDir?: boolean }): boolean;
  /** True when `relDir` is excluded and no `!` pattern could bring back anything under it. */
  canSkipDir(relDir: string): boolean;
}

/** The patterns of a .dockerignore text (ignorefile.ReadAll). */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (const rawLine of lines) {
    const line = rawLine.replace(/\r$/, '');
    if (line.startsWith('#')) continue;
    let p = line.trim();
    if (p === '') continue;
    const invert = p.startsWith('!');
    if (invert) p = p.slice(1).trim();
    if (p.length > 0) {
      p = cleanPath(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    out.push(invert ? '!' + p : p);
  }
  return out;
}

function normalise(relPath: string): string {
  return cleanPath(relPath.replace(/\\/g, '/').replace(/^\/+/, ''));
}

function matchWithParents(p: Pattern, file: string): boolean {
  if (patternMatches(p, file)) return true;
  const parts = file.split('/');
  for (let i = 1; i < parts.length; i++) {
    if (patternMatches(p, parts.slice(0, i).join('/'))) return true;
  }
  return false;
}

/** A matcher over patterns (as parseDockerignore returns them). */
export function createDockerignore(patterns: readonly string[], source?: string): Dockerignore {
  const compiled = patterns.filter((p) => p.trim() !== '').map((p) => compilePattern(p));
  const matches = (relPath: string): boolean => {
    const file = normalise(relPath);
    if (file === '.') return false;
    let matched = false;
    for (const p of compiled) {
      if (p.exclusion !== matched) continue;
      if (matchWithParents(p, file)) matched = !p.exclusion;
    }
    return matched;
  };
  const canSkipDir = (relDir: string): boolean => {
    const dir = normalise(relDir);
    if (!matches(dir)) return false;
    const segs = dir.split('/');
    return compiled.every((p) => !p.exclusion || !couldMatchBelow(p, segs));
  };
  const out: Dockerignore = { patterns: [...patterns], matches, canSkipDir };
  return source === undefined ? out : { ...out, source };
}

/** Could exclusion pattern `p` match some path strictly below the directory `segs`? */
function couldMatchBelow(p: Pattern, segs: string[]): boolean {
  if (p.cleaned.includes('**')) return true;
  if (p.dirs.length <= segs.length) return false;
  return segs.every((s, i) => patternMatches(compilePattern(p.dirs[i] as string), s));
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new KilnError('E_IO', `reading ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Load the ignore rules for a build: `<dockerfilePath>.dockerignore` when it exists, else
 * `<contextDir>/.dockerignore`, else no rules. `dockerfilePath` may be relative to the context.
 */
export async function loadDockerignore(contextDir: string, dockerfilePath?: string): Promise<Dockerignore> {
  const candidates: string[] = [];
  if (dockerfilePath !== undefined) candidates.push(path.resolve(contextDir, dockerfilePath) + '.dockerignore');
  candidates.push(path.join(contextDir, '.dockerignore'));
  for (const file of candidates) {
    const text = await readIfExists(file);
    if (text !== undefined) {
      try {
        return createDockerignore(parseDockerignore(text), file);
      } catch (e) {
        throw new KilnError('E_DOCKERIGNORE', `reading ${file}: ${(e as Error).message}`, { cause: e });
      }
    }
  }
  return createDockerignore([]);
}
