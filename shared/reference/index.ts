// Public surface of shared/reference.
export type { Reference } from './types.ts';
export { parseReference, isScratch } from './parse.ts';
export { referenceName, withDigest, withTag, familiarString, DOCKER_HUB, DEFAULT_TAG } from './reference.ts';
