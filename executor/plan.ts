// The build plan (STYLE.md §10: nothing with side effects happens before it is complete):
// the parsed Dockerfile, the global ARG scope (meta ARGs, platform args, --build-arg) resolved
// for FROM lines by shared/dockerfile, each stage's base classified (scratch, a stage, an
// image) with its `FROM --platform`, the target, and the stages to build in dependency order.
import {
  expandFrom, resolveGlobalScope, resolveStageRef, resolveTarget, stageBuildOrder, stageDependencies,
  type Dockerfile, type GlobalScope, type Stage,
} from '../shared/dockerfile/index.ts';
import { DockerfileError } from '../shared/errors.ts';
import { parsePlatform } from '../shared/image/index.ts';
import type { Platform } from '../shared/image/types.ts';

export type StageBase =
  | { kind: 'scratch' }
  | { kind: 'stage'; index: number }
  | { kind: 'image'; ref: string };

export interface PlannedStage {
  stage: Stage;
  base: StageBase;
  /** The platform this stage's base is resolved for: `FROM --platform`, else the target platform. */
  platform: Platform;
  /** The global scope: meta ARG and platform arg values (FROM lines, `ARG NAME` redeclarations). */
  global: GlobalScope;
  /** True for the stage whose image is the build result. */
  final: boolean;
}

export interface Plan {
  dockerfile: Dockerfile;
  /** Stages to build, dependencies before dependents (Dockerfile order where free). */
  stages: PlannedStage[];
  /** --build-arg values (Docker precedence: they win over ARG defaults). */
  buildArgs: ReadonlyMap<string, string>;
  platform: Platform;
  /** The platform args BuildKit predefines (TARGETPLATFORM, BUILDARCH, …) and meta ARGs. */
  global: GlobalScope;
  /** Stage index → the later planned stages that read its files (COPY --from, RUN --mount from=). */
  readers: ReadonlyMap<number, readonly number[]>;
}

export interface PlanOptions {
  buildArgs: Readonly<Record<string, string>>;
  target?: string;
  platform: Platform;
  buildPlatform: Platform;
  skipUnusedStages: boolean;
}

export function createPlan(dockerfile: Dockerfile, options: PlanOptions): Plan {
  const buildArgs = new Map(Object.entries(options.buildArgs));
  const platforms = { target: options.platform, build: options.buildPlatform };
  const global = resolveGlobalScope(dockerfile, { buildArgs, platforms });
  const target = resolveTarget(dockerfile, options.target).index;
  const deps = stageDependencies(dockerfile, { buildArgs, platforms });
  const roots = options.skipUnusedStages ? [target] : dockerfile.stages.filter((s) => s.index <= target).map((s) => s.index);
  // Whatever would come after the target is not needed by it (a stage that copies from the target).
  const all = stageBuildOrder(dockerfile, deps, roots);
  const order = all.slice(0, all.indexOf(target) + 1);
  const readers = new Map<number, number[]>();
  for (const i of order) {
    for (const d of deps[i] ?? []) if (d.via !== 'FROM') readers.set(d.index, [...new Set([...(readers.get(d.index) ?? []), i])]);
  }
  // Built in dependency order, a stage on another stage inherits its platform (BuildKit).
  const stagePlatforms = new Map<number, Platform>();
  const stages = order.map((i) => {
    const p = planStage(dockerfile, dockerfile.stages[i] as Stage, { global, platform: options.platform, final: i === target, platforms: stagePlatforms });
    stagePlatforms.set(i, p.platform);
    return p;
  });
  return {
    dockerfile,
    stages,
    buildArgs,
    platform: options.platform,
    global,
    readers,
  };
}

interface StageInputs {
  global: GlobalScope;
  platform: Platform;
  final: boolean;
  /** Platforms of the stages planned so far. */
  platforms: ReadonlyMap<number, Platform>;
}

function planStage(df: Dockerfile, stage: Stage, s: StageInputs): PlannedStage {
  const loc = { file: df.file, start: stage.from.loc.start, end: stage.from.loc.end };
  const from = expandFrom(stage.from, s.global);
  if (from.image === '') throw new DockerfileError('E_DOCKERFILE', `FROM ${stage.from.image}: the base image name is empty`, loc);
  let platform = s.platform;
  if (from.platform !== undefined && from.platform !== '') {
    try {
      platform = parsePlatform(from.platform);
    } catch (cause) {
      throw new DockerfileError('E_DOCKERFILE', `FROM --platform=${stage.from.platform}: "${from.platform}" is not a platform`, loc, { cause, hint: 'want os/arch[/variant], e.g. $BUILDPLATFORM or linux/arm64' });
    }
  }
  const ref = resolveStageRef(df, from.image, { before: stage.index });
  const base: StageBase = ref.kind === 'stage' ? { kind: 'stage', index: ref.index } : ref.kind === 'scratch' ? { kind: 'scratch' } : { kind: 'image', ref: from.image };
  if (ref.kind === 'stage') platform = s.platforms.get(ref.index) ?? platform;
  return { stage, base, platform, global: s.global, final: s.final };
}
