// Where images come from (the containers/image idea, cut down): a registry, an OCI layout
// (/cache), or the first of several that has the image.
import type { Image, Platform } from '../image/types.ts';
import type { Reference } from '../reference/types.ts';

export interface ResolveOptions {
  platform: Platform;
}

export interface ImageSource {
  /** 'registry' | 'oci-layout' | 'chain' …, for log lines. */
  readonly name: string;
  /** The image for this reference and platform, or undefined when this source does not have it. */
  resolve(ref: Reference, options: ResolveOptions): Promise<Image | undefined>;
}
