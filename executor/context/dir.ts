// The local directory context (`--context dir://path` or a plain path).
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KilnError } from '../../shared/errors.ts';
import type { BuildContext } from './types.ts';

export interface DirContextOptions {
  /** .dockerignore matcher over context-relative paths; nothing is excluded when absent. */
  excluded?: (rel: string) => boolean;
}

export async function dirContext(path: string, options: DirContextOptions = {}): Promise<BuildContext> {
  const dir = resolve(path.replace(/^dir:\/\//, ''));
  const st = await stat(dir).catch((cause: unknown) => {
    throw new KilnError('E_CONTEXT', `using build context ${dir}: ${(cause as Error).message}`, {
      cause,
      hint: 'pass an existing directory with --context',
    });
  });
  if (!st.isDirectory()) throw new KilnError('E_CONTEXT', `using build context ${dir}: not a directory`);
  const excluded = options.excluded ?? ((): boolean => false);
  return Object.freeze({ dir, excluded });
}
