// ONBUILD triggers of a stage's base (Docker and BuildKit): each `OnBuild` entry of the base
// config is parsed as one instruction and runs before the stage's own instructions, recorded in
// the history like any instruction; the stage's image does not inherit the triggers.
import { parseOnbuildTrigger, type Instruction } from '../shared/dockerfile/index.ts';
import type { ConfigFile } from '../shared/image/types.ts';
import type { Logger } from '../shared/log.ts';

export function onbuildTriggers(base: ConfigFile, s: { baseName: string; logger: Logger }): Exclude<Instruction, { kind: 'FROM' }>[] {
  const triggers = base.config?.OnBuild ?? [];
  if (triggers.length === 0) return [];
  s.logger.info(`Executing ${triggers.length} build trigger${triggers.length === 1 ? '' : 's'} of ${s.baseName}`);
  return triggers.map((t) => parseOnbuildTrigger(t, { file: `ONBUILD trigger of ${s.baseName}` }));
}
