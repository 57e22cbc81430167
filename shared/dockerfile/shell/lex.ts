// Docker's shell lexer (BuildKit frontend/dockerfile/shell/lex.go): quotes, escapes and
// variable expansion for the instructions Docker expands, and word splitting after expansion.
// Not a shell: no command substitution, no globbing, no arithmetic.
import { KilnError } from '../../errors.ts';
import { replacePattern, trimPrefix, trimSuffix } from './pattern.ts';

/** Looks a variable up; `undefined` means unset (which differs from empty for `${V-w}`). */
export type EnvGetter = (name: string) => string | undefined;

export interface LexOptions {
  /** The Dockerfile escape character (`# escape=`); default `\`. */
  escapeToken?: string;
  /** Keep quote characters in the output (heredoc detection). */
  rawQuotes?: boolean;
  /** Keep escape characters in the output (heredoc detection). */
  rawEscapes?: boolean;
  /** Leave `$V` / `${V…}` as written when V is unset. */
  skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters (heredoc bodies of COPY/ADD). */
  skipProcessQuotes?: boolean;
}

const EOF = '';
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);
const isSpace = (c: string): boolean => /^\s$/u.test(c);
const isDigit = (c: string): boolean => /^\p{Nd}$/u.test(c);
const isNameChar = (c: string): boolean => /^[\p{L}\p{Nd}_]$/u.test(c);

/** Collects the words of ProcessWords: expansion results split on whitespace, quoted text doesn't. */
class Words {
  private buf = '';
  private inWord = false;
  readonly words: string[] = [];
  addChar(c: string): void {
    if (isSpace(c)) {
      if (this.inWord && this.buf.length > 0) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else this.addRaw(c);
  }
  addRaw(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const c of s) this.addChar(c);
  }
  finish(): string[] {
    if (this.buf.length > 0) this.words.push(this.buf);
    this.buf = '';
    this.inWord = false;
    return this.words;
  }
}

class Lexer {
  private readonly chars: string[];
  private pos = 0;
  private readonly escape: string;
  private rawEscapes: boolean;

  private readonly env: EnvGetter;
  private readonly opts: LexOptions;

  constructor(source: string, env: EnvGetter, opts: LexOptions) {
    this.env = env;
    this.opts = opts;
    this.chars = Array.from(source);
    this.escape = opts.escapeToken ?? '\\';
    this.rawEscapes = opts.rawEscapes ?? false;
  }

  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }
  private next(): string {
    const c = this.chars[this.pos] ?? EOF;
    if (c !== EOF) this.pos++;
    return c;
  }

  /** Process until `stop` (consumed) or the end; `stop` EOF means the whole input. */
  processStopOn(stop: string, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.scan(stop);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private scan(stop: string): { result: string; words: string[] } {
    let result = '';
    const words = new Words();
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (stop !== EOF && ch === stop) {
        this.next();
        return { result, words: words.finish() };
      }
      if (ch === '$') {
        const v = this.processDollar();
        result += v;
        words.addString(v);
      } else if ((ch === "'" || ch === '"') && !this.opts.skipProcessQuotes) {
        const v = ch === "'" ? this.singleQuote() : this.doubleQuote();
        result += v;
        words.addRaw(v);
      } else {
        let c = this.next();
        if (c === this.escape) {
          if (this.rawEscapes) {
            words.addRaw(c);
            result += c;
          }
          c = this.next();
          if (c === EOF) break;
          words.addRaw(c);
        } else words.addChar(c);
        result += c;
      }
    }
    if (stop !== EOF) throw shellError(`unexpected end of statement while looking for matching ${stop}`);
    return { result, words: words.finish() };
  }

  private singleQuote(): string {
    let out = this.opts.rawQuotes ? this.next() : (this.next(), '');
    for (;;) {
      const c = this.next();
      if (c === EOF) throw shellError('unexpected end of statement while looking for matching single-quote');
      if (c === "'") return this.opts.rawQuotes ? out + c : out;
      out += c;
    }
  }

  private doubleQuote(): string {
    let out = this.opts.rawQuotes ? this.next() : (this.next(), '');
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw shellError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        const c = this.next();
        return this.opts.rawQuotes ? out + c : out;
      }
      if (p === '$') {
        out += this.processDollar();
        continue;
      }
      let c = this.next();
      if (c === this.escape) {
        if (this.rawEscapes) out += c;
        const n = this.peek();
        if (n === EOF) continue; // an escape at the very end is dropped
        if (n === '"' || n === '$' || n === this.escape) c = this.next();
      }
      out += c;
    }
  }

  private lookup(name: string): string | undefined {
    return this.env(name);
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const v = this.lookup(name);
      if (v === undefined && this.opts.skipUnsetEnv) return '$' + name;
      return v ?? '';
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw shellError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw shellError('syntax error: bad substitution');
    const name = this.processName();
    const ch = this.next();
    if (ch === EOF) throw shellError("syntax error: missing '}'");
    if (ch === '}') {
      const v = this.lookup(name);
      if (v === undefined && this.opts.skipUnsetEnv) return `\${${name}}`;
      return v ?? '';
    }
    if (ch === '/') return this.substitute(name);
    if (ch === ':') {
      const mod = this.next();
      return this.modifier(name, mod, true);
    }
    if (ch === '+' || ch === '-' || ch === '?' || ch === '#' || ch === '%') return this.modifier(name, ch, false);
    throw shellError(`unsupported modifier (${ch}) in substitution`);
  }

  private modifier(name: string, mod: string, nullIsUnset: boolean): string {
    const chs = (nullIsUnset ? ':' : '') + mod;
    const patternLike = mod === '#' || mod === '%';
    if (nullIsUnset && patternLike) throw shellError(`unsupported modifier (${chs}) in substitution`);
    if (!['+', '-', '?', '#', '%'].includes(mod)) throw shellError(`unsupported modifier (${chs}) in substitution`);
    let word: string;
    try {
      word = this.processStopOn('}', patternLike).result;
    } catch (e) {
      if (this.peek() === EOF) throw shellError("syntax error: missing '}'");
      throw e;
    }
    const value = this.lookup(name);
    if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}${chs}${word}}`;
    const empty = value === undefined || (nullIsUnset && value === '');
    switch (mod) {
      case '-':
        return empty ? word : (value ?? '');
      case '+':
        return empty ? '' : word;
      case '?':
        if (value === undefined) throw shellError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '') throw shellError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      default: {
        const greedy = word.startsWith(mod);
        const pattern = greedy ? word.slice(1) : word;
        return mod === '%' ? trimSuffix(pattern, value ?? '', greedy) : trimPrefix(pattern, value ?? '', greedy);
      }
    }
  }

  private substitute(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    const part = (stop: string, missing: string): string => {
      try {
        return this.processStopOn(stop, true).result;
      } catch (e) {
        if (this.peek() === EOF) throw shellError(missing);
        throw e;
      }
    };
    const pattern = part('/', "syntax error: missing '/' in ${}");
    const replacement = part('}', "syntax error: missing '}'");
    const value = this.lookup(name);
    if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}/${pattern}/${replacement}}`;
    return replacePattern(value ?? '', pattern, replacement, all);
  }

  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const c = this.peek();
      if (name === '' && isDigit(c)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(c)) return this.next();
      if (!isNameChar(c)) break;
      name += this.next();
    }
    return name;
  }
}

function shellError(message: string): KilnError {
  return new KilnError('E_DOCKERFILE', message);
}

function run(source: string, env: EnvGetter, opts: LexOptions): { result: string; words: string[] } {
  const lexer = new Lexer(source, env, opts);
  try {
    return lexer.processStopOn(EOF, opts.rawEscapes ?? false);
  } catch (e) {
    throw new KilnError('E_DOCKERFILE', `failed to process ${JSON.stringify(source)}: ${(e as Error).message}`, { cause: e });
  }
}

/** Expand one word: quotes and escapes removed, variables replaced, spaces kept (BuildKit ProcessWord). */
export function processWord(word: string, env: EnvGetter, opts: LexOptions = {}): string {
  return run(word, env, opts).result;
}

/** Expand and split into words after expansion, honouring quotes (BuildKit ProcessWords). */
export function processWords(word: string, env: EnvGetter, opts: LexOptions = {}): string[] {
  return run(word, env, opts).words;
}
