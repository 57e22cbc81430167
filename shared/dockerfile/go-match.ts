// Go's path/filepath.Match (go1.19, unix), used only as patternmatcher.New uses it: to reject
// the patterns Go calls malformed (ErrBadPattern), with Go's exact quirks.

class BadPattern extends Error {}

function scanChunk(p: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let i0 = 0;
  let star = false;
  while (p[i0] === '*') {
    i0++;
    star = true;
  }
  const pattern = p.slice(i0);
  let inRange = false;
  let i = 0;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case '\\':
        if (i + 1 < pattern.length) i++;
        break;
      case '[':
        inRange = true;
        break;
      case ']':
        inRange = false;
        break;
      case '*':
        if (!inRange) break scan;
    }
  }
  return { star, chunk: pattern.slice(0, i), rest: pattern.slice(i) };
}

function getEsc(chunk: string[]): { r: string; rest: string[] } {
  if (chunk.length === 0 || chunk[0] === '-' || chunk[0] === ']') throw new BadPattern();
  let c = chunk;
  if (c[0] === '\\') {
    c = c.slice(1);
    if (c.length === 0) throw new BadPattern();
  }
  const rest = c.slice(1);
  if (rest.length === 0) throw new BadPattern();
  return { r: c[0] as string, rest };
}

function matchChunk(chunkIn: string[], sIn: string[]): { rest: string[]; ok: boolean } {
  let chunk = chunkIn;
  let s = sIn;
  let failed = false;
  while (chunk.length > 0) {
    if (!failed && s.length === 0) failed = true;
    const c = chunk[0] as string;
    if (c === '[') {
      let r = '';
      if (!failed) {
        r = s[0] as string;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
      let negated = false;
      if (chunk[0] === '^') {
        negated = true;
        chunk = chunk.slice(1);
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (chunk.length > 0 && chunk[0] === ']' && nrange > 0) {
          chunk = chunk.slice(1);
          break;
        }
        const lo = getEsc(chunk);
        chunk = lo.rest;
        let hi = lo.r;
        if (chunk[0] === '-') {
          const h = getEsc(chunk.slice(1));
          hi = h.r;
          chunk = h.rest;
        }
        const cp = (x: string): number => x.codePointAt(0) ?? 0;
        if (!failed && cp(lo.r) <= cp(r) && cp(r) <= cp(hi)) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
      continue;
    }
    if (c === '?') {
      if (!failed) {
        if (s[0] === '/') failed = true;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
      continue;
    }
    if (c === '\\') {
      chunk = chunk.slice(1);
      if (chunk.length === 0) throw new BadPattern();
    }
    if (!failed) {
      if (chunk[0] !== s[0]) failed = true;
      s = s.slice(1);
    }
    chunk = chunk.slice(1);
  }
  return failed ? { rest: [], ok: false } : { rest: s, ok: true };
}

function match(patternStr: string, nameStr: string): boolean {
  let pattern = Array.from(patternStr);
  let name = Array.from(nameStr);
  outer: while (pattern.length > 0) {
    const sc = scanChunk(pattern);
    pattern = sc.rest;
    if (sc.star && sc.chunk.length === 0) return !name.includes('/');
    const m = matchChunk(sc.chunk, name);
    if (m.ok && (m.rest.length === 0 || pattern.length > 0)) {
      name = m.rest;
      continue;
    }
    if (sc.star) {
      for (let i = 0; i < name.length && name[i] !== '/'; i++) {
        const t = matchChunk(sc.chunk, name.slice(i + 1));
        if (t.ok) {
          if (pattern.length === 0 && t.rest.length > 0) continue;
          name = t.rest;
          continue outer;
        }
      }
    }
    return false;
  }
  return name.length === 0;
}

/** True when Go's filepath.Match(pattern, ".") reports ErrBadPattern. */
export function isBadGoPattern(pattern: string): boolean {
  try {
    match(pattern, '.');
    return false;
  } catch (e) {
    if (e instanceof BadPattern) return true;
    throw e;
  }
}
