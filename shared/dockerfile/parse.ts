// A Dockerfile's text → directives, meta ARGs and stages of typed instructions.
import { DockerfileError } from '../errors.ts';
import { parseInstruction } from './instructions/parse-instruction.ts';
import type { ArgInstruction, Dockerfile, Instruction, Stage } from './instructions/types.ts';
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
