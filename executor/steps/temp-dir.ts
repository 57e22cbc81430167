// A private temporary directory (under os.tmpdir()) for what a step fetches or writes before it
// is copied into the root: removed at once when filling it fails, else by dispose().
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `fill`'s result with a dispose() that removes the directory. */
export async function inTempDir<T extends object>(prefix: string, fill: (dir: string) => Promise<T>): Promise<T & { dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    return { ...(await fill(dir)), dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}
