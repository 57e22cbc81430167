import { describe, expect, it } from 'vitest';
import { parseDockerfile, runCommandLine, type RunInstruction } from './index.ts';

const run = (text: string): RunInstruction => parseDockerfile(`FROM x\n${text}\n`).stages[0]!.instructions[0] as RunInstruction;

describe('runCommandLine', () => {
  it('runs the exec form as is and the shell form through SHELL', () => {
    expect(runCommandLine(run('RUN ["a", "b"]'))).toEqual({ argv: ['a', 'b'] });
    expect(runCommandLine(run('RUN echo hi'), ['/bin/bash', '-c'])).toEqual({ argv: ['/bin/bash', '-c', 'echo hi'] });
  });
  it('runs a lone heredoc body with the shell, tabs stripped for <<-', () => {
    expect(runCommandLine(run('RUN <<-EOF\n\techo a\n\tEOF'))).toEqual({ argv: ['/bin/sh', '-c', 'echo a\n'] });
  });
  it('runs a lone #! heredoc as a script file', () => {
    expect(runCommandLine(run('RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF'))).toEqual({
      argv: ['/bin/sh', '-c', '/dev/pipes/EOF'],
      script: { path: '/dev/pipes/EOF', content: '#!/usr/bin/env python3\nprint(1)\n' },
    });
  });
  it('hands other heredocs to the shell, reconstituted', () => {
    expect(runCommandLine(run('RUN cat <<A >/a && cat <<B >/b\n1\nA\n2\nB'))).toEqual({
      argv: ['/bin/sh', '-c', 'cat <<A >/a && cat <<B >/b\n1\nA\n2\nB'],
    });
  });
});
