// Outputs of a finished build, in kaniko's order of effects but with Kiln's guarantees:
// --tar-path and --oci-layout-path written first, then every --destination pushed (the
// registry client mounts base layers from the repository they were pulled from when it is on
// the same registry), and only after every push succeeded the digest files.
import type { Image } from '../shared/image/types.ts';
import type { Logger } from '../shared/log.ts';
import type { Reference } from '../shared/reference/index.ts';
import type { RegistryClient } from '../shared/registry/index.ts';
import { writeDigestFiles, type DigestFileOptions } from './outputs/digest-files.ts';
import { writeDockerArchive } from './outputs/docker-archive.ts';
import { writeOciLayout } from './outputs/oci-layout.ts';
import { withImagePushProgress, type Progress } from './progress.ts';

export interface OutputPlan extends DigestFileOptions {
  destinations: readonly Reference[];
  noPush: boolean;
  tarPath?: string;
  ociLayoutPath?: string;
}

export async function writeOutputs(image: Image, plan: OutputPlan, client: () => RegistryClient, logger: Logger, progress?: Progress): Promise<void> {
  const digest = await image.digest();
  if (plan.tarPath !== undefined) {
    logger.info(`Writing image tarball to ${plan.tarPath}`);
    await writeDockerArchive(image, plan.tarPath, { tags: plan.destinations });
  }
  if (plan.ociLayoutPath !== undefined) {
    logger.info(`Writing OCI image layout to ${plan.ociLayoutPath}`);
    const tag = plan.destinations[0]?.tag;
    await writeOciLayout(image, plan.ociLayoutPath, tag !== undefined ? { refName: tag } : {});
  }
  if (plan.noPush) {
    logger.info('Skipping push to container registry due to --no-push flag');
  } else {
    const c = client();
    const pushed = progress === undefined ? image : withImagePushProgress(image, progress, (l) => c.layerOrigin(l) === undefined);
    for (const ref of plan.destinations) {
      logger.info(`Pushing image to ${ref.toString()}`);
      await c.push(pushed, ref);
      logger.info(`Pushed ${ref.registry}/${ref.repository}@${digest}`);
    }
  }
  await writeDigestFiles(plan.destinations, digest, plan);
}
