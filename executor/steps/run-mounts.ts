// The part of RUN that BuildKit adds over kaniko: what is in place while the command runs
// (`--mount` targets, a `#!` heredoc script) and what the snapshot must then ignore. The argv
// comes from shared/dockerfile's runCommandLine (heredocs as BuildKit's dispatchRun runs them).
import { runCommandLine } from '../../shared/dockerfile/index.ts';
import { posix } from 'node:path';
import type { Mount, RunInstruction } from '../../shared/dockerfile/instructions/types.ts';
import { KilnError } from '../../shared/errors.ts';
import { shellOf, workdirPath } from '../config/apply.ts';
import { prepareMounts, type MountSettings } from '../mounts/run-mounts.ts';
import type { Changes, StepContext } from './types.ts';

/** In the host mode RUN gets a fresh /dev, so a heredoc script lives here instead of /dev/pipes. */
const HOST_PIPES = '/.kiln-pipes';

export interface RunLaunch {
  argv: string[];
  /** More KEY=VALUE pairs for the command (secrets with env=). */
  env: string[];
}

/** Prepare mounts and heredoc scripts, run `body`, take everything out again (also on failure). */
export async function withRunMounts(i: RunInstruction, ctx: StepContext, body: (launch: RunLaunch) => Promise<void>): Promise<Changes> {
  const line = runCommandLine(i, shellOf(ctx.config));
  let argv = line.argv;
  const files: { path: string; content: string; mode: number }[] = [];
  if (line.script !== undefined) {
    const path = ctx.root.mode === 'host' ? line.script.path.replace(/^\/dev\/pipes/, HOST_PIPES) : line.script.path;
    argv = argv.map((a) => (a === line.script?.path ? path : a));
    files.push({ path, content: line.script.content, mode: 0o755 });
  }
  if (i.mounts.length === 0 && files.length === 0) {
    await body({ argv, env: [] });
    return { kind: 'unknown' };
  }
  const prepared = await prepareMounts({
    root: ctx.root.root, mounts: absoluteTargets(i.mounts, workdirPath(ctx.config, '.')), files, settings: mountSettings(ctx, i), logger: ctx.logger, what: `${ctx.file}:${i.loc.start}: RUN`,
  });
  let failure: unknown;
  try {
    await body({ argv, env: prepared.env });
  } catch (e) {
    failure = e;
  }
  const exclusions = await prepared.release().catch((e: unknown) => {
    if (failure === undefined) throw e;
    ctx.logger.warn(`removing the RUN mounts after a failure: ${(e as Error).message}`);
    return undefined;
  });
  if (failure !== undefined) throw failure;
  return { kind: 'unknown', ...(exclusions !== undefined ? { mounts: exclusions } : {}) };
}

/** BuildKit resolves a relative mount target against the working directory. */
function absoluteTargets(mounts: readonly Mount[], workdir: string): Mount[] {
  return mounts.map((m) => (m.target !== undefined && !m.target.startsWith('/') ? { ...m, target: posix.join(workdir, m.target) } : m));
}

function mountSettings(ctx: StepContext, i: RunInstruction): MountSettings {
  if (ctx.mounts !== undefined) return ctx.fromRoot !== undefined ? { ...ctx.mounts, fromRoot: ctx.fromRoot } : ctx.mounts;
  if (i.mounts.length === 0) return { context: ctx.context, cacheDir: '', secrets: { specs: [], env: {} } };
  throw new KilnError('E_INTERNAL', 'RUN --mount: the step context carries no mount settings');
}
