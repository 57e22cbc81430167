import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../shared/dockerfile/index.ts';
import { createPlan, type PlanOptions } from './plan.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };
const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({ buildArgs: {}, platform: amd64, buildPlatform: amd64, skipUnusedStages: false, ...o });
const plan = (text: string, o: Partial<PlanOptions> = {}) => createPlan(parseDockerfile(text), opts(o));

describe('createPlan', () => {
  it('resolves meta ARGs in FROM (defaults, --build-arg, two levels) and classifies bases', () => {
    const p = plan('ARG REG=r.io\nARG IMG=${REG}/base:1\nFROM $IMG AS one\nFROM one\nFROM scratch\n', { buildArgs: { REG: 'mirror.io' } });
    expect(p.stages.map((s) => s.base)).toEqual([{ kind: 'image', ref: 'mirror.io/base:1' }, { kind: 'stage', index: 0 }, { kind: 'scratch' }]);
    expect(p.stages.map((s) => s.final)).toEqual([false, false, true]);
    expect(p.global.values.get('IMG')).toBe('mirror.io/base:1');
  });

  it('--target stops at the named stage (case-insensitive) and --skip-unused-stages drops what it does not need', () => {
    const text = 'FROM a AS Build\nFROM b AS unused\nFROM c AS final\nCOPY --from=build /x /x\nFROM d\n';
    expect(plan(text, { target: 'FINAL' }).stages.map((s) => s.stage.index)).toEqual([0, 1, 2]);
    expect(plan(text, { target: 'final', skipUnusedStages: true }).stages.map((s) => s.stage.index)).toEqual([0, 2]);
    expect(() => plan(text, { target: 'nope' })).toThrow(/target stage "nope" could not be found/);
  });

  it('RUN --mount from= and COPY --from=<index> are dependencies; readers list who reads a stage', () => {
    const text = 'FROM a AS one\nFROM b AS two\nFROM c AS three\nFROM d\nCOPY --from=1 /x /x\nRUN --mount=type=bind,from=one,target=/m true\n';
    const p = plan(text, { skipUnusedStages: true });
    expect(p.stages.map((s) => s.stage.index)).toEqual([0, 1, 3]);
    expect([...p.readers]).toEqual([[1, [3]], [0, [3]]]);
  });

  it('a stage copying from a later stage is built after it; a cycle is an error', () => {
    expect(plan('FROM a AS one\nCOPY --from=two /x /x\nFROM b AS two\n', { target: 'one' }).stages.map((s) => s.stage.index)).toEqual([1, 0]);
    expect(() => plan('FROM a AS one\nCOPY --from=two /x /x\nFROM b AS two\nCOPY --from=one /y /y\n')).toThrow(/circular dependency/);
    // the target is always built last: a stage that reads the target is not needed by it
    expect(plan('FROM a AS one\nCOPY --from=two /x /x\nFROM b AS two\n', { target: 'two' }).stages.map((s) => s.stage.index)).toEqual([1]);
  });

  it('predefines the platform args for FROM lines; FROM --platform picks the base platform', () => {
    const arm = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    const p = plan('FROM --platform=$BUILDPLATFORM img-$TARGETARCH AS b\nFROM img\n', { platform: arm });
    expect(p.stages.map((s) => s.base)).toEqual([{ kind: 'image', ref: 'img-arm64' }, { kind: 'image', ref: 'img' }]);
    expect(p.stages.map((s) => s.platform)).toEqual([amd64, arm]);
    const q = plan('FROM --platform=$BUILDPLATFORM img AS b\nFROM b\n', { platform: arm });
    expect(q.stages.map((s) => s.platform)).toEqual([amd64, amd64]); // a stage on a stage keeps its platform
    expect(p.global.values.get('TARGETPLATFORM')).toBe('linux/arm64/v8');
    expect(() => plan('FROM --platform=linux/a/b/c img\n')).toThrow(/Dockerfile:1: FROM --platform=linux\/a\/b\/c/);
  });

  it('an empty base name is a Dockerfile error with the line', () => {
    expect(() => plan('ARG X\nFROM $X\n')).toThrow(/Dockerfile:2: base name \(\$X\) should not be blank/);
  });
});
