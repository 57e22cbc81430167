// What one cached step looks like in a cache repository (kaniko's shape): an image with the
// step's one layer (none for a step that changed no file), whose config records when it was
// made (for --cache-ttl) and the step's history entry (its created_by).
import { appendLayers, scratchImage, withConfig, withHistory } from '../../shared/image/index.ts';
import type { History, Image, Layer, Platform } from '../../shared/image/types.ts';

export interface CachedStep {
  /** The step's layer; undefined when the step changed no file. */
  layer: Layer | undefined;
  /** The history entry the step had when it was cached. */
  history: History | undefined;
  /** config.created, undefined when absent or unreadable. */
  created: Date | undefined;
}

export interface CacheImageInput {
  layer: Layer | undefined;
  history: History;
  platform: Platform;
  /** ISO time the entry is made: config.created, which the TTL counts from. */
  created: string;
  format: 'docker' | 'oci';
}

export async function cacheImage(c: CacheImageInput): Promise<Image> {
  const base = scratchImage(c.platform, { mediaTypes: c.format });
  const history: History = { ...c.history };
  const withStep = c.layer === undefined ? withHistory(base, [history]) : appendLayers(base, [{ layer: c.layer, history }]);
  const config = await withStep.config();
  return withConfig(withStep, { ...config, created: c.created });
}

/** Read a cached step back: at most one layer, the last history entry, config.created. */
export async function readCacheImage(image: Image): Promise<CachedStep> {
  const [config, layers] = await Promise.all([image.config(), image.layers()]);
  if (layers.length > 1) throw new Error(`a cached step has ${layers.length} layers, want 0 or 1`);
  const created = config.created === undefined ? undefined : new Date(config.created);
  return {
    layer: layers[0],
    history: config.history?.at(-1),
    created: created === undefined || Number.isNaN(created.getTime()) ? undefined : created,
  };
}
