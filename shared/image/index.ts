// Public surface of shared/image: the image model (types), platforms, compression,
// images from parts, mutations, scratch and validation.
export type {
  ConfigFile, ContainerConfig, Descriptor, HealthConfig, History, Image, ImageIndex, IndexManifest, Layer, Manifest, MediaType, Platform,
} from './types.ts';
export { MediaTypes, isIndexMediaType, isManifestMediaType } from './types.ts';
export { defaultPlatform, formatPlatform, parsePlatform, platformMatches, selectManifest } from './platform.ts';
export { compressStream, decompressStream, detectCompression, type Compression } from './compression.ts';
export { imageFromParts, layerFromCompressedBlob, layerFromFile, parseManifest, type CompressedBlobLayer, type FileLayer, type ImageParts } from './partial.ts';
export { appendLayers, withAnnotations, withConfig, withHistory, withMediaTypes, type Addendum } from './mutate.ts';
export { scratchImage, type ScratchOptions } from './empty.ts';
export { validateImage } from './validate.ts';
export { indexJson } from './json.ts';
