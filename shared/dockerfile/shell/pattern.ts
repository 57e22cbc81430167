// Shell wildcard patterns of ${V#p} ${V%p} ${V/p/r}, as BuildKit's convertShellPatternToRegex:
// `*` any string (shortest or longest), `?` one character, `\` escapes `*`, `?` and `\`;
// no bracket expressions.
import { KilnError } from '../../errors.ts';

const REGEX_SPECIAL = new Set(['[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$']);

export function shellPatternToRegex(pattern: string, opts: { greedy: boolean; anchored: boolean }): RegExp {
  const chars = Array.from(pattern);
  let out = opts.anchored ? '^' : '';
  const star = opts.greedy ? '[^]*' : '[^]*?';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '*') out += star;
    else if (c === '?') out += '[^]';
    else if (c === '\\') {
      const next = chars[i + 1];
      // `}` and `/` are escaped only to get them into ${...}; the escape is not part of the pattern.
      if (next === '}' || next === '/') continue;
      if (next !== '*' && next !== '?' && next !== '\\') {
        throw new KilnError('E_DOCKERFILE', `invalid pattern (${pattern}) in substitution: invalid escape '\\${next ?? ''}'`);
      }
      out += '\\' + next;
      i++;
    } else if (REGEX_SPECIAL.has(c)) out += '\\' + c;
    else out += c;
  }
  return new RegExp(out, 'u');
}

/** ${V#p} (shortest) and ${V##p} (longest): remove a matching prefix. */
export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = shellPatternToRegex(pattern, { greedy, anchored: true }).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Reverse a pattern without separating an escape from the character it escapes. */
function reversePattern(pattern: string): string {
  const runes = Array.from(pattern);
  const out: string[] = new Array<string>(runes.length);
  const last = runes.length - 1;
  for (let i = 0; i <= last; ) {
    const c = runes[i] as string;
    const o = last - i;
    if (c === '\\' && i !== last) {
      out[o - 1] = c;
      out[o] = runes[i + 1] as string;
      i += 2;
    } else {
      out[o] = c;
      i++;
    }
  }
  return out.join('');
}

const reverse = (s: string): string => Array.from(s).reverse().join('');

/** ${V%p} (shortest) and ${V%%p} (longest): remove a matching suffix. */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}

/** ${V/p/r} (first) and ${V//p/r} (all). Wildcards are greedy, as in BuildKit. */
export function replacePattern(value: string, pattern: string, replacement: string, all: boolean): string {
  const re = shellPatternToRegex(pattern, { greedy: true, anchored: false });
  if (all) return replaceAllGo(value, new RegExp(re.source, 'gu'), replacement);
  const m = re.exec(value);
  if (!m) return value;
  return value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length);
}

/** Go's regexp.ReplaceAllString: an empty match right after a match is not replaced. */
function replaceAllGo(src: string, re: RegExp, replacement: string): string {
  let out = '';
  let lastEnd = 0;
  let pos = 0;
  while (pos <= src.length) {
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += src.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += replacement;
    lastEnd = end;
    const width = (src.codePointAt(pos) ?? 0) > 0xffff ? 2 : 1;
    if (pos + width > end) pos += width;
    else if (pos + 1 > end) pos++;
    else pos = end;
  }
  return out + src.slice(lastEnd);
}
