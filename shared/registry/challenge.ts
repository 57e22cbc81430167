// WWW-Authenticate parsing (RFC 7235 as registries use it):
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"
//   Basic realm="Registry Realm"

export interface Challenge {
  /** Lowercased: 'bearer' | 'basic' | anything else a server sends. */
  scheme: string;
  /** Parameter names lowercased; values unquoted. */
  params: Record<string, string>;
}

/** Parse every challenge in a WWW-Authenticate header value. Unparseable tails are ignored. */
export function parseChallenges(header: string | undefined): Challenge[] {
  if (header === undefined) return [];
  const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y; // sticky: its lastIndex is this call's cursor
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skip = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(s);
    if (m === null) return undefined;
    i = TOKEN.lastIndex;
    return m[0];
  };
  for (skip(); i < s.length; skip()) {
    const scheme = token();
    if (scheme === undefined) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skip();
      const save = i;
      const name = token();
      if (name === undefined) break;
      while (s[i] === ' ') i++;
      if (s[i] !== '=') {
        i = save; // a token not followed by '=' starts the next challenge
        break;
      }
      i++;
      while (s[i] === ' ') i++;
      challenge.params[name.toLowerCase()] = s[i] === '"' ? quoted() : bare();
    }
  }
  return out;

  // unquoted values are tokens by the RFC; servers also send bare URLs, so read up to , or space
  function bare(): string {
    const start = i;
    while (i < s.length && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
    return s.slice(start, i);
  }

  function quoted(): string {
    let v = '';
    for (i++; i < s.length && s[i] !== '"'; i++) v += s[i] === '\\' ? (s[++i] ?? '') : s[i];
    i++;
    return v;
  }
}

/** The challenge we act on: Bearer beats Basic, unknown schemes are ignored. */
export function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}
