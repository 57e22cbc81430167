import { describe, expect, it } from 'vitest';
import { baseImagesOf, parseDockerfile, resolveStageRef, resolveTarget, stageDependencies, stagesNeeded } from './index.ts';

const text = `ARG GO=1.22
FROM golang:\${GO} AS Build
FROM build AS test
RUN --mount=type=cache,target=/c,from=tools true
FROM busybox AS tools
FROM scratch
COPY --from=build /app /app
COPY --from=1 /t /t
`;

describe('stages', () => {
  const df = parseDockerfile(text);
  it('resolves --target case-insensitively and defaults to the last stage', () => {
    expect(resolveTarget(df, 'BUILD').index).toBe(0);
    expect(resolveTarget(df).index).toBe(3);
  });
  it('names the stages when --target is unknown', () => {
    expect(() => resolveTarget(df, 'nope')).toThrow(expect.objectContaining({
      code: 'E_DOCKERFILE',
      message: 'target stage "nope" could not be found in Dockerfile',
      hint: 'stages are: build, test, tools',
    }));
  });
  it('tells stages, images and scratch apart', () => {
    expect(resolveStageRef(df, 'Build')).toEqual({ kind: 'stage', index: 0 });
    expect(resolveStageRef(df, '2')).toEqual({ kind: 'stage', index: 2 });
    expect(resolveStageRef(df, 'scratch')).toEqual({ kind: 'scratch' });
    expect(resolveStageRef(df, 'tools', { before: 1 })).toEqual({ kind: 'image', ref: 'tools' });
  });
  it('finds dependencies through FROM, COPY --from and RUN --mount from=', () => {
    expect(stageDependencies(df)).toEqual([
      [],
      [{ index: 0, via: 'FROM' }, { index: 2, via: 'MOUNT' }],
      [],
      [{ index: 0, via: 'COPY' }, { index: 1, via: 'COPY' }],
    ]);
  });
  it('orders the stages a target needs, dependencies first', () => {
    expect(stagesNeeded(df).map((s) => s.index)).toEqual([0, 2, 1, 3]);
    expect(stagesNeeded(df, 'test').map((s) => s.name)).toEqual(['build', 'tools', 'test']);
    expect(stagesNeeded(df, 'tools').map((s) => s.name)).toEqual(['tools']);
  });
  it('lists the external images with meta args and build args applied', () => {
    expect(baseImagesOf(df)).toEqual(['golang:1.22', 'busybox']);
    expect(baseImagesOf(df, { buildArgs: new Map([['GO', '1.23']]), target: 'build' })).toEqual(['golang:1.23']);
  });
});
