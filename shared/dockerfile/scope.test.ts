import { describe, expect, it } from 'vitest';
import { isKilnError } from '../errors.ts';
import {
  createStageScope, expandFrom, parseBuildArgs, parseDockerfile, resolveGlobalScope, unusedBuildArgs,
  type Platforms, type Stage,
} from './index.ts';

const platforms: Platforms = {
  target: { os: 'linux', architecture: 'arm64' },
  build: { os: 'linux', architecture: 'amd64' },
};

function run(text: string, buildArgs: string[] = [], baseEnv: string[] = []) {
  const df = parseDockerfile(text);
  const global = resolveGlobalScope(df, { buildArgs: parseBuildArgs(buildArgs, {}), platforms });
  const stage = df.stages[df.stages.length - 1] as Stage;
  const scope = createStageScope({ global, baseEnv });
  const out = stage.instructions.map((i) => scope.advance(i));
  return { df, global, scope, out };
}

describe('parseBuildArgs', () => {
  it('takes NAME=value, and a bare NAME from the environment when set there', () => {
    const args = parseBuildArgs(['A=1', 'B=', 'C', 'D', 'E=x=y'], { C: 'from-env', D: undefined });
    expect([...args]).toEqual([['A', '1'], ['B', ''], ['C', 'from-env'], ['E', 'x=y']]);
  });
});

describe('global scope', () => {
  it('has the platform args and lets --build-arg override them', () => {
    const df = parseDockerfile('FROM --platform=$BUILDPLATFORM img:$TARGETARCH\n');
    const g = resolveGlobalScope(df, { buildArgs: new Map([['TARGETARCH', 'riscv64']]), platforms });
    expect(g.values.get('BUILDPLATFORM')).toBe('linux/amd64');
    expect(expandFrom(df.stages[0]!.from, g)).toMatchObject({ image: 'img:riscv64', platform: 'linux/amd64' });
  });
  it('does not let undeclared build args or proxy args into FROM', () => {
    const df = parseDockerfile('FROM img:${TAG:-none}${HTTP_PROXY}\n');
    const g = resolveGlobalScope(df, { buildArgs: new Map([['TAG', '1'], ['HTTP_PROXY', 'p']]), platforms });
    expect(expandFrom(df.stages[0]!.from, g).image).toBe('img:none');
  });
});

describe('stage scope', () => {
  it('lets the base image ENV win over an ARG of the same name', () => {
    const { out, scope } = run('FROM x\nARG PATH=/argpath\nWORKDIR $PATH\n', [], ['PATH=/usr/bin']);
    expect(out[1]).toMatchObject({ kind: 'WORKDIR', path: '/usr/bin' });
    expect(scope.runEnv()).toEqual(['PATH=/usr/bin']);
    expect(scope.args()).toEqual([{ key: 'PATH', value: '/argpath' }]);
  });
  it('sees an ARG only after its declaration, and --build-arg over the default', () => {
    const { out, scope } = run('FROM x\nWORKDIR /$V\nARG V=default\nWORKDIR /$V\n', ['V=cli']);
    expect(out.map((i) => (i.kind === 'WORKDIR' ? i.path : i.kind))).toEqual(['/', 'ARG', '/cli']);
    expect(scope.consumed()).toEqual(new Set(['V']));
  });
  it('inherits a meta ARG value with a bare ARG, but not a stage default', () => {
    const { out } = run('ARG M=meta\nFROM x\nARG M\nARG N\nENV R=$M-$N\n');
    expect(out[2]).toMatchObject({ kind: 'ENV', env: [{ key: 'R', value: 'meta-' }] });
  });
  it('redeclaring an ARG later replaces its value', () => {
    const { scope } = run('FROM x\nARG A=1\nARG A=2\n');
    expect(scope.args()).toEqual([{ key: 'A', value: '2' }]);
  });
  it('keeps undeclared proxy args out of args() (history) but gives them to RUN', () => {
    const { scope } = run('FROM x\nARG no_proxy\n', ['HTTPS_PROXY=http://p', 'no_proxy=localhost']);
    expect(scope.args()).toEqual([{ key: 'no_proxy', value: 'localhost' }]);
    expect(scope.runEnv()).toEqual(['no_proxy=localhost', 'HTTPS_PROXY=http://p']);
  });
  it('expand is pure and does not declare anything', () => {
    const df = parseDockerfile('FROM x\nARG A=1\n');
    const global = resolveGlobalScope(df, { buildArgs: new Map(), platforms });
    const scope = createStageScope({ global });
    const arg = df.stages[0]!.instructions[0]!;
    const before = JSON.stringify(arg);
    scope.expand(arg);
    expect(scope.args()).toEqual([]);
    expect(JSON.stringify(arg)).toBe(before);
  });
  it('reports expansion errors as DockerfileError at the instruction line', () => {
    let err: unknown;
    try {
      run('FROM x\n\nUSER ${U:?set U}\n');
    } catch (e) {
      err = e;
    }
    expect(isKilnError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'E_DOCKERFILE', loc: { file: 'Dockerfile', start: 3, end: 3 } });
    expect((err as Error).message).toBe('Dockerfile:3: failed to process "${U:?set U}": U: set U');
  });
});

describe('unusedBuildArgs', () => {
  it('lists build args no ARG declares, ignoring proxy and platform args', () => {
    const df = parseDockerfile('ARG META\nFROM x\nARG USED\n');
    const args = new Map(['META', 'USED', 'EXTRA', 'HTTP_PROXY', 'TARGETARCH', 'ANOTHER'].map((k) => [k, 'v']));
    expect(unusedBuildArgs(df, args)).toEqual(['ANOTHER', 'EXTRA']);
  });
});
