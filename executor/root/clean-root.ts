// Between the stages of a multi-stage build in the container mode (root "/", kaniko's model)
// the root is emptied of the finished stage's files before the next stage's base is extracted.
// What the ignore list holds is never touched: Kiln's own directory, the build context, the work
// directory, /proc, /sys, /dev, every mount point, --ignore-path (kaniko issues 2187 and 450:
// a stage must never delete the context or the CI agent's files). A directory with an ignored
// path below it is kept and emptied around that path. Links are removed, never followed.
import { readdir, rm } from 'node:fs/promises';
import type { Logger } from '../../shared/log.ts';
import type { IgnoreList } from './ignore-list.ts';
import { hostPath, joinRel } from './workspace.ts';

export interface CleanStats {
  /** Entries removed (a removed tree counts once). */
  removed: number;
  /** Directories kept because an ignored path lies below them. */
  kept: string[];
}

/** Remove everything under `root` except ignored paths (and the directories leading to them). */
export async function cleanRoot(root: string, ignore: IgnoreList, logger?: Logger): Promise<CleanStats> {
  const stats: CleanStats = { removed: 0, kept: [] };
  await cleanDir(root, '/', ignore, stats);
  logger?.debug(`cleaned the build root of the previous stage: ${stats.removed} entries removed`, { kept: stats.kept.join(' ') });
  return stats;
}

async function cleanDir(root: string, rel: string, ignore: IgnoreList, stats: CleanStats): Promise<void> {
  const entries = await readdir(hostPath(root, rel), { withFileTypes: true });
  for (const e of entries) {
    const child = joinRel(rel, e.name);
    if (ignore.isIgnored(child)) continue;
    if (e.isDirectory() && ignore.hasIgnoredBelow(child)) {
      stats.kept.push(child);
      await cleanDir(root, child, ignore, stats);
      continue;
    }
    await rm(hostPath(root, child), { recursive: true, force: true });
    stats.removed += 1;
  }
}
