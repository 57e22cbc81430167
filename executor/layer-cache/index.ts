// Public surface of executor/layer-cache: kaniko's --cache, --cache-repo and friends (DESIGN.md §7).
export { layerCacheFor, cacheRepoFor, registryOptionsForCache, type BuildCacheInput } from './from-options.ts';
export { createLayerCache, type CacheHit, type LayerCache, type LayerCacheOptions, type Probe, type StageBase, type StageCache, type StepView } from './layer-cache.ts';
export { applyCacheHit, extractCached, type HitTarget } from './apply-hit.ts';
export { stepKey, baseKey, type StepKeyInput } from './key.ts';
export type { CacheBackend } from './backend.ts';
