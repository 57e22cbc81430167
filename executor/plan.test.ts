import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../shared/dockerfile/parse.ts';
import { createPlan, type PlanOptions } from './plan.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };
const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({ buildArgs: {}, platform: amd64, buildPlatform: amd64, skipUnusedStages: false, ...o });
const plan = (text: string, o: Partial<PlanOptions> = {}) => createPlan(parseDockerfile(text), opts(o));

describe('createPlan', () => {
  it('resolves meta ARGs in FROM (defaults, --build-arg, two levels) and classifies bases', () => {
    const p = plan('ARG REG=r.io\nARG IMG=${REG}/base:1\nFROM $IMG AS one\nFROM one\nFROM scratch\n', { buildArgs: { REG: 'mirror.io' } });
    expect(p.stages.map((s) => s.base)).toEqual([{ kind: 'image', ref: 'mirror.io/base:1' }, { kind: 'stage', index: 0 }, { kind: 'scratch' }]);
    expect(p.stages.map((s) => s.final)).toEqual([false, false, true]);
    expect(p.stages[0]?.metaArgs.get('IMG')).toBe('mirror.io/base:1');
  });

  it('--target stops at the named stage (case-insensitive) and --skip-unused-stages drops what it does not need', () => {
    const text = 'FROM a AS Build\nFROM b AS unused\nFROM c AS final\nCOPY --from=build /x /x\nFROM d\n';
    expect(plan(text, { target: 'FINAL' }).stages.map((s) => s.stage.index)).toEqual([0, 1, 2]);
    expect(plan(text, { target: 'final', skipUnusedStages: true }).stages.map((s) => s.stage.index)).toEqual([0, 2]);
    expect(() => plan(text, { target: 'nope' })).toThrow(/target stage "nope" could not be found/);
  });

  it('predefines the platform args for FROM lines', () => {
    const p = plan('FROM img-$TARGETARCH\n', { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    expect(p.stages[0]?.base).toEqual({ kind: 'image', ref: 'img-arm64' });
    expect(p.platformArgs.get('TARGETPLATFORM')).toBe('linux/arm64/v8');
  });

  it('an empty base name is a Dockerfile error with the line', () => {
    expect(() => plan('ARG X\nFROM $X\n')).toThrow(/Dockerfile:2: FROM \$X: the base image name is empty/);
  });
});
