// The RUN --mount settings of one build: the cache directory, the secrets and the roots of the
// stages built so far (for `from=<stage>`), from the executor's options.
import { resolveStageRef } from '../../shared/dockerfile/index.ts';
import type { Dockerfile } from '../../shared/dockerfile/index.ts';
import type { BuildContext } from '../context/types.ts';
import type { SecretSpec } from '../flag-values.ts';
import type { MountSettings } from './run-mounts.ts';

export interface MountSettingsInput {
  /** --cache-mount-dir */
  cacheDir: string;
  /** Set when cacheDir is the default (not chosen by the user): used if it is read-only. */
  cacheFallbackDir?: string;
  secrets: readonly SecretSpec[];
  env: NodeJS.ProcessEnv;
  dockerfile: Dockerfile;
  context: BuildContext;
  /** Stage index → root directory, filled as stages are built. */
  stageRoots: ReadonlyMap<number, string>;
}

export function mountSettingsFor(input: MountSettingsInput): MountSettings {
  return {
    cacheDir: input.cacheDir,
    ...(input.cacheFallbackDir !== undefined ? { cacheFallbackDir: input.cacheFallbackDir } : {}),
    secrets: { specs: input.secrets, env: input.env },
    context: input.context,
    stageRoot: (from) => {
      const ref = resolveStageRef(input.dockerfile, from);
      return ref.kind === 'stage' ? input.stageRoots.get(ref.index) : undefined;
    },
  };
}
