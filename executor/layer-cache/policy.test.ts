import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../shared/dockerfile/parse.ts';
import type { Instruction } from '../../shared/dockerfile/instructions/types.ts';
import { policyFor } from './policy.ts';

const step = (text: string): Exclude<Instruction, { kind: 'FROM' }> => {
  const i = parseDockerfile(`FROM scratch\n${text}\n`).stages[0]?.instructions[0];
  if (i === undefined) throw new Error('no instruction');
  return i;
};
const all = { runLayers: true, copyLayers: true };

describe('policyFor', () => {
  it('caches RUN with --cache-run-layers and COPY/ADD with --cache-copy-layers, as kaniko', () => {
    expect(policyFor(step('RUN make'), all)).toEqual({ kind: 'cached' });
    expect(policyFor(step('RUN make'), { ...all, runLayers: false })).toEqual({ kind: 'keyed' });
    expect(policyFor(step('COPY a b /x/'), all)).toEqual({ kind: 'cached', sources: ['a', 'b'] });
    expect(policyFor(step('COPY a /x'), { ...all, copyLayers: false })).toEqual({ kind: 'keyed', sources: ['a'] });
    expect(policyFor(step('ADD a.tar /x'), all)).toEqual({ kind: 'cached', sources: ['a.tar'] });
    for (const text of ['ENV A=1', 'ARG A', 'WORKDIR /x', 'USER 1', 'LABEL a=b', 'CMD ["x"]']) expect(policyFor(step(text), all), text).toEqual({ kind: 'keyed' });
  });

  it('hashes context bind mounts of RUN; steps whose inputs it cannot see chain on their result', () => {
    expect(policyFor(step('RUN --mount=type=bind,source=package.json,target=/p.json npm ci'), all)).toEqual({ kind: 'cached', sources: ['package.json'] });
    expect(policyFor(step('RUN --mount=type=bind,target=/ctx ls /ctx'), all)).toEqual({ kind: 'cached', sources: ['.'] });
    expect(policyFor(step('RUN --mount=type=bind,from=builder,target=/b ls /b'), all).kind).toBe('by-result');
    expect(policyFor(step('RUN --mount=type=cache,target=/c --mount=type=secret,id=t make'), all)).toEqual({ kind: 'cached' });
    expect(policyFor(step('COPY --from=builder /out /out'), all).kind).toBe('by-result');
    expect(policyFor(step('ADD https://example.invalid/f.tgz /f.tgz'), all).kind).toBe('by-result');
    expect(policyFor(step(`ADD --checksum=sha256:${'a'.repeat(64)} https://example.invalid/f.tgz local.txt /d/`), all)).toEqual({ kind: 'cached', sources: ['local.txt'] });
  });
});
