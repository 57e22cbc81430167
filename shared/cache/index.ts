// Public surface of shared/cache: the /cache base-image store (DESIGN.md §6).
export { openStore, type StoreOptions } from './store.ts';
export type { CacheStore, LookupOptions, LookupResult, PutOptions, PutResult, PruneOptions, PruneResult, StoreProblem } from './types.ts';
export { Annotations, platformKey, refNameFor, type StoreEntry } from './entry.ts';
export { imageFromLayout } from './layout-image.ts';
export { DEFAULT_PRUNE_GRACE_MS } from './prune.ts';
