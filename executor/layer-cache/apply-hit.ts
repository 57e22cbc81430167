// A cache hit in the stage: the cached layer is extracted into the root (later steps see its
// files, as kaniko's caching commands do), the RUN walk baseline is refreshed so the files are
// not counted again, and the layer is appended to the image with this step's history entry.
// While the stage has not unpacked its base yet (no step has run), the layer waits in
// `deferred` and is extracted after the base when a step first needs the files: a build whose
// every step hits never unpacks anything (kaniko).
import { appendLayers, withHistory } from '../../shared/image/index.ts';
import type { History, Image, Layer } from '../../shared/image/types.ts';
import type { Logger } from '../../shared/log.ts';
import { extractImage } from '../root/extract-image.ts';
import type { IgnoreList } from '../root/ignore-list.ts';
import { takeSnapshot } from '../root/snapshot.ts';
import type { Workspace } from '../root/workspace.ts';
import type { LayerTracker } from '../run-stage-layer.ts';
import type { CacheHit } from './layer-cache.ts';

export interface HitTarget {
  image: Image;
  history: History;
  workspace: Workspace;
  ignore: IgnoreList;
  tracker: LayerTracker;
  logger: Logger;
  /** Layers waiting for the base to be unpacked: a hit joins them instead of being extracted. */
  deferred?: Layer[] | undefined;
}

/** Apply a hit; returns the image with the step added and the layer's compressed size. */
export async function applyCacheHit(hit: CacheHit, t: HitTarget): Promise<{ image: Image; layerSize: number | undefined }> {
  if (hit.layer === undefined) return { image: withHistory(t.image, [t.history]), layerSize: undefined };
  if (t.deferred !== undefined) t.deferred.push(hit.layer);
  else {
    await extractCached([hit.layer], t);
    if (t.tracker.baseline !== undefined) t.tracker.baseline = takeSnapshot(t.workspace.root, t.ignore);
  }
  return { image: appendLayers(t.image, [{ layer: hit.layer, history: t.history }]), layerSize: await hit.layer.size() };
}

/** Extract cached layers into the root, in order, each checked against its digest and diff_id. */
export async function extractCached(layers: readonly Layer[], t: Pick<HitTarget, 'workspace' | 'ignore' | 'logger'>): Promise<void> {
  if (layers.length === 0) return;
  await extractImage(layers, { root: t.workspace.root, ignore: t.ignore, mode: t.workspace.mode, logger: t.logger });
}
