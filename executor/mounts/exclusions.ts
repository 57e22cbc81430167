// Keeping RUN --mount targets out of the layer: after the command the mounts are gone and the
// image's own files are back, but renames and removals leave new ctimes on the target and on
// the directory that held it. The snapshot diff is filtered here: nothing at or below a mount
// target counts, and a directory whose times were put back counts only if more than its
// ctime changed (utimes keeps the time to the microsecond, not the nanosecond).
import type { Snapshot, SnapshotDiff } from '../root/snapshot.ts';
import { isUnder } from '../root/workspace.ts';
import type { MountExclusions } from './placement.ts';

export function filterMountChanges(diff: SnapshotDiff, before: Snapshot, after: Snapshot, excl: MountExclusions): SnapshotDiff {
  if (excl.mounted.length === 0 && excl.timesRestored.length === 0) return diff;
  const hidden = (rel: string): boolean => excl.mounted.some((m) => isUnder(rel, m));
  const restored = new Set(excl.timesRestored);
  const onlyCtime = (rel: string): boolean => {
    const a = before.entries.get(rel);
    const b = after.entries.get(rel);
    if (a === undefined || b === undefined) return false;
    return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && Math.abs(a.mtimeMs - b.mtimeMs) < 0.001 && a.ino === b.ino && a.link === b.link;
  };
  return {
    changed: diff.changed.filter((rel) => !hidden(rel) && !(restored.has(rel) && onlyCtime(rel))),
    deleted: diff.deleted.filter((rel) => !hidden(rel)),
    replacedDirs: diff.replacedDirs.filter((rel) => !hidden(rel)),
  };
}
