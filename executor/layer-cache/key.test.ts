import { describe, expect, it } from 'vitest';
import { expandInstruction } from '../../shared/dockerfile/expand.ts';
import { parseDockerfile } from '../../shared/dockerfile/parse.ts';
import type { Instruction } from '../../shared/dockerfile/instructions/types.ts';
import { baseKey, canonicalJson, stepKey, type StepKeyInput } from './key.ts';

type StepInstruction = Exclude<Instruction, { kind: 'FROM' }>;

/** The first stage instruction of `text`, expanded with `vars` as the stage would. */
function instruction(text: string, vars: Record<string, string> = {}): StepInstruction {
  const df = parseDockerfile(`FROM scratch\n${text}\n`);
  const raw = df.stages[0]?.instructions[0];
  if (raw === undefined) throw new Error('no instruction');
  return expandInstruction(raw, (name) => vars[name]);
}

const amd64 = { os: 'linux', architecture: 'amd64' };
const parent = baseKey({ digest: `sha256:${'a'.repeat(64)}` }, amd64);

function key(over: Partial<StepKeyInput> & { instruction: StepInstruction }): string {
  return stepKey({ parent, platform: amd64, env: ['PATH=/usr/bin:/bin'], args: [], salt: '{}', ...over });
}

describe('stepKey', () => {
  it('is 64 lowercase hex and the same for the same inputs', () => {
    const a = key({ instruction: instruction('RUN make') });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(key({ instruction: instruction('RUN make') })).toBe(a);
  });

  it('changes when a resolved ARG value in the instruction changes (kaniko keys on the unexpanded text)', () => {
    const copy = (v: string): string => key({ instruction: instruction('COPY app-$VERSION.tar /opt/', { VERSION: v }) });
    expect(copy('1.0')).not.toBe(copy('1.1'));
    expect(copy('1.0')).toBe(copy('1.0'));
  });

  it('changes for RUN when an ARG value it sees changes, in any declaration order', () => {
    const run = instruction('RUN echo "$V" > /out');
    const a = key({ instruction: run, args: [{ key: 'V', value: '1' }, { key: 'W', value: 'x' }] });
    expect(key({ instruction: run, args: [{ key: 'V', value: '2' }, { key: 'W', value: 'x' }] })).not.toBe(a);
    expect(key({ instruction: run, args: [{ key: 'W', value: 'x' }, { key: 'V', value: '1' }] })).toBe(a);
  });

  it('ignores where the instruction is and how a variable was spelled, only what it resolves to', () => {
    const a = key({ instruction: instruction('COPY $F /x', { F: 'a.txt' }) });
    const moved = parseDockerfile('FROM scratch\n\n\n\nCOPY ${F} /x\n').stages[0]?.instructions[0] as StepInstruction;
    expect(key({ instruction: expandInstruction(moved, (n) => (n === 'F' ? 'a.txt' : undefined)) })).toBe(a);
    expect(key({ instruction: instruction('COPY a.txt /x') })).toBe(a);
  });

  it('changes with the parent, the platform, the env, the sources hash and the layer settings', () => {
    const i = instruction('COPY . /app');
    const a = key({ instruction: i, sources: 'h1' });
    expect(key({ instruction: i, sources: 'h2' })).not.toBe(a);
    expect(key({ instruction: i, sources: 'h1', parent: baseKey({ scratch: true }, amd64) })).not.toBe(a);
    expect(key({ instruction: i, sources: 'h1', platform: { os: 'linux', architecture: 'arm64' } })).not.toBe(a);
    expect(key({ instruction: i, sources: 'h1', env: ['PATH=/bin', 'A=1'] })).not.toBe(a);
    expect(key({ instruction: i, sources: 'h1', salt: '{"compression":"zstd"}' })).not.toBe(a);
    expect(key({ instruction: i, sources: 'h1', result: 'sha256:00' })).not.toBe(a);
  });

  it('includes RUN --mount specs (a secret by its id, never a value) and flags', () => {
    const plain = key({ instruction: instruction('RUN cat /run/secrets/tok') });
    const secret = key({ instruction: instruction('RUN --mount=type=secret,id=tok cat /run/secrets/tok') });
    expect(secret).not.toBe(plain);
    expect(key({ instruction: instruction('RUN --mount=type=secret,id=other cat /run/secrets/tok') })).not.toBe(secret);
    expect(key({ instruction: instruction('RUN --network=none make') })).not.toBe(key({ instruction: instruction('RUN make') }));
    expect(key({ instruction: instruction('COPY --chown=1:1 a /a') })).not.toBe(key({ instruction: instruction('COPY a /a') }));
    expect(key({ instruction: instruction('COPY --chmod=600 a /a') })).not.toBe(key({ instruction: instruction('COPY a /a') }));
  });

  it('chains: a different earlier step gives different later keys', () => {
    const first = (cmd: string): string => key({ instruction: instruction(`RUN ${cmd}`) });
    const second = (p: string): string => key({ instruction: instruction('RUN make'), parent: p });
    expect(second(first('apt-get update'))).not.toBe(second(first('apk update')));
  });
});

describe('baseKey', () => {
  it('tells images, stages and scratch apart, per platform', () => {
    const keys = [
      baseKey({ digest: `sha256:${'a'.repeat(64)}` }, amd64),
      baseKey({ digest: `sha256:${'b'.repeat(64)}` }, amd64),
      baseKey({ stageKey: 'a'.repeat(64) }, amd64),
      baseKey({ scratch: true }, amd64),
      baseKey({ scratch: true }, { os: 'linux', architecture: 'arm', variant: 'v7' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: undefined } })).toBe('{"a":{"d":[2,{"x":0,"y":1}]},"b":1}');
  });
});
