// .dockerignore matching with moby/patternmatcher's semantics: `#` comments in column 0,
// trimmed lines, `!` exceptions, patterns cleaned and anchored at the context root, `*` and
// `?` never cross "/", `**` does, the last matching pattern wins, and a pattern matching a
// parent directory applies to everything below it.
import { posix } from 'node:path';

interface Rule {
  re: RegExp;
  negate: boolean;
}

export function parseDockerignore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    if (rawLine.startsWith('#')) continue;
    let line = rawLine.trim();
    if (line === '') continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    let clean = posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
    if (clean === '.' || clean === '') clean = '';
    rules.push({ re: patternRegex(clean), negate });
  }
  return rules;
}

export function patternRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i] as string);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('^')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(c: string): string {
  return c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
}

/** A predicate over context-relative paths (`a/b.txt`). */
export function dockerignoreMatcher(text: string): (rel: string) => boolean {
  const rules = parseDockerignore(text);
  return (rel) => {
    const path = rel.replace(/^\/+/, '');
    const parents: string[] = [];
    for (let p = path; p !== '' && p !== '.'; p = posix.dirname(p) === '.' ? '' : posix.dirname(p)) parents.push(p);
    let excluded = false;
    for (const r of rules) {
      if (parents.some((p) => r.re.test(p))) excluded = !r.negate;
    }
    return excluded;
  };
}
