import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isKilnError } from '../errors.ts';
import { loadDockerfile, parseDockerfile, parseOnbuildTrigger } from './index.ts';

describe('parseDockerfile errors', () => {
  it('are DockerfileErrors with the file and the instruction lines', () => {
    let err: unknown;
    try {
      parseDockerfile('FROM x\nRUN a \\\n  b\nCOPY --nope=1 \\\n  a b\n', { file: 'build/Dockerfile.app' });
    } catch (e) {
      err = e;
    }
    expect(isKilnError(err)).toBe(true);
    expect(err).toMatchObject({
      name: 'DockerfileError',
      code: 'E_DOCKERFILE_PARSE',
      loc: { file: 'build/Dockerfile.app', start: 4, end: 5 },
      message: 'build/Dockerfile.app:4: unknown flag: nope',
      hint: 'COPY accepts --from, --chown, --chmod, --link, --parents, --exclude',
    });
  });
  it('suggest the instruction meant', () => {
    expect(() => parseDockerfile('FROM x\nWROKDIR /x\n')).toThrow(expect.objectContaining({ hint: 'did you mean WORKDIR?' }));
  });
});

describe('stages', () => {
  it('splits meta ARGs, stages and their instructions', () => {
    const df = parseDockerfile('ARG A\nFROM x AS One\nRUN a\nFROM one\nRUN b\nRUN c\n');
    expect(df.metaArgs.map((a) => a.loc.start)).toEqual([1]);
    expect(df.stages.map((s) => [s.index, s.name, s.instructions.length])).toEqual([[0, 'one', 1], [1, undefined, 2]]);
    expect(df.instructions).toHaveLength(6);
  });
});

describe('ONBUILD triggers', () => {
  it('keep heredoc bodies in the expression and parse back to the same instruction', () => {
    const df = parseDockerfile('FROM x\nONBUILD RUN <<EOF\necho hi\nEOF\n');
    const onbuild = df.stages[0]!.instructions[0]!;
    expect(onbuild.kind === 'ONBUILD' && onbuild.expression).toBe('RUN <<EOF\necho hi\nEOF');
    if (onbuild.kind !== 'ONBUILD') throw new Error('not ONBUILD');
    const again = parseOnbuildTrigger(onbuild.expression);
    expect(again).toMatchObject({ kind: 'RUN', heredocs: [{ name: 'EOF', content: 'echo hi\n' }] });
  });
  it('rejects triggers Docker rejects', () => {
    expect(() => parseOnbuildTrigger('FROM busybox')).toThrow("FROM isn't allowed as an ONBUILD trigger");
    expect(() => parseOnbuildTrigger('RUN a\nRUN b')).toThrow('holds 2 instructions');
  });
});

describe('loadDockerfile', () => {
  it('reads a file and names it in errors', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-dockerfile-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM busybox\nBOGUS x\n');
    await expect(loadDockerfile(file)).rejects.toThrow(`${file}:2: unknown instruction: BOGUS`);
    await expect(loadDockerfile(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'E_IO' });
  });
});
