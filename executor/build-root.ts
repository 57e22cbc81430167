// Choosing and preparing build roots: `/` only inside a container (or with --force), else a
// directory (--root-dir) that must be empty. In the host mode the target stage builds in that
// directory and earlier stages in temporary directories beside the layers.
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../shared/errors.ts';
import { createWorkspace, type Workspace } from './root/workspace.ts';

export function inContainer(env: NodeJS.ProcessEnv = process.env): boolean {
  if (existsSync('/.dockerenv') || existsSync('/run/.containerenv') || env.KUBERNETES_SERVICE_HOST !== undefined) return true;
  try {
    return /docker|kubepods|containerd|libpod|lxc/.test(readFileSync('/proc/1/cgroup', 'utf8'));
  } catch {
    return false;
  }
}

export interface RootChoice {
  dir: string;
  force: boolean;
  kanikoDir: string;
}

/**
 * The target stage's workspace. The root "/" needs a container AND Kiln's own directory
 * (/kaniko, present in the executor image): a container marker alone (a CI job's /.dockerenv)
 * does not make a machine disposable. `detect` is injected by tests.
 */
export async function targetWorkspace(choice: RootChoice, detect: () => boolean = inContainer): Promise<Workspace> {
  if (choice.dir === '/') {
    if (!choice.force && !(detect() && existsSync(choice.kanikoDir))) {
      throw new KilnError('E_USAGE', 'building with the root "/" outside the Kiln executor image would overwrite this machine\'s files', {
        hint: `pass --root-dir DIR to build into a directory, or --force if you really mean it (no container or no ${choice.kanikoDir} here)`,
      });
    }
    return createWorkspace({ root: '/', mode: 'container', kanikoDir: choice.kanikoDir });
  }
  await mkdir(choice.dir, { recursive: true });
  const entries = await readdir(choice.dir);
  if (entries.length > 0) {
    throw new KilnError('E_USAGE', `using build root ${choice.dir}: the directory is not empty`, {
      hint: 'give --root-dir an empty (or missing) directory: what it holds would end up in the image',
    });
  }
  await chmod(choice.dir, 0o755); // an image root is 0755; RUN as another user must enter it
  return createWorkspace({ root: choice.dir, mode: 'host', kanikoDir: choice.kanikoDir });
}

/** A fresh root for an intermediate stage (host mode only). */
export async function stageWorkspace(workDir: string, index: number, kanikoDir: string): Promise<Workspace> {
  const dir = await mkdtemp(join(workDir, `stage-${index}-`));
  await chmod(dir, 0o755);
  return createWorkspace({ root: dir, mode: 'host', kanikoDir });
}
