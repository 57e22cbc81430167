// Container mode (root "/", kaniko's model): the build context (often /workspace) and Kiln's own
// directory (/kaniko) lie inside the root, on the ignore list. A COPY or ADD into them would
// change them and never reach the image: `WORKDIR /workspace` + `COPY app.txt .` with the context
// at /workspace replaced the context's own file while copying it onto itself, and lost it. Such a
// step fails before it writes anything; the host mode (--root-dir) builds it as Docker does.
import type { AddInstruction, CopyInstruction } from '../shared/dockerfile/index.ts';
import { KilnError } from '../shared/errors.ts';
import type { ConfigFile } from '../shared/image/types.ts';
import { workdirPath } from './config/apply.ts';
import { resolveInRoot } from './root/run-paths.ts';
import { isUnder, relOfHost, type Workspace } from './root/workspace.ts';

export interface DestinationGuard {
  workspace: Workspace;
  /** Host directory of the build context. */
  contextDir: string;
}

/** Throw E_STEP when a COPY/ADD in the container mode would write into the context or Kiln's directory. */
export async function checkCopyDestination(instr: CopyInstruction | AddInstruction, config: ConfigFile, g: DestinationGuard): Promise<void> {
  const { workspace } = g;
  if (workspace.mode !== 'container') return;
  const dest = workdirPath(config, instr.dest);
  const rel = relOfHost(workspace.root, await resolveInRoot(workspace.root, dest));
  if (rel === undefined) return;
  const guarded = [
    { dir: g.contextDir, what: 'the build context', hint: 'mount the context where the Dockerfile does not write (e.g. /context, with --context dir:///context), or build with --root-dir' },
    { dir: workspace.kanikoDir, what: "Kiln's own directory", hint: 'copy to another path of the image' },
  ];
  for (const { dir, what, hint } of guarded) {
    const inRoot = relOfHost(workspace.root, dir);
    if (inRoot === undefined || inRoot === '/' || !isUnder(rel, inRoot)) continue;
    throw new KilnError('E_STEP', `${instr.raw}: the destination ${dest} is inside ${what} (${dir}), which the container mode keeps out of the image: the files would never reach it`, { hint });
  }
}
