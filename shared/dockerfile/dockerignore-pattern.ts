// One .dockerignore pattern, compiled as moby/patternmatcher does: exact, prefix (`foo**`),
// suffix (`**foo`) or a regular expression; `*` and `?` never cross `/`, `**` does, `[...]`
// are filepath.Match classes (`[^x]` negates), `\` escapes.
import { KilnError } from '../errors.ts';
import { isBadGoPattern } from './go-match.ts';

export type MatchKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

export interface Pattern {
  /** The cleaned pattern, without a leading `!`. */
  cleaned: string;
  exclusion: boolean;
  kind: MatchKind;
  regexp?: RegExp;
  /** Set when the pattern passes Go's glob check but not regexp compilation: Docker fails lazily, when it is used. */
  invalid?: string;
  /** Path segments of the pattern. */
  dirs: string[];
}

// patternmatcher means to escape `.+()|{}$`, but its bitmap drops the characters >= 64, so
// `{`, `}` and `|` stay regexp syntax in Docker (`a*{2}` repeats, `a*|b` alternates): we match that.
const ESCAPE = new Set(['.', '+', '(', ')', '$']);
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

// Go regexp escapes that JS spells differently (`\a` bell, `\A` start, `\z` end of text).
const GO_ESCAPES: Record<string, string> = { a: '\\x07', A: '^', z: '$' };

function escapedLiteral(c: string, inClass: boolean): string {
  if (c in GO_ESCAPES && !inClass) return GO_ESCAPES[c] as string;
  if (c === 'a' && inClass) return '\\x07';
  if (/[A-Za-z0-9]|[^\x00-\x7f]/.test(c)) return '\\' + c; // \d \w \s \b \t \n … mean the same; others fail as in Go
  if (c === '-' && !inClass) return c;
  return JS_SYNTAX.has(c) ? '\\' + c : c;
}

interface Compiler {
  chars: string[];
  i: number;
  re: string;
  kind: MatchKind;
  inClass: boolean;
}

// A double star at c.i: the prefix or suffix match kinds, or an any-dirs group in the regexp.
function doubleStar(c: Compiler): void {
  const start = c.i;
  c.i++;
  if (c.chars[c.i + 1] === '/') c.i++;
  if (c.i + 1 >= c.chars.length) {
    if (c.kind === 'exact') c.kind = 'prefix';
    else {
      c.re += '[^]*';
      c.kind = 'regexp';
    }
  } else {
    c.re += '(?:[^]*/)?';
    c.kind = 'regexp';
  }
  if (start === 0) c.kind = 'suffix';
}

/** Go's regexp reads `{n}`, `{n,}`, `{n,m}` as a repeat and any other brace as a literal. */
function brace(c: Compiler, ch: string): void {
  const rep = ch === '{' ? /^\{\d+(?:,\d*)?\}/.exec(c.chars.slice(c.i).join('')) : null;
  if (!rep) {
    c.re += '\\' + ch;
    return;
  }
  // Go repeats a preceding `^` (an empty match); JS wants the anchor grouped first.
  if (c.re.endsWith('^') && !c.re.endsWith('\\^') && !c.inClass) c.re = c.re.slice(0, -1) + '(?:^)';
  c.re += rep[0];
  c.i += rep[0].length - 1;
}

function step(c: Compiler): void {
  const ch = c.chars[c.i] as string;
  if (ch === '*' && c.chars[c.i + 1] === '*') doubleStar(c);
  else if (ch === '*' || ch === '?') {
    c.re += ch === '*' ? '[^/]*' : '[^/]';
    c.kind = 'regexp';
  } else if (ESCAPE.has(ch)) c.re += '\\' + ch;
  else if (ch === '{' || ch === '}') brace(c, ch);
  else if (ch === '\\') {
    if (c.i + 1 < c.chars.length) {
      c.i++;
      c.re += escapedLiteral(c.chars[c.i] as string, c.inClass);
      c.kind = 'regexp';
    } else c.re += '\\\\';
  } else if (ch === '[' || ch === ']') {
    // A `]` outside a class is a literal for Go's regexp; JS needs it escaped.
    c.re += ch === ']' && !c.inClass ? '\\]' : ch;
    c.inClass = ch === '[';
    c.kind = 'regexp';
  } else c.re += ch;
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
  const c: Compiler = { chars: Array.from(p), i: 0, re: '^', kind: 'exact', inClass: false };
  for (; c.i < c.chars.length; c.i++) step(c);
  const pattern: Pattern = { cleaned: p, exclusion, kind: c.kind, dirs: p.split('/') };
  if (c.kind === 'regexp') {
    try {
      pattern.regexp = new RegExp(c.re + '$', 'u');
    } catch (e) {
      pattern.invalid = `syntax error in pattern "${raw}": ${(e as Error).message}`;
    }
  }
  return pattern;
}

/** patternmatcher.New rejects what Go's filepath.Match(p, ".") calls malformed. */
function validateGlob(p: string): void {
  if (isBadGoPattern(p)) {
    throw new KilnError('E_DOCKERIGNORE', `syntax error in pattern "${p}"`, {
      hint: 'character classes need a closing ], ] or - cannot start a range, and a pattern cannot end with \\',
    });
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
      if (p.invalid !== undefined) throw new KilnError('E_DOCKERIGNORE', p.invalid);
      return (p.regexp as RegExp).test(path);
  }
}
