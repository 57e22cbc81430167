// The build's inputs: the Dockerfile (kaniko's lookup: the path as given, then relative to the
// context) and the build context with its .dockerignore (`<Dockerfile>.dockerignore` beside the
// Dockerfile wins over the context's `.dockerignore`, as BuildKit).
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { loadDockerignore, parseDockerfile, type Dockerfile } from '../shared/dockerfile/index.ts';
import { KilnError } from '../shared/errors.ts';
import type { Logger } from '../shared/log.ts';
import { dirContext } from './context/dir.ts';
import type { BuildContext } from './context/types.ts';
import type { ExecutorOptions } from './options.ts';

export interface LoadedDockerfile {
  dockerfile: Dockerfile;
  /** Host path of the Dockerfile. */
  path: string;
  contextDir: string;
}

/** `contextDir`: the local context directory, or where a remote context was fetched (context/fetch-context.ts). */
export async function loadDockerfile(options: ExecutorOptions, contextDir: string, logger: Logger): Promise<LoadedDockerfile> {
  const given = options.dockerfile === '' ? 'Dockerfile' : options.dockerfile;
  const candidates = isAbsolute(given) ? [given] : [resolve(given), join(contextDir, given)];
  for (const path of candidates) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    logger.debug(`using Dockerfile ${path}`);
    return { dockerfile: parseDockerfile(text, { file: basename(path) === 'Dockerfile' ? 'Dockerfile' : given }), path, contextDir };
  }
  throw new KilnError('E_USAGE', `reading the Dockerfile "${given}": no such file (looked at ${candidates.join(', ')})`, {
    hint: 'pass --dockerfile with a path, absolute or relative to the context',
  });
}

export async function openContext(contextDir: string, dockerfilePath: string, logger: Logger): Promise<BuildContext> {
  const ignore = await loadDockerignore(contextDir, dockerfilePath);
  if (ignore.source === undefined) return await dirContext(contextDir);
  logger.info(`Using dockerignore file: ${ignore.source}`);
  return await dirContext(contextDir, { excluded: (rel) => ignore.matches(rel) });
}
