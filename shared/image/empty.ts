// The empty image of `FROM scratch` (go-containerregistry's empty.Image).
import { imageFromDocuments } from './derived.ts';
import { MediaTypes, type ConfigFile, type Image, type Platform } from './types.ts';

export interface ScratchOptions {
  mediaTypes: 'docker' | 'oci';
}

/** No layers, a config with the platform, an empty rootfs and an empty history. */
export function scratchImage(platform: Platform, opts: ScratchOptions): Image {
  const docker = opts.mediaTypes === 'docker';
  const config: ConfigFile = {
    architecture: platform.architecture,
    os: platform.os,
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
  if (platform.variant !== undefined && platform.variant !== '') config.variant = platform.variant;
  if (platform['os.version'] !== undefined) config['os.version'] = platform['os.version'];
  return imageFromDocuments({
    manifest: {
      schemaVersion: 2,
      mediaType: docker ? MediaTypes.dockerManifest : MediaTypes.ociManifest,
      config: { mediaType: docker ? MediaTypes.dockerConfig : MediaTypes.ociConfig, digest: 'sha256:', size: 0 },
      layers: [],
    },
    config,
    layers: [],
  });
}
