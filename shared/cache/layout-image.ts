// An Image read from the store's blobs: the manifest is read (and verified) at once, the config
// and layers only when asked for, and every read is verified against its descriptor, so a
// corrupt blob fails with E_DIGEST_MISMATCH instead of reaching a build.
import { imageFromParts, layerFromFile, parseManifest } from '../image/index.ts';
import type { Descriptor, Image } from '../image/types.ts';
import { blobPath, readVerified } from './blobs.ts';

/** The image whose manifest `desc` describes, in the store in `dir`. */
export async function imageFromLayout(dir: string, desc: Descriptor): Promise<Image> {
  const rawManifest = await readVerified(dir, desc, `manifest ${desc.digest}`);
  return imageFromParts({
    rawManifest,
    rawConfig: async () => {
      const { config } = parseManifest(rawManifest);
      return readVerified(dir, config, `config ${config.digest}`);
    },
    layer: (d, diffId) => layerFromFile({ path: blobPath(dir, d.digest), mediaType: d.mediaType, digest: d.digest, diffId, size: d.size }),
  });
}
