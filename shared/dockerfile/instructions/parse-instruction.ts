// A node (logical line) → a typed Instruction (BuildKit instructions/parse.go).
import type { Node } from '../parser/lines.ts';
import { parseWords, splitCommand, splitWhitespace } from '../parser/split.ts';
import { parseList } from './command-form.ts';
import { parseAdd, parseCopy } from './parse-copy.ts';
import { base, fail, flagsOf, located, stringFlag, type ParseRequest } from './parse-context.ts';
import { parseCmd, parseEntrypoint, parseHealthcheck, parseRun, parseShell } from './parse-run.ts';
import {
  INSTRUCTION_KINDS, type ArgDeclaration, type ArgInstruction, type FromInstruction, type Instruction,
  type InstructionKind, type KeyValue,
} from './types.ts';

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

function exactlyOne(req: ParseRequest): string {
  flagsOf(req, {});
  if (req.node.rest === '') fail(req, `${req.name} requires exactly one argument`);
  return req.node.rest;
}

function parseFrom(req: ParseRequest): FromInstruction {
  const flags = flagsOf(req, { platform: 'string' });
  const args = splitWhitespace(req.node.rest);
  let name: string | undefined;
  if (args.length === 3 && (args[1] as string).toLowerCase() === 'as') {
    name = (args[2] as string).toLowerCase();
    if (!STAGE_NAME.test(name)) {
      fail(req, `invalid name for build stage: "${args[2]}", name can't start with a number or contain symbols`);
    }
  } else if (args.length !== 1) fail(req, 'FROM requires either one or three arguments');
  const out: FromInstruction = { kind: 'FROM', ...base(req), image: args[0] as string };
  if (name !== undefined) out.name = name;
  const platform = stringFlag(flags, 'platform');
  if (platform !== undefined) out.platform = platform;
  return out;
}

/** ENV and LABEL: `K=V …` or the old `K V` form (BuildKit parseNameVal). Values keep their quotes. */
function parseNameVal(req: ParseRequest): KeyValue[] {
  flagsOf(req, {});
  const rest = req.node.rest;
  const words = parseWords(rest, req.escape);
  if (words.length === 0) fail(req, `${req.name} requires at least one argument`);
  if (!(words[0] as string).includes('=')) {
    const m = /^(\S+?)[\t\v\f\r ]+([^]*)$/u.exec(rest);
    if (!m) fail(req, `${req.name} must have two arguments`);
    return [{ key: m[1] as string, value: m[2] as string }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) fail(req, `Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (eq === 0) fail(req, `${req.name} names can not be blank`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

function parseArg(req: ParseRequest): ArgInstruction {
  flagsOf(req, {});
  const words = parseWords(req.node.rest, req.escape);
  if (words.length === 0) fail(req, 'ARG requires at least one argument');
  const args = words.map((w): ArgDeclaration => {
    const eq = w.indexOf('=');
    if (eq < 0) return { name: w };
    if (eq === 0) fail(req, 'ARG names can not be blank');
    return { name: w.slice(0, eq), value: w.slice(eq + 1) };
  });
  return { kind: 'ARG', ...base(req), args };
}

function parseOnbuild(req: ParseRequest, depth: number): Instruction {
  flagsOf(req, {});
  const rest = req.node.rest;
  if (rest === '') fail(req, 'ONBUILD requires at least one argument');
  const sub = splitCommand(rest);
  const trigger = sub.cmd.toUpperCase();
  if (trigger === 'ONBUILD') fail(req, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (trigger === 'FROM' || trigger === 'MAINTAINER') fail(req, `${trigger} isn't allowed as an ONBUILD trigger`);
  const line = req.raw.replace(/^\s*ONBUILD\s*/i, '');
  const node: Node = { ...req.node, ...sub, original: line };
  const instruction = dispatch({ ...req, node, name: trigger, raw: line }, depth + 1);
  // The trigger is stored as text in the image config: carry heredoc bodies along (BuildKit).
  const expression = req.node.heredocs.reduce((text, h) => `${text}\n${h.content}${h.name}`, line);
  return { kind: 'ONBUILD', ...base(req), expression, instruction };
}

function dispatch(req: ParseRequest, depth: number): Instruction {
  const b = (): { loc: ParseRequest['loc']; raw: string } => base(req);
  switch (req.name as InstructionKind) {
    case 'FROM': return parseFrom(req);
    case 'RUN': return parseRun(req);
    case 'CMD': return parseCmd(req);
    case 'ENTRYPOINT': return parseEntrypoint(req);
    case 'SHELL': return parseShell(req);
    case 'HEALTHCHECK': return parseHealthcheck(req);
    case 'COPY': return parseCopy(req);
    case 'ADD': return parseAdd(req);
    case 'ENV': return { kind: 'ENV', ...b(), env: parseNameVal(req) };
    case 'LABEL': return { kind: 'LABEL', ...b(), labels: parseNameVal(req) };
    case 'ARG': return parseArg(req);
    case 'ONBUILD': return parseOnbuild(req, depth);
    case 'MAINTAINER': return { kind: 'MAINTAINER', ...b(), maintainer: exactlyOne(req) };
    case 'USER': return { kind: 'USER', ...b(), user: exactlyOne(req) };
    case 'WORKDIR': return { kind: 'WORKDIR', ...b(), path: exactlyOne(req) };
    case 'STOPSIGNAL': return { kind: 'STOPSIGNAL', ...b(), signal: exactlyOne(req) };
    case 'EXPOSE': {
      flagsOf(req, {});
      const ports = splitWhitespace(req.node.rest).sort();
      if (ports.length === 0) fail(req, 'EXPOSE requires at least one argument');
      return { kind: 'EXPOSE', ...b(), ports };
    }
    case 'VOLUME': {
      flagsOf(req, {});
      const { args } = located(req, () => parseList(req.node.rest));
      if (args.length === 0) fail(req, 'VOLUME requires at least one argument');
      const volumes = args.map((v) => v.trim());
      if (volumes.includes('')) fail(req, 'VOLUME specified can not be an empty string');
      return { kind: 'VOLUME', ...b(), volumes };
    }
  }
  return unknown(req);
}

function unknown(req: ParseRequest): never {
  const near = INSTRUCTION_KINDS.find((k) => editDistance(k, req.name) <= 2);
  return fail(req, `unknown instruction: ${req.name}`, {
    hint: near ? `did you mean ${near}?` : `instructions are ${INSTRUCTION_KINDS.join(', ')}`,
  });
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** Parse one node. `file` and `escape` come from the whole Dockerfile. */
export function parseInstruction(node: Node, ctx: { file: string; escape: string }): Instruction {
  const req: ParseRequest = {
    node,
    name: node.cmd.toUpperCase(),
    file: ctx.file,
    escape: ctx.escape,
    loc: { start: node.start, end: node.end },
    raw: node.original.trim(),
  };
  return dispatch(req, 0);
}
