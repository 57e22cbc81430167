// The handler table keyed by instruction kind: the mapped type makes a missing handler a
// compile error (STYLE.md §2). FROM is handled by run-stage.ts.
import { add } from './add.ts';
import { copy } from './copy.ts';
import {
  arg, cmd, entrypoint, env, expose, healthcheck, label, maintainer, onbuild, shell, stopsignal, user, volume,
} from './metadata.ts';
import { run } from './run.ts';
import type { StepTable } from './types.ts';
import { workdir } from './workdir.ts';

export const steps: StepTable = {
  RUN: run,
  CMD: cmd,
  LABEL: label,
  MAINTAINER: maintainer,
  EXPOSE: expose,
  ENV: env,
  ADD: add,
  COPY: copy,
  ENTRYPOINT: entrypoint,
  VOLUME: volume,
  USER: user,
  WORKDIR: workdir,
  ARG: arg,
  ONBUILD: onbuild,
  STOPSIGNAL: stopsignal,
  HEALTHCHECK: healthcheck,
  SHELL: shell,
};

export type { Changes, Step, StepContext, StepResult } from './types.ts';
export { needsRoot } from './types.ts';

import type { Instruction } from '../../shared/dockerfile/index.ts';
import type { StepContext as Ctx, StepResult as Result, Step as AnyStep } from './types.ts';

/** Run the handler for any instruction but FROM. */
export function runStep(instr: Exclude<Instruction, { kind: 'FROM' }>, ctx: Ctx): Promise<Result> {
  const handler = steps[instr.kind] as AnyStep<typeof instr>;
  return handler(instr, ctx);
}
