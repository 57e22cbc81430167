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
    else if (ch === '{' || ch === '}') {
      // Go's regexp reads `{n}`, `{n,}`, `{n,m}` as a repeat and any other brace as a literal.
      const rep = ch === '{' ? /^\{\d+(?:,\d*)?\}/.exec(chars.slice(i).join('')) : null;
      if (rep) {
        // Go repeats a preceding `^` (an empty match); JS wants the anchor grouped first.
        if (re.endsWith('^') && !re.endsWith('\\^') && !inClass) re = re.slice(0, -1) + '(?:^)';
        re += rep[0];
        i += rep[0].length - 1;
      } else re += '\\' + ch;
    }
    else if (ch === '\\') {
      if (i + 1 < chars.length) {
        i++;
        re += escapedLiteral(chars[i] as string, inClass);
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
