// Text → logical lines (nodes), as BuildKit's parser.Parse: parser directives at the top,
// comments, line continuations with the escape token, empty continuation lines, heredoc bodies.
import { DockerfileError } from '../../errors.ts';
import type { Directives, Heredoc } from '../instructions/types.ts';
import { heredocMarkersOf } from './heredoc.ts';
import { splitCommand } from './split.ts';

export interface Node {
  /** Instruction word, lowercased. */
  cmd: string;
  flags: string[];
  /** Arguments after the flags, trimmed. */
  rest: string;
  /** The logical line (continuations joined). */
  original: string;
  start: number;
  end: number;
  heredocs: Heredoc[];
}

export interface Warning {
  line: number;
  message: string;
}

export interface LinesResult {
  directives: Directives;
  nodes: Node[];
  warnings: Warning[];
}

const RE_DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const VALID_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_COMMANDS = new Set(['run', 'copy', 'add']);

/** Split into lines keeping their endings (bufio scanLines variant). */
function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const trimNewline = (s: string): string => s.replace(/[\r\n]+$/, '');
const trimLeft = (s: string): string => s.replace(/^\s+/u, '');
const isComment = (s: string): boolean => trimLeft(trimNewline(s)).startsWith('#');

interface DirectiveState {
  done: boolean;
  values: Directives;
  seen: Set<string>;
}

function parseDirective(state: DirectiveState, line: string, loc: { file: string; line: number }): void {
  if (state.done) return;
  if (!line.startsWith('#')) {
    state.done = true;
    return;
  }
  const m = RE_DIRECTIVE.exec(trimLeft(line.slice(1)));
  const key = m?.[1]?.toLowerCase();
  if (!m || key === undefined || !VALID_DIRECTIVES.has(key)) {
    state.done = true;
    return;
  }
  const at = { file: loc.file, start: loc.line, end: loc.line };
  if (state.seen.has(key)) {
    throw new DockerfileError('E_DOCKERFILE_PARSE', `only one ${key} parser directive can be used`, at);
  }
  state.seen.add(key);
  const value = m[2] as string;
  if (key === 'escape') {
    if (value !== '`' && value !== '\\') {
      throw new DockerfileError('E_DOCKERFILE_PARSE', `invalid escape token '${value}' does not match \` or \\`, at);
    }
    state.values.escape = value;
  } else if (key === 'syntax') state.values.syntax = value;
  else state.values.check = value;
}

function continuationRegex(escape: string): RegExp {
  const e = escape === '`' ? '`' : '\\\\';
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

/** Remove a trailing continuation token; `ends` is false when the line continues. */
function trimContinuation(line: string, re: RegExp): { line: string; ends: boolean } {
  if (!re.test(line)) return { line, ends: true };
  return { line: line.replace(re, '$1'), ends: false };
}

function canContainHeredoc(node: { cmd: string; rest: string }): boolean {
  let { cmd, rest } = node;
  if (cmd === 'onbuild') ({ cmd, rest } = splitCommand(rest));
  if (!HEREDOC_COMMANDS.has(cmd)) return false;
  return !looksLikeJsonArray(rest);
}

/** True when `rest` is a JSON array (the exec / JSON form). */
export function looksLikeJsonArray(rest: string): boolean {
  const t = trimLeft(rest);
  if (!t.startsWith('[')) return false;
  try {
    return Array.isArray(JSON.parse(t));
  } catch {
    return false;
  }
}

/** Parse a Dockerfile's text into directives and logical-line nodes. */
export function parseLines(text: string, file: string): LinesResult {
  const lines = splitLines(text.replace(/^\uFEFF/, ''));
  const dir: DirectiveState = { done: false, values: { escape: '\\' }, seen: new Set() };
  const nodes: Node[] = [];
  const warnings: Warning[] = [];
  let i = 0;
  let contRe = continuationRegex('\\');
  const processLine = (raw: string, first: boolean, lineNo: number): string => {
    let t = trimNewline(raw);
    if (first) t = trimLeft(t);
    parseDirective(dir, t, { file, line: lineNo });
    contRe = continuationRegex(dir.values.escape);
    return t.startsWith('#') ? '' : t;
  };
  while (i < lines.length) {
    const startLine = i + 1;
    const first = trimContinuation(processLine(lines[i] as string, true, startLine), contRe);
    i++;
    if (first.ends && first.line === '') continue;
    let line = first.line;
    let ends = first.ends;
    let emptyContinuation = false;
    while (!ends && i < lines.length) {
      const raw = lines[i] as string;
      const t = processLine(raw, false, i + 1);
      i++;
      if (isComment(raw)) continue;
      if (trimLeft(t) === '') {
        emptyContinuation = true;
        continue;
      }
      const c = trimContinuation(t, contRe);
      line += c.line;
      ends = c.ends;
    }
    if (emptyContinuation) warnings.push({ line: startLine, message: `empty continuation line found in: ${line}` });
    const split = splitCommand(line);
    const node: Node = { ...split, original: line, start: startLine, end: i, heredocs: [] };
    if (canContainHeredoc(node)) i = readHeredocs(node, lines, i, file);
    nodes.push(node);
  }
  if (nodes.length === 0) {
    throw new DockerfileError('E_DOCKERFILE_PARSE', 'file with no instructions', { file, start: lines.length, end: lines.length });
  }
  return { directives: dir.values, nodes, warnings };
}

/** Read the bodies of the node's heredocs from the following lines; returns the next line index. */
function readHeredocs(node: Node, lines: string[], from: number, file: string): number {
  let i = from;
  let markers;
  try {
    markers = heredocMarkersOf(node.original);
  } catch (e) {
    throw new DockerfileError('E_DOCKERFILE_PARSE', (e as Error).message, { file, start: node.start, end: i }, { cause: e });
  }
  for (const m of markers) {
    let content = '';
    let terminated = false;
    while (i < lines.length) {
      const raw = lines[i] as string;
      i++;
      let candidate = trimNewline(raw);
      if (m.chomp) candidate = candidate.replace(/^\t+/, '');
      if (candidate === m.name) {
        terminated = true;
        break;
      }
      content += raw;
    }
    if (!terminated) {
      throw new DockerfileError('E_DOCKERFILE_PARSE', 'unterminated heredoc', { file, start: node.start, end: i });
    }
    node.heredocs.push({ name: m.name, content, chomp: m.chomp, expand: m.expand });
  }
  node.end = i;
  return i;
}
