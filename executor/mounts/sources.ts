// What RUN --mount=type=bind (and cache `from=`) reads: the build context (default) or another
// stage's root or an image's files, at `source`. Paths never leave the context or the stage root.
import { realpath } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { KilnError } from '../../shared/errors.ts';
import type { BuildContext } from '../context/types.ts';
import { resolveInRoot } from '../root/run-paths.ts';

export interface MountSourceEnv {
  context: BuildContext;
  /** The root directory of a built stage, by name or index; undefined when there is none. */
  stageRoot?: (from: string) => string | undefined;
  /** A stage's or an external image's files (the COPY --from resolver); preferred when given. */
  fromRoot?: (from: string) => Promise<string>;
}

export interface MountSource {
  host: string;
  /** Paths to leave out, relative to `host` (the context's .dockerignore). */
  skip?: (rel: string) => boolean;
}

export async function mountSource(env: MountSourceEnv, from: string | undefined, source: string | undefined, what: string): Promise<MountSource> {
  const clean = posix.normalize('/' + (source ?? '/')).replace(/\/+$/, '');
  if (from === undefined || from === '' || from === 'context') {
    const rel = clean.slice(1);
    const host = join(env.context.dir, rel);
    const real = await realpath(host).catch(() => undefined);
    const ctxReal = await realpath(env.context.dir);
    if (real === undefined) throw new KilnError('E_STEP', `${what}: source "${source ?? '/'}" not found in the build context`);
    if (!(real === ctxReal || real.startsWith(ctxReal + '/'))) {
      throw new KilnError('E_STEP', `${what}: source "${source ?? '/'}" leads outside the build context`);
    }
    return { host: real, skip: (r) => env.context.excluded(rel === '' ? r : `${rel}/${r}`) };
  }
  const root = env.fromRoot !== undefined ? await env.fromRoot(from) : env.stageRoot?.(from);
  if (root === undefined) {
    throw new KilnError('E_NOT_IMPLEMENTED', `${what}: from=${from}: mounting from an image (or a stage not built in this root) is not implemented yet`, {
      hint: 'name an earlier stage of this Dockerfile, or copy the files from the image in a stage first',
    });
  }
  return { host: await resolveInRoot(root, clean === '' ? '/' : clean) };
}
