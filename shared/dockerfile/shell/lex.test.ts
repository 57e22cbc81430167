import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processWord, processWords } from './lex.ts';

interface Case {
  line: number;
  kind: string;
  input: string;
  expected: string;
}

function loadTable(): { env: Map<string, string>; cases: Case[] } {
  const text = readFileSync(new URL('../../../test/fixtures/shell/words.txt', import.meta.url), 'utf8');
  const env = new Map<string, string>();
  const cases: Case[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '' || raw.startsWith('#')) return;
    if (raw.startsWith('env ')) {
      const def = raw.slice(4);
      const eq = def.indexOf('=');
      env.set(def.slice(0, eq), def.slice(eq + 1));
      return;
    }
    const first = raw.indexOf(' | ');
    const last = raw.lastIndexOf(' | ');
    if (first < 0 || last === first) throw new Error(`words.txt:${i + 1}: malformed line`);
    cases.push({ line: i + 1, kind: raw.slice(0, first), input: raw.slice(first + 3, last), expected: raw.slice(last + 3) });
  });
  return { env, cases };
}

const { env, cases } = loadTable();
const get = (name: string): string | undefined => env.get(name);

describe('shell lexer golden table (test/fixtures/shell/words.txt)', () => {
  it('has cases of every kind', () => {
    const kinds = new Set(cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(['error', 'word', 'word`', 'words']);
  });

  for (const c of cases) {
    it(`words.txt:${c.line} ${c.kind} ${c.input}`, () => {
      switch (c.kind) {
        case 'word':
          expect(processWord(c.input, get)).toBe(JSON.parse(c.expected));
          break;
        case 'word`':
          expect(processWord(c.input, get, { escapeToken: '`' })).toBe(JSON.parse(c.expected));
          break;
        case 'words':
          expect(processWords(c.input, get)).toEqual(JSON.parse(c.expected));
          break;
        case 'error':
          expect(() => processWord(c.input, get)).toThrow(c.expected);
          break;
        default:
          throw new Error(`unknown kind ${c.kind}`);
      }
    });
  }
});

describe('lexer options used by the parser', () => {
  it('skipUnsetEnv leaves unknown variables as written', () => {
    const none = (): undefined => undefined;
    expect(processWord('$A ${B} ${C:-x} ${D/a/b}', none, { skipUnsetEnv: true })).toBe('$A ${B} ${C:-x} ${D/a/b}');
  });
  it('rawQuotes and rawEscapes keep quotes and escapes', () => {
    expect(processWords(`<<"EOF" a\\ b`, () => undefined, { rawQuotes: true, rawEscapes: true })).toEqual(['<<"EOF"', 'a\\ b']);
  });
  it('skipProcessQuotes treats quotes as text but still expands', () => {
    expect(processWord(`echo "$FOO" '$FOO' \\$FOO`, get, { skipProcessQuotes: true })).toBe(`echo "foo" 'foo' $FOO`);
  });
  it('wraps errors with the source text', () => {
    expect(() => processWord('${X:?gone}', get)).toThrow('failed to process "${X:?gone}": X: gone');
  });
});
