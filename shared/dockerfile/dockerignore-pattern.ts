// One .dockerignore pattern, compiled as moby/patternmatcher does: exact, prefix (`foo**`),
// suffix (`**foo`) or a regular expression; `*` and `?` never cross `/`, `**` does, `[...]`
// are filepath.Match classes (`[^x]` negates), `\` escapes.
import { KilnError } from '../errors.ts';

export type MatchKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

export interface Pattern {
  /** The cleaned pattern, without a leading `!`. */
  cleaned: string;
  exclusion: boolean;
  kind: MatchKind;
  regexp?: RegExp;
  /** Path segments of the pattern. */
  dirs: string[];
}

const ESCAPE = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);
const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/', '-']);

/** Go's path.Clean for slash paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

function escapedLiteral(c: string): string {
  if (/[A-Za-z0-9]/.test(c)) return '\\' + c; // Go and JS agree on \d \w \s …
  return JS_SYNTAX.has(c) ? '\\' + c : c;
}

/** Compile (BuildKit patternmatcher Pattern.compile with `/` as separator). */
export function compilePattern(raw: string): Pattern {
  let p = cleanPath(raw.trim());
  let exclusion = false;
  if (p.startsWith('!')) {
    if (p.length === 1) throw new KilnError('E_DOCKERIGNORE', 'illegal exclusion pattern: "!"');
    exclusion = true;
    p = p.slice(1);
  }
  validateGlob(p);
  const chars = Array.from(p);
  let re = '^';
  let kind: MatchKind = 'exact';
  let inClass = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        const start = i;
        i++;
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) {
          if (kind === 'exact') kind = 'prefix';
          else {
            re += '[^]*';
            kind = 'regexp';
          }
        } else {
          re += '(?:[^]*/)?';
          kind = 'regexp';
        }
        if (start === 0) kind = 'suffix';
      } else {
        re += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      kind = 'regexp';
    } else if (ESCAPE.has(ch)) re += '\\' + ch;
    else if (ch === '\\') {
      if (i + 1 < chars.length) {
        i++;
        re += escapedLiteral(chars[i] as string);
        kind = 'regexp';
      } else re += '\\\\';
    } else if (ch === '[' || ch === ']') {
      // A `]` outside a class is a literal for Go's regexp; JS needs it escaped.
      re += ch === ']' && !inClass ? '\\]' : ch;
      inClass = ch === '[';
      kind = 'regexp';
    } else re += ch;
  }
  const pattern: Pattern = { cleaned: p, exclusion, kind, dirs: p.split('/') };
  if (kind === 'regexp') {
    try {
      pattern.regexp = new RegExp(re + '$', 'u');
    } catch (e) {
      throw new KilnError('E_DOCKERIGNORE', `syntax error in pattern "${raw}"`, { cause: e });
    }
  }
  return pattern;
}

/** filepath.Match's syntax check: balanced classes, no trailing escape inside a class. */
function validateGlob(p: string): void {
  const bad = (): never => {
    throw new KilnError('E_DOCKERIGNORE', `syntax error in pattern "${p}"`, {
      hint: 'character classes need a closing ], and ] or - cannot start a class',
    });
  };
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c !== '[') continue;
    i++;
    if (p[i] === '^') i++;
    if (p[i] === ']' || p[i] === '-') bad();
    let closed = false;
    for (; i < p.length; i++) {
      if (p[i] === '\\') i++;
      else if (p[i] === ']') {
        closed = true;
        break;
      }
    }
    if (!closed) bad();
  }
}

/** Whether one pattern matches a path (BuildKit Pattern.match). */
export function patternMatches(p: Pattern, path: string): boolean {
  switch (p.kind) {
    case 'exact':
      return path === p.cleaned;
    case 'prefix':
      return path.startsWith(p.cleaned.slice(0, -2));
    case 'suffix': {
      const suffix = p.cleaned.slice(2);
      if (path.endsWith(suffix)) return true;
      return suffix.startsWith('/') && path === suffix.slice(1);
    }
    case 'regexp':
      return (p.regexp as RegExp).test(path);
  }
}
