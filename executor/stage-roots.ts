// Which root each planned stage builds in, and what happens to it around the stage. Host mode:
// every stage but the target gets a fresh directory and keeps it until the build ends. Container
// mode (root "/", kaniko's model): every stage builds in "/"; before each stage after the first
// the root is emptied of the previous stage's files (root/clean-root.ts), and a stage whose files
// a later stage reads (COPY --from, RUN --mount from=) is saved first (stage-sources.ts).
import type { Plan } from './plan.ts';
import type { RootMode } from './root/workspace.ts';

export interface StageRootStep {
  index: number;
  /** Build in the target root (the target stage; every stage in container mode). */
  inTarget: boolean;
  /** Empty the root before extracting this stage's base. */
  cleanBefore: boolean;
  /** Keep this stage's files for later readers once it is built (container mode: from its image). */
  saveAfter: boolean;
  /** Host mode: later stages read this stage's own root, so its base is unpacked whatever its steps. */
  readLater: boolean;
}

export function stageRootSteps(plan: Pick<Plan, 'stages' | 'readers'>, mode: RootMode): StageRootStep[] {
  return plan.stages.map((p, n) => {
    const container = mode === 'container';
    return {
      index: p.stage.index,
      inTarget: p.final || container,
      cleanBefore: container && n > 0,
      saveAfter: container && !p.final && plan.readers.has(p.stage.index),
      readLater: !container && plan.readers.has(p.stage.index),
    };
  });
}
