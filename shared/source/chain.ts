// The first source that has the image (containers/image's idea): e.g.
// firstOf([layoutSource('/cache'), registrySource(client, …)]). A source answering
// undefined means "not here"; an error stops the chain.
import { KilnError } from '../errors.ts';
import type { Image } from '../image/types.ts';
import type { Logger } from '../log.ts';
import type { Reference } from '../reference/index.ts';
import type { ImageSource, ResolveOptions } from './types.ts';

export function firstOf(sources: readonly ImageSource[], logger: Logger): ImageSource {
  return {
    name: sources.map((s) => s.name).join('+') || 'none',
    async resolve(ref: Reference, options: ResolveOptions): Promise<Image | undefined> {
      for (const source of sources) {
        const image = await source.resolve(ref, options);
        if (image !== undefined) {
          logger.debug(`${ref.toString()} served by ${source.name}`);
          return image;
        }
        logger.debug(`${ref.toString()} not in ${source.name}`);
      }
      return undefined;
    },
  };
}

/** resolve() that turns "no source has it" into an error naming the sources tried. */
export async function resolveImage(source: ImageSource, ref: Reference, options: ResolveOptions): Promise<Image> {
  const image = await source.resolve(ref, options);
  if (image === undefined) {
    throw new KilnError('E_REGISTRY', `pulling ${ref.toString()}: image not found (looked in ${source.name})`, {
      hint: 'check the name and tag, and that your credentials can see it',
    });
  }
  return image;
}
