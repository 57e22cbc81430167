// Remove temp dirs of test environments whose processes are gone (a run killed before its
// teardown). The watchdogs already stopped their registries; this frees the disk.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from './service.ts';
import { readEnvFile } from './state.ts';

const PREFIX = 'kiln-testenv-';
/** A dir without testenv.json may be a setup in progress: only remove it when this old. */
const UNFINISHED_MS = 60 * 60_000;

function isOrphan(dir: string, now: number): boolean {
  const file = join(dir, 'testenv.json');
  if (!existsSync(file)) return now - statSync(dir).mtimeMs > UNFINISHED_MS;
  try {
    const env = readEnvFile(file);
    return !isAlive(env.pids.owner) && !env.pids.registries.some(isAlive);
  } catch {
    return now - statSync(dir).mtimeMs > UNFINISHED_MS;
  }
}

/** Returns the dirs removed. */
export function sweepOrphans(parent = tmpdir(), now = Date.now()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(parent, name);
    try {
      if (!statSync(dir).isDirectory() || !isOrphan(dir, now)) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // raced with its owner's teardown
    }
  }
  return removed;
}
