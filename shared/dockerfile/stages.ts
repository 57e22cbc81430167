// Stages: names (case-insensitive), --target, dependencies (FROM <stage>, COPY --from,
// RUN --mount from=), the stages a target needs (--skip-unused-stages) and the external
// images a build needs (the warmer).
import { DockerfileError, KilnError } from '../errors.ts';
import type { Dockerfile, Instruction, Stage } from './instructions/types.ts';
import { expandFrom, hostPlatforms, resolveGlobalScope, type GlobalScope, type Platforms } from './scope.ts';
import { processWord } from './shell/lex.ts';

export type StageRef = { kind: 'stage'; index: number } | { kind: 'image'; ref: string } | { kind: 'scratch' };

const INDEX = /^[+-]?\d+$/;

function stageLoc(df: Dockerfile, instr: Instruction): { file: string; start: number; end: number } {
  return { file: df.file, start: instr.loc.start, end: instr.loc.end };
}

/**
 * What a `--from` / `from=` / FROM value names. `before` limits stage names to the stages
 * defined before it (FROM, as BuildKit); an index must name an existing stage.
 */
export function resolveStageRef(df: Dockerfile, ref: string, opts: { before?: number; at?: Instruction } = {}): StageRef {
  if (ref.toLowerCase() === 'scratch') return { kind: 'scratch' };
  const limit = opts.before ?? df.stages.length;
  if (INDEX.test(ref) && opts.before === undefined) {
    const index = parseInt(ref, 10);
    if (index < 0 || index >= df.stages.length) {
      const loc = opts.at ? stageLoc(df, opts.at) : { file: df.file, start: 1, end: 1 };
      throw new DockerfileError('E_DOCKERFILE', `invalid stage index ${ref}`, loc, {
        hint: `this Dockerfile has stages 0 to ${df.stages.length - 1}`,
      });
    }
    return { kind: 'stage', index };
  }
  const name = ref.toLowerCase();
  const stage = df.stages.find((s) => s.name === name && s.index < limit);
  return stage ? { kind: 'stage', index: stage.index } : { kind: 'image', ref };
}

/** The stage `--target` names (last stage when undefined). Unknown: an error listing the names. */
export function resolveTarget(df: Dockerfile, target?: string): Stage {
  if (target === undefined || target === '') return df.stages[df.stages.length - 1] as Stage;
  const stage = df.stages.find((s) => s.name === target.toLowerCase());
  if (stage) return stage;
  const names = df.stages.flatMap((s) => (s.name ? [s.name] : []));
  throw new KilnError('E_DOCKERFILE', `target stage "${target}" could not be found in ${df.file}`, {
    hint: names.length ? `stages are: ${names.join(', ')}` : 'the Dockerfile names no stage (use FROM … AS name)',
  });
}

export interface StageDependency {
  index: number;
  via: 'FROM' | 'COPY' | 'MOUNT';
}

interface Reference {
  ref: StageRef;
  via: StageDependency['via'];
}

/** Every image or stage a stage reads: its base, COPY --from and RUN --mount from=. */
function referencesOf(df: Dockerfile, stage: Stage, global: GlobalScope): Reference[] {
  const from = expandFrom(stage.from, global);
  const out: Reference[] = [{ ref: resolveStageRef(df, from.image, { before: stage.index }), via: 'FROM' }];
  const word = (s: string): string => (s.includes('$') ? processWord(s, (n) => global.values.get(n), { escapeToken: global.escapeToken }) : s);
  for (const instr of stage.instructions) {
    if (instr.kind === 'COPY' && instr.from !== undefined) {
      out.push({ ref: resolveStageRef(df, word(instr.from), { at: instr }), via: 'COPY' });
    }
    if (instr.kind === 'RUN') {
      for (const m of instr.mounts) {
        if ((m.type === 'bind' || m.type === 'cache') && m.from !== undefined) {
          out.push({ ref: resolveStageRef(df, m.from, { at: instr }), via: 'MOUNT' });
        }
      }
    }
  }
  return out;
}

export interface StagePlanOptions {
  /** Resolved --build-arg values (parseBuildArgs). */
  buildArgs?: ReadonlyMap<string, string>;
  /** Default: linux on this machine's architecture (hostPlatforms). */
  platforms?: Platforms;
}

function globalOf(df: Dockerfile, opts: StagePlanOptions): GlobalScope {
  return resolveGlobalScope(df, { buildArgs: opts.buildArgs ?? new Map(), platforms: opts.platforms ?? hostPlatforms() });
}

/** The stages each stage depends on. */
export function stageDependencies(df: Dockerfile, opts: StagePlanOptions = {}): StageDependency[][] {
  const global = globalOf(df, opts);
  return df.stages.map((s) =>
    referencesOf(df, s, global).flatMap((r) => (r.ref.kind === 'stage' ? [{ index: r.ref.index, via: r.via }] : [])),
  );
}

/**
 * The stages building `target` needs, dependencies before dependents (stage order where
 * free). A dependency cycle is an error.
 */
export function stagesNeeded(df: Dockerfile, target?: string, opts: StagePlanOptions = {}): Stage[] {
  const order = stageBuildOrder(df, stageDependencies(df, opts), [resolveTarget(df, target).index]);
  return order.map((i) => df.stages[i] as Stage);
}

/**
 * Stage indexes to build for `roots`, each after the stages it depends on (a depth-first
 * topological order, dependencies in stage order). A dependency cycle is an error.
 */
export function stageBuildOrder(df: Dockerfile, deps: readonly (readonly StageDependency[])[], roots: readonly number[]): number[] {
  const state = new Map<number, 'visiting' | 'done'>();
  const order: number[] = [];
  const visit = (i: number): void => {
    if (state.get(i) === 'done') return;
    const stage = df.stages[i] as Stage;
    if (state.get(i) === 'visiting') {
      throw new DockerfileError('E_DOCKERFILE', `circular dependency detected on stage: ${stage.name ?? i}`, stageLoc(df, stage.from));
    }
    state.set(i, 'visiting');
    for (const d of [...(deps[i] ?? [])].sort((a, b) => a.index - b.index)) visit(d.index);
    state.set(i, 'done');
    order.push(i);
  };
  for (const r of roots) visit(r);
  return order;
}

export interface BaseImagesOptions extends StagePlanOptions {
  /** Only the images the stages `target` needs; default every stage. */
  target?: string;
}

/**
 * The external images a build reads (FROM, COPY --from, RUN --mount from=), meta ARGs and
 * --build-args applied; stages and scratch excluded. Unique, in Dockerfile order.
 */
export function baseImagesOf(df: Dockerfile, opts: BaseImagesOptions = {}): string[] {
  const global = globalOf(df, opts);
  const stages = opts.target === undefined ? df.stages : stagesNeeded(df, opts.target, opts).sort((a, b) => a.index - b.index);
  const out: string[] = [];
  for (const s of stages) {
    for (const r of referencesOf(df, s, global)) if (r.ref.kind === 'image' && !out.includes(r.ref.ref)) out.push(r.ref.ref);
  }
  return out;
}
