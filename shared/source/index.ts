// Public surface of shared/source: where images come from.
export type { ImageSource, ResolveOptions } from './types.ts';
export { firstOf, resolveImage } from './chain.ts';
export { candidatesFor, registrySource, type RegistrySourceOptions } from './registry-source.ts';
export { layoutSource, type LayoutSourceOptions } from './layout-source.ts';
