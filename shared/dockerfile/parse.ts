// A Dockerfile's text → directives, meta ARGs and stages of typed instructions.
import { readFile } from 'node:fs/promises';
import { DockerfileError, KilnError } from '../errors.ts';
import { parseInstruction } from './instructions/parse-instruction.ts';
import type { ArgInstruction, Dockerfile, FromInstruction, Instruction, Stage } from './instructions/types.ts';
import { parseLines } from './parser/lines.ts';

export interface ParseOptions {
  /** The name used in error messages (e.g. the path given with --dockerfile). Default `Dockerfile`. */
  file?: string;
}

/** Parse a Dockerfile. Throws DockerfileError (E_DOCKERFILE_PARSE) naming the file and line. */
export function parseDockerfile(text: string, opts: ParseOptions = {}): Dockerfile {
  const file = opts.file ?? 'Dockerfile';
  const { directives, nodes, warnings } = parseLines(text, file);
  const instructions: Instruction[] = nodes.map((n) => parseInstruction(n, { file, escape: directives.escape }));
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const names = new Map<string, number>();
  for (const instr of instructions) {
    const loc = { file, start: instr.loc.start, end: instr.loc.end };
    if (instr.kind === 'FROM') {
      const stage: Stage = { index: stages.length, from: instr, instructions: [] };
      if (instr.name !== undefined) {
        if (names.has(instr.name)) {
          throw new DockerfileError('E_DOCKERFILE_PARSE', `duplicate stage name "${instr.name}"`, loc, {
            hint: `stage names are case-insensitive; "${instr.name}" is already the name of stage ${names.get(instr.name)}`,
          });
        }
        names.set(instr.name, stage.index);
        stage.name = instr.name;
      }
      stages.push(stage);
      continue;
    }
    const current = stages[stages.length - 1];
    if (current) current.instructions.push(instr);
    else if (instr.kind === 'ARG') metaArgs.push(instr);
    else {
      throw new DockerfileError('E_DOCKERFILE_PARSE', `no build stage in current context: ${instr.kind} before the first FROM`, loc, {
        hint: 'only ARG instructions may come before the first FROM',
      });
    }
  }
  if (stages.length === 0) {
    const last = instructions[instructions.length - 1] as Instruction;
    throw new DockerfileError('E_DOCKERFILE_PARSE', 'no FROM instruction: a Dockerfile needs at least one stage', {
      file, start: last.loc.start, end: last.loc.end,
    });
  }
  return { file, directives, metaArgs, stages, instructions, warnings };
}

/** Read and parse a Dockerfile; `file` in messages defaults to the path. */
export async function loadDockerfile(path: string, opts: ParseOptions = {}): Promise<Dockerfile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new KilnError('E_IO', `reading Dockerfile ${path}: ${(e as Error).message}`, {
      cause: e,
      hint: 'check --dockerfile and --context',
    });
  }
  return parseDockerfile(text, { file: opts.file ?? path });
}

/**
 * Parse an ONBUILD trigger taken from a base image's config (the `expression` text, heredoc
 * bodies included) into the instruction the child build runs at the start of its stage.
 */
export function parseOnbuildTrigger(expression: string, opts: ParseOptions = {}): Exclude<Instruction, FromInstruction> {
  const file = opts.file ?? 'ONBUILD trigger';
  const { directives, nodes } = parseLines(expression, file);
  const first = nodes[0] as (typeof nodes)[number];
  const loc = { file, start: first.start, end: first.end };
  if (nodes.length !== 1) {
    throw new DockerfileError('E_DOCKERFILE_PARSE', `ONBUILD trigger holds ${nodes.length} instructions, not one`, loc);
  }
  const cmd = first.cmd.toUpperCase();
  if (cmd === 'ONBUILD' || cmd === 'FROM' || cmd === 'MAINTAINER') {
    throw new DockerfileError('E_DOCKERFILE_PARSE', `${cmd} isn't allowed as an ONBUILD trigger`, loc);
  }
  return parseInstruction(first, { file, escape: directives.escape }) as Exclude<Instruction, FromInstruction>;
}
