// Turning a step's changes into a layer file: COPY/ADD/WORKDIR list their paths; RUN is a
// full walk diffed against the previous walk (deletions become whiteouts, replaced
// directories opaque). Returns undefined when nothing changed (no layer, empty_layer history).
import { join } from 'node:path';
import { layerFromFile, type Compression, type Layer } from '../shared/image/index.ts';
import { writeLayer, type WrittenLayer } from './layer/write-layer.ts';
import { filterMountChanges } from './mounts/exclusions.ts';
import type { IgnoreList } from './root/ignore-list.ts';
import { diffSnapshots, takeSnapshot, type Snapshot, type SnapshotMode } from './root/snapshot.ts';
import type { Changes } from './steps/types.ts';

export interface LayerSettings {
  root: string;
  ignore: IgnoreList;
  dir: string;
  compression: Compression;
  level?: number;
  format: 'oci' | 'docker';
  snapshotMode: SnapshotMode;
  reproducible?: { epoch: number };
}

export interface LayerTracker {
  /** The last full walk (RUN diffs against it); undefined until one is needed. */
  baseline: Snapshot | undefined;
  count: number;
}

export interface MadeLayer {
  layer: Layer;
  written: WrittenLayer;
}

export async function layerForChanges(s: LayerSettings, t: LayerTracker, changes: Changes): Promise<MadeLayer | undefined> {
  if (changes.kind === 'none') return undefined;
  const out = join(s.dir, `layer-${String(++t.count).padStart(3, '0')}.tar`);
  const common = { root: s.root, ignore: s.ignore, out, compression: s.compression, format: s.format, ...(s.level !== undefined ? { level: s.level } : {}), ...(s.reproducible ? { reproducible: s.reproducible } : {}) };
  let written: WrittenLayer;
  if (changes.kind === 'paths') {
    const paths = changes.paths.filter((p) => !s.ignore.isIgnored(p));
    if (paths.length === 0) return undefined;
    written = await writeLayer({ ...common, paths });
    if (t.baseline !== undefined) t.baseline = takeSnapshot(s.root, s.ignore);
  } else {
    const before = t.baseline ?? takeSnapshot(s.root, s.ignore);
    const after = takeSnapshot(s.root, s.ignore);
    t.baseline = after;
    const full = diffSnapshots(before, after, { mode: s.snapshotMode });
    const diff = changes.mounts !== undefined ? filterMountChanges(full, before, after, changes.mounts) : full;
    if (diff.changed.length === 0 && diff.deleted.length === 0) return undefined;
    written = await writeLayer({ ...common, paths: diff.changed, deletions: diff.deleted, opaqueDirs: diff.replacedDirs });
  }
  return { layer: layerFromFile(written), written };
}
