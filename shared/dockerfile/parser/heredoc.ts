// Here-documents (BuildKit parser.go heredocFromMatch / heredocsFromLine).
import type { Heredoc } from '../instructions/types.ts';
import { processWords } from '../shell/lex.ts';

const RE_HEREDOC = /^(\d*)<<(-?)([^<]*)$/;
const noEnv = (): undefined => undefined;

export interface HeredocMarker {
  name: string;
  chomp: boolean;
  expand: boolean;
}

/** Parse one word like `<<EOF`, `<<-"EOF"`, `2<<'E'`; undefined when it is not a heredoc. */
export function parseHeredocMarker(word: string): HeredocMarker | undefined {
  const m = RE_HEREDOC.exec(word);
  if (!m) return undefined;
  const rest = m[3] ?? '';
  if (rest === '') return undefined;
  const words = processWords(rest, noEnv, { skipUnsetEnv: true });
  if (words.length !== 1) return undefined;
  const raw = processWords(rest, noEnv, { skipUnsetEnv: true, rawQuotes: true });
  const name = words[0] as string;
  const quotes = (s: string): number => (s.match(/['"]/g) ?? []).length;
  return { name, chomp: m[2] === '-', expand: quotes(name) === quotes(raw[0] ?? '') };
}

/** parseHeredocMarker, with a malformed marker (`<<'EOF`) read as no heredoc (BuildKit MustParseHeredoc). */
export function mustParseHeredocMarker(word: string): HeredocMarker | undefined {
  try {
    return parseHeredocMarker(word);
  } catch {
    return undefined;
  }
}

/** The heredoc markers of a logical line, in order. */
export function heredocMarkersOf(line: string): HeredocMarker[] {
  let words: string[];
  try {
    words = processWords(line, noEnv, { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  } catch {
    return [];
  }
  const out: HeredocMarker[] = [];
  for (const w of words) {
    const h = parseHeredocMarker(w);
    if (h) out.push(h);
  }
  return out;
}

/** The body with leading tabs removed from every line, for `<<-` (ChompHeredocContent). */
export function chompHeredoc(content: string): string {
  return content.replace(/^\t+/gm, '');
}

/** The body a heredoc delivers: tabs stripped when it was `<<-`. */
export function heredocBody(h: Heredoc): string {
  return h.chomp ? chompHeredoc(h.content) : h.content;
}
