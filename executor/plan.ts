// The build plan (STYLE.md §10: nothing with side effects happens before it is complete):
// the parsed Dockerfile, meta ARGs resolved for FROM lines, each stage's base classified
// (scratch, an earlier stage, an external image), the target, and the stages to build.
import type { Dockerfile, Stage } from '../shared/dockerfile/instructions/types.ts';
import { processWord } from '../shared/dockerfile/shell/lex.ts';
import { DockerfileError, KilnError } from '../shared/errors.ts';
import { formatPlatform } from '../shared/image/platform.ts';
import type { Platform } from '../shared/image/types.ts';

export type StageBase =
  | { kind: 'scratch' }
  | { kind: 'stage'; index: number }
  | { kind: 'image'; ref: string };

export interface PlannedStage {
  stage: Stage;
  base: StageBase;
  /** The meta ARG values visible to this stage's FROM line (and to `ARG NAME` redeclarations). */
  metaArgs: ReadonlyMap<string, string>;
  /** True for the stage whose image is the build result. */
  final: boolean;
}

export interface Plan {
  dockerfile: Dockerfile;
  /** Stages to build, in Dockerfile order (dependencies always come earlier). */
  stages: PlannedStage[];
  /** --build-arg values (Docker precedence: they win over ARG defaults). */
  buildArgs: ReadonlyMap<string, string>;
  platform: Platform;
  /** The platform args BuildKit predefines (TARGETPLATFORM, BUILDARCH, …). */
  platformArgs: ReadonlyMap<string, string>;
}

export interface PlanOptions {
  buildArgs: Readonly<Record<string, string>>;
  target?: string;
  platform: Platform;
  buildPlatform: Platform;
  skipUnusedStages: boolean;
}

export function platformArgs(target: Platform, build: Platform): Map<string, string> {
  const m = new Map<string, string>();
  const set = (prefix: string, p: Platform): void => {
    m.set(`${prefix}PLATFORM`, formatPlatform(p));
    m.set(`${prefix}OS`, p.os);
    m.set(`${prefix}ARCH`, p.architecture);
    m.set(`${prefix}VARIANT`, p.variant ?? '');
  };
  set('TARGET', target);
  set('BUILD', build);
  return m;
}

export function createPlan(dockerfile: Dockerfile, options: PlanOptions): Plan {
  const buildArgs = new Map(Object.entries(options.buildArgs));
  const pArgs = platformArgs(options.platform, options.buildPlatform);
  const meta = new Map<string, string>(pArgs);
  for (const a of dockerfile.metaArgs) {
    for (const d of a.args) {
      const env = (n: string): string | undefined => meta.get(n);
      const value = buildArgs.get(d.name) ?? (d.value !== undefined ? processWord(d.value, env) : undefined);
      if (value !== undefined) meta.set(d.name, value);
    }
  }
  const targetIndex = findTarget(dockerfile, options.target);
  const planned = dockerfile.stages.slice(0, targetIndex + 1).map((stage) => planStage(dockerfile, stage, meta, targetIndex));
  const needed = options.skipUnusedStages ? neededStages(planned, targetIndex) : new Set(planned.map((p) => p.stage.index));
  return {
    dockerfile,
    stages: planned.filter((p) => needed.has(p.stage.index)),
    buildArgs,
    platform: options.platform,
    platformArgs: pArgs,
  };
}

function findTarget(df: Dockerfile, target: string | undefined): number {
  if (target === undefined || target === '') return df.stages.length - 1;
  const hit = df.stages.find((s) => s.name === target.toLowerCase());
  if (hit === undefined) {
    const names = df.stages.map((s) => s.name).filter((n) => n !== undefined);
    throw new KilnError('E_DOCKERFILE', `target stage "${target}" could not be found`, {
      hint: names.length > 0 ? `the stages are: ${names.join(', ')}` : 'the Dockerfile has no named stages',
    });
  }
  return hit.index;
}

function planStage(df: Dockerfile, stage: Stage, meta: Map<string, string>, targetIndex: number): PlannedStage {
  const loc = { file: df.file, start: stage.from.loc.start, end: stage.from.loc.end };
  const image = processWord(stage.from.image, (n) => meta.get(n));
  if (image === '') throw new DockerfileError('E_DOCKERFILE', `FROM ${stage.from.image}: the base image name is empty`, loc);
  if (stage.from.platform !== undefined) {
    throw new KilnError('E_NOT_IMPLEMENTED', `${df.file}:${loc.start}: FROM --platform is not implemented yet`);
  }
  return { stage, base: classifyBase(df, stage, image), metaArgs: new Map(meta), final: stage.index === targetIndex };
}

function classifyBase(df: Dockerfile, stage: Stage, image: string): StageBase {
  if (image.toLowerCase() === 'scratch') return { kind: 'scratch' };
  const earlier = df.stages.find((s) => s.index < stage.index && s.name === image.toLowerCase());
  if (earlier !== undefined) return { kind: 'stage', index: earlier.index };
  return { kind: 'image', ref: image };
}

/** The target and every stage it depends on through FROM and COPY --from. */
function neededStages(planned: PlannedStage[], targetIndex: number): Set<number> {
  const byName = new Map(planned.filter((p) => p.stage.name !== undefined).map((p) => [p.stage.name as string, p.stage.index]));
  const need = new Set<number>();
  const visit = (i: number): void => {
    if (need.has(i)) return;
    need.add(i);
    const p = planned[i];
    if (p === undefined) return;
    if (p.base.kind === 'stage') visit(p.base.index);
    for (const instr of p.stage.instructions) {
      if (instr.kind !== 'COPY' || instr.from === undefined) continue;
      const from = instr.from.toLowerCase();
      const dep = byName.get(from) ?? (/^\d+$/.test(from) ? Number(from) : undefined);
      if (dep !== undefined && dep < p.stage.index) visit(dep);
    }
  };
  visit(targetIndex);
  return need;
}
