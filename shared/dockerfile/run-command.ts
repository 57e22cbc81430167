// What a RUN executes, as BuildKit's dispatchRun decides from the command form and heredocs:
// exec form runs as is; shell form runs as [...shell, command]; a RUN whose command is a
// single heredoc runs the body with the shell (a `#!` body as a script file the shell runs);
// other heredocs are handed to the shell to interpret.
import { heredocBody, mustParseHeredocMarker as parseHeredocMarker } from './parser/heredoc.ts';
import type { RunInstruction } from './instructions/types.ts';

export interface RunCommandLine {
  /** The argv to execute. */
  argv: string[];
  /**
   * A script the command needs at `path` (mode 0755) for the duration of the RUN: BuildKit
   * mounts it at `/dev/pipes/<name>`. Present only for a single `#!` heredoc.
   */
  script?: { path: string; content: string };
}

/** The argv for a RUN given the stage's SHELL (default `['/bin/sh', '-c']`). */
export function runCommandLine(run: RunInstruction, shell: readonly string[] = ['/bin/sh', '-c']): RunCommandLine {
  if (run.command.form === 'exec') return { argv: [...run.command.args] };
  const command = run.command.command;
  const first = run.heredocs[0];
  if (first === undefined) return { argv: [...shell, command] };
  if (parseHeredocMarker(command) !== undefined) {
    const body = heredocBody(first);
    if (first.content.startsWith('#!')) {
      const path = `/dev/pipes/${first.name}`;
      return { argv: [...shell, path], script: { path, content: body } };
    }
    return { argv: [...shell, body] };
  }
  let full = command;
  for (const h of run.heredocs) full += '\n' + h.content + h.name;
  return { argv: [...shell, full] };
}
