import { describe, expect, it } from 'vitest';
import { expandInstruction, parseDockerfile, type Instruction } from './index.ts';

const env = new Map([['A', 'a'], ['PORTS', '80 443'], ['HOME', '/root'], ['UID', '1000']]);
const get = (n: string): string | undefined => env.get(n);
const first = (text: string): Instruction => parseDockerfile(`FROM x\n${text}\n`).stages[0]!.instructions[0]!;

describe('expandInstruction', () => {
  it('leaves RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER and ONBUILD bodies to the shell', () => {
    for (const line of ['RUN echo $A', 'CMD echo $A', 'ENTRYPOINT ["$A"]', 'SHELL ["$A"]', 'HEALTHCHECK CMD $A', 'MAINTAINER $A', 'ONBUILD ENV X=$A']) {
      const instr = first(line);
      expect(expandInstruction(instr, get)).toEqual(instr);
    }
  });
  it('splits EXPOSE words after expansion (sorted as written, as BuildKit)', () => {
    expect(expandInstruction(first('EXPOSE 22 $PORTS'), get)).toMatchObject({ ports: ['80', '443', '22'] });
  });
  it('expands COPY flags, sources and destination but keeps heredoc quotes', () => {
    const copy = first('COPY --from=$A --chown=$UID:$UID --chmod=${MODE:-755} --exclude=$A* src-$A <<EOF /dst/$A\necho "$A" \'$A\' \\$A\nEOF');
    expect(expandInstruction(copy, get)).toMatchObject({
      from: 'a', chown: '1000:1000', chmod: '755', exclude: ['a*'], sources: ['src-a'], dest: '/dst/a',
      inline: [{ path: 'EOF', data: 'echo "a" \'a\' $A\n', expand: true }],
    });
  });
  it('re-parses --mount values after expansion', () => {
    const run = first('RUN --mount=type=cache,target=$HOME/.cache,uid=$UID,id=c-$A true');
    expect(run).toMatchObject({ mounts: [{ target: '$HOME/.cache', id: 'c-$A' }] });
    expect(run.kind === 'RUN' && run.mounts[0]).not.toHaveProperty('uid');
    expect(expandInstruction(run, get)).toMatchObject({ mounts: [{ target: '/root/.cache', id: 'c-a', uid: 1000 }] });
  });
  it('validates a --chmod that only exists after expansion', () => {
    expect(() => expandInstruction(first('COPY --chmod=$A x y'), get)).toThrow('Dockerfile:2: invalid chmod parameter: "a"');
  });
  it('returns a new value and never mutates its input', () => {
    const env1 = first('ENV B=$A C="$A b"');
    const snapshot = structuredClone(env1);
    const out = expandInstruction(env1, get);
    expect(out).toMatchObject({ env: [{ key: 'B', value: 'a' }, { key: 'C', value: 'a b' }] });
    expect(env1).toEqual(snapshot);
  });
  it('honours the escape directive', () => {
    const df = parseDockerfile('# escape=`\nFROM x\nWORKDIR C:\\app`$A\n');
    const wd = df.stages[0]!.instructions[0]!;
    expect(expandInstruction(wd, get, { escapeToken: '`' })).toMatchObject({ path: 'C:\\app$A' });
  });
});
