// WORKDIR: sets the config and creates the directory (and missing parents, 0755 root:root)
// inside the root, links resolved inside it; the created paths become the layer.
import { applyWorkdir, workdirPath } from '../config/apply.ts';
import type { WorkdirInstruction } from '../../shared/dockerfile/index.ts';
import { mkdirInRoot } from '../root/run-paths.ts';
import type { Step } from './types.ts';

export const workdir: Step<WorkdirInstruction> = async (i, ctx) => {
  const path = workdirPath(ctx.config, i.path);
  const created = path === '/' ? [] : await mkdirInRoot(ctx.root.root, path);
  return {
    config: applyWorkdir(ctx.config, i),
    changes: created.length > 0 ? { kind: 'paths', paths: created } : { kind: 'none' },
  };
};
