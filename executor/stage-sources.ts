// Where `COPY --from` reads: a stage of this build (by name or index) or an external image.
// A stage's files are its root directory (host mode: each stage has one; container mode: the
// stage's image extracted into the work dir before "/" is cleaned, see saveStageRoot). An
// external image is resolved like a base and extracted, once per build, into its own directory
// with the same safe extraction as a base (modes, owners, mtimes, hardlinks kept).
import { chmod, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveStageRef, type Dockerfile } from '../shared/dockerfile/index.ts';
import { KilnError } from '../shared/errors.ts';
import { formatPlatform } from '../shared/image/index.ts';
import type { Image, Platform } from '../shared/image/types.ts';
import type { Logger } from '../shared/log.ts';
import { extractImage } from './root/extract-image.ts';
import { IgnoreList } from './root/ignore-list.ts';

export interface StageSourcesInput {
  dockerfile: Dockerfile;
  /** Stage index → root directory, filled as stages are built (or saved). */
  stageRoots: ReadonlyMap<number, string>;
  /** Kiln's work directory (ignored by snapshots; removed after the build). */
  workDir: string;
  /** Resolve an external image reference for a platform (the warmed cache first). */
  resolveImage: (ref: string, platform: Platform) => Promise<Image>;
  logger: Logger;
}

/** `from` (already expanded) → the host directory holding its files. */
export type FromRoot = (from: string) => Promise<string>;

/** An image is resolved for the platform of the stage that copies from it (FROM --platform). */
export type StageSources = (from: string, platform: Platform) => Promise<string>;

export function createStageSources(input: StageSourcesInput): StageSources {
  const images = new Map<string, Promise<string>>();
  return async (from, platform) => {
    const ref = resolveStageRef(input.dockerfile, from);
    if (ref.kind === 'stage') {
      const root = input.stageRoots.get(ref.index);
      if (root === undefined) {
        throw new KilnError('E_DOCKERFILE', `reading stage ${from}: it is not built before the stage that copies from it`, {
          hint: 'COPY --from may name a stage that this build builds (check --target and --skip-unused-stages)',
        });
      }
      return root;
    }
    const key = ref.kind === 'scratch' ? 'scratch' : `${ref.ref} ${formatPlatform(platform)}`;
    let dir = images.get(key);
    if (dir === undefined) {
      dir = (async () => {
        const target = await emptyDir(input.workDir, 'from-image-');
        if (ref.kind === 'image') {
          input.logger.info(`Retrieving image ${ref.ref} for COPY --from`);
          await extractInto(await input.resolveImage(ref.ref, platform), target, input.logger);
        }
        return target;
      })();
      images.set(key, dir);
    }
    return await dir;
  };
}

/** Container mode: keep a stage's files for later COPY --from / RUN --mount from= (kaniko saves them under /kaniko). */
export async function saveStageRoot(image: Image, workDir: string, options: { index: number; logger: Logger }): Promise<string> {
  const dir = await emptyDir(workDir, `stage-${options.index}-saved-`);
  options.logger.info(`Saving the files of stage ${options.index} for the stages that read them`);
  await extractInto(image, dir, options.logger);
  return dir;
}

async function emptyDir(workDir: string, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(workDir, prefix));
  await chmod(dir, 0o755);
  return dir;
}

async function extractInto(image: Image, dir: string, logger: Logger): Promise<void> {
  // Host-mode extraction: no device nodes, every path checked to stay inside `dir`.
  await extractImage(await image.layers(), { root: dir, ignore: new IgnoreList(), mode: 'host', logger });
}
