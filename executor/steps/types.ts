// The step contract (STYLE.md §2): a narrow replacement for kaniko's 11-method DockerCommand.
// A step gets an already-expanded instruction and a read-only context, and returns the new
// image config and what it changed on disk; run-stage.ts snapshots, writes the layer and the
// history. Whether a step needs the base filesystem is computed from the data (needsRoot).
import type { Instruction, KeyValue } from '../../shared/dockerfile/index.ts';
import type { ConfigFile } from '../../shared/image/types.ts';
import type { Logger } from '../../shared/log.ts';
import type { BuildContext } from '../context/types.ts';
import type { MountExclusions } from '../mounts/placement.ts';
import type { MountSettings } from '../mounts/run-mounts.ts';
import type { RunIo, RunRoot } from '../root/run.ts';

/**
 * 'paths' lists image paths the step wrote; 'unknown' asks for a full walk (RUN), leaving out
 * what RUN --mount put in place for the command (`mounts`, see executor/mounts/exclusions.ts).
 */
export type Changes = { kind: 'none' } | { kind: 'paths'; paths: string[] } | { kind: 'unknown'; mounts?: MountExclusions };

export interface StepResult {
  config: ConfigFile;
  changes: Changes;
}

export interface StepContext {
  /** The image config before this step. */
  readonly config: ConfigFile;
  /** True once CMD was set in this stage (ENTRYPOINT then keeps it). */
  readonly cmdSetInStage: boolean;
  readonly root: RunRoot;
  /** ARGs in scope with their values, in declaration order (RUN sees them as env). */
  readonly buildArgs: readonly KeyValue[];
  readonly context: BuildContext;
  readonly io: RunIo;
  readonly logger: Logger;
  /** The Dockerfile's name, for messages. */
  readonly file: string;
  /** RUN --mount: cache directory, secrets, other stages' roots (absent: mounts fail). */
  readonly mounts?: MountSettings;
  /** COPY --from: the host directory holding a stage's or an image's files (absent: --from fails). */
  readonly fromRoot?: (from: string) => Promise<string>;
}

export type Step<I extends Instruction> = (instr: I, ctx: StepContext) => Promise<StepResult>;

export type StepTable = { [K in Exclude<Instruction['kind'], 'FROM'>]: Step<Extract<Instruction, { kind: K }>> };

/** Kinds that need the base image's files on disk (kaniko's RequiresUnpackedFS). */
export function needsRoot(instr: Instruction): boolean {
  return instr.kind === 'RUN' || instr.kind === 'COPY' || instr.kind === 'ADD' || instr.kind === 'WORKDIR';
}

export const NO_CHANGES: Changes = Object.freeze({ kind: 'none' });
