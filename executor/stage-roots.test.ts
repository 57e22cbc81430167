import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../shared/dockerfile/index.ts';
import { createPlan } from './plan.ts';
import { stageRootSteps } from './stage-roots.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };
const text = [
  'FROM a AS deps', 'FROM b AS build', 'COPY --from=deps /x /x', 'FROM build AS test', 'FROM c', 'COPY --from=build /app /app',
  'RUN --mount=type=bind,from=deps,target=/m true',
].join('\n');
const plan = createPlan(parseDockerfile(text), { buildArgs: {}, platform: amd64, buildPlatform: amd64, skipUnusedStages: true });

describe('stageRootSteps', () => {
  it('container mode: all stages in "/", cleaned between stages, stages read later saved, the target never saved', () => {
    expect(plan.stages.map((s) => s.stage.index)).toEqual([0, 1, 3]);
    expect(stageRootSteps(plan, 'container')).toEqual([
      { index: 0, inTarget: true, cleanBefore: false, saveAfter: true, readLater: false },
      { index: 1, inTarget: true, cleanBefore: true, saveAfter: true, readLater: false },
      { index: 3, inTarget: true, cleanBefore: true, saveAfter: false, readLater: false },
    ]);
  });

  it('host mode: a directory per stage, nothing cleaned or saved', () => {
    expect(stageRootSteps(plan, 'host')).toEqual([
      { index: 0, inTarget: false, cleanBefore: false, saveAfter: false, readLater: true },
      { index: 1, inTarget: false, cleanBefore: false, saveAfter: false, readLater: true },
      { index: 3, inTarget: true, cleanBefore: false, saveAfter: false, readLater: false },
    ]);
  });

  it('a stage only used as a FROM base is not saved (its image is the next base)', () => {
    const p = createPlan(parseDockerfile('FROM a AS one\nFROM one\n'), { buildArgs: {}, platform: amd64, buildPlatform: amd64, skipUnusedStages: false });
    expect(stageRootSteps(p, 'container').map((s) => s.saveAfter)).toEqual([false, false]);
  });
});
