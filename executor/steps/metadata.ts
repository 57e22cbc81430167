// Steps that only change the image config (no layer, `empty_layer: true` in the history).
import {
  applyCmd, applyEntrypoint, applyEnv, applyExpose, applyHealthcheck, applyLabel, applyMaintainer,
  applyOnbuild, applyShell, applyStopsignal, applyUser, applyVolume,
} from '../config/apply.ts';
import type {
  ArgInstruction, CmdInstruction, EntrypointInstruction, EnvInstruction, ExposeInstruction, HealthcheckInstruction,
  LabelInstruction, MaintainerInstruction, OnbuildInstruction, ShellInstruction, StopsignalInstruction, UserInstruction,
  VolumeInstruction,
} from '../../shared/dockerfile/index.ts';
import { NO_CHANGES, type Step } from './types.ts';

export const env: Step<EnvInstruction> = async (i, ctx) => ({ config: applyEnv(ctx.config, i), changes: NO_CHANGES });
export const label: Step<LabelInstruction> = async (i, ctx) => ({ config: applyLabel(ctx.config, i), changes: NO_CHANGES });
export const expose: Step<ExposeInstruction> = async (i, ctx) => ({ config: applyExpose(ctx.config, i), changes: NO_CHANGES });
export const user: Step<UserInstruction> = async (i, ctx) => ({ config: applyUser(ctx.config, i), changes: NO_CHANGES });
/** VOLUME is recorded in the config; nothing is created on disk (as Docker). */
export const volume: Step<VolumeInstruction> = async (i, ctx) => ({ config: applyVolume(ctx.config, i), changes: NO_CHANGES });
export const cmd: Step<CmdInstruction> = async (i, ctx) => ({ config: applyCmd(ctx.config, i), changes: NO_CHANGES });
export const entrypoint: Step<EntrypointInstruction> = async (i, ctx) => ({
  config: applyEntrypoint(ctx.config, i, { cmdSetInStage: ctx.cmdSetInStage }),
  changes: NO_CHANGES,
});
export const shell: Step<ShellInstruction> = async (i, ctx) => ({ config: applyShell(ctx.config, i), changes: NO_CHANGES });
export const stopsignal: Step<StopsignalInstruction> = async (i, ctx) => ({ config: applyStopsignal(ctx.config, i), changes: NO_CHANGES });
export const healthcheck: Step<HealthcheckInstruction> = async (i, ctx) => ({ config: applyHealthcheck(ctx.config, i), changes: NO_CHANGES });
export const onbuild: Step<OnbuildInstruction> = async (i, ctx) => ({ config: applyOnbuild(ctx.config, i), changes: NO_CHANGES });
export const maintainer: Step<MaintainerInstruction> = async (i, ctx) => ({ config: applyMaintainer(ctx.config, i), changes: NO_CHANGES });
/** ARG changes the scope (run-stage.ts) and the history only. */
export const arg: Step<ArgInstruction> = async (_i, ctx) => ({ config: ctx.config, changes: NO_CHANGES });
