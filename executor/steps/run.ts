// RUN: shell form through SHELL, exec form as is; env = the image's Env plus the ARGs in scope
// (ENV wins over ARG, as Docker), PATH and HOME defaulted; USER resolved in the root; WORKDIR
// created when missing. `--mount` and heredocs: run-mounts.ts; --network=host is the default.
import { DEFAULT_PATH, getEnv } from '../config/apply.ts';
import type { RunInstruction } from '../../shared/dockerfile/index.ts';
import type { ConfigFile } from '../../shared/image/types.ts';
import { runCommand } from '../root/run.ts';
import { mkdirInRoot } from '../root/run-paths.ts';
import { resolveUser, type ResolvedUser } from '../root/users.ts';
import { withRunMounts } from './run-mounts.ts';
import type { Step, StepContext } from './types.ts';

export const run: Step<RunInstruction> = async (i, ctx) => {
  const user = await resolveUser(ctx.root.root, ctx.config.config.User ?? '');
  const workdir = ctx.config.config.WorkingDir !== undefined && ctx.config.config.WorkingDir !== '' ? ctx.config.config.WorkingDir : '/';
  await mkdirInRoot(ctx.root.root, workdir);
  if (i.network === 'none' && ctx.root.mode === 'container') {
    ctx.logger.warn('RUN --network=none: the container mode cannot isolate the network; the command runs with it');
  }
  const restored: string[] = [];
  const changes = await withRunMounts(i, ctx, async ({ argv, env }) => {
    ctx.logger.info(`cmd: ${argv[0] ?? ''}`);
    ctx.logger.info(`args: [${argv.slice(1).join(' ')}]`);
    ctx.logger.info(`Running: [${argv.join(' ')}]`);
    const outcome = await runCommand(
      ctx.root,
      {
        argv,
        env: [...runEnv(ctx.config, ctx, user), ...env],
        user,
        workdir,
        network: i.network === 'none' ? 'none' : 'default',
        description: `running "${i.command.form === 'shell' ? i.command.command : i.command.args.join(' ')}" (${ctx.file}:${i.loc.start})`,
      },
      ctx.io,
      ctx.logger,
    );
    restored.push(...outcome.timesRestored);
  });
  if (changes.kind !== 'unknown' || restored.length === 0) return { config: ctx.config, changes };
  // The host mode's /etc/resolv.conf mount point leaves a ctime on /etc: not a change of the image.
  const mounts = { mounted: changes.mounts?.mounted ?? [], timesRestored: [...(changes.mounts?.timesRestored ?? []), ...restored] };
  return { config: ctx.config, changes: { kind: 'unknown', mounts } };
};

/** The command's environment: image Env, then build args not shadowed by it, PATH and HOME. */
export function runEnv(config: ConfigFile, ctx: Pick<StepContext, 'buildArgs'>, user: ResolvedUser): string[] {
  const env = [...(config.config.Env ?? [])];
  const keys = new Set(env.map((e) => e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('='))));
  for (const a of ctx.buildArgs) {
    if (!keys.has(a.key)) {
      env.push(`${a.key}=${a.value}`);
      keys.add(a.key);
    }
  }
  if (getEnv(env, 'PATH') === undefined) env.push(DEFAULT_PATH);
  if (getEnv(env, 'HOME') === undefined) env.push(`HOME=${user.home}`);
  return env;
}
