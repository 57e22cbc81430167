import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseDockerfile, type CopyInstruction } from '../shared/dockerfile/index.ts';
import type { ConfigFile } from '../shared/image/types.ts';
import { checkCopyDestination } from './container-guard.ts';
import { createWorkspace, type RootMode } from './root/workspace.ts';

function setup(mode: RootMode) {
  const root = mkdtempSync(join(tmpdir(), 'kiln-guard-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  for (const d of ['workspace', 'kaniko', 'app']) mkdirSync(join(root, d));
  symlinkSync('/workspace', join(root, 'ws-link'));
  const workspace = createWorkspace({ root, mode, kanikoDir: join(root, 'kaniko') });
  return (line: string, workdir = '/') => {
    const instr = parseDockerfile(`FROM scratch\n${line}\n`).stages[0]?.instructions[0] as CopyInstruction;
    const config: ConfigFile = { architecture: 'amd64', os: 'linux', config: { WorkingDir: workdir }, rootfs: { type: 'layers', diff_ids: [] } };
    return checkCopyDestination(instr, config, { workspace, contextDir: join(workspace.root, 'workspace') });
  };
}

describe('container mode: COPY/ADD never write into the context or Kiln\'s directory', () => {
  it('refuses destinations inside the context (relative to WORKDIR, through links) and inside /kaniko', async () => {
    const check = setup('container');
    await expect(check('COPY app.txt .', '/workspace')).rejects.toThrow(/COPY app.txt \.: the destination \/workspace is inside the build context/);
    await expect(check('ADD a.tar /ws-link/sub/')).rejects.toThrow(/inside the build context/);
    await expect(check('COPY x /kaniko/executor')).rejects.toThrow(/inside Kiln's own directory/);
  });

  it('lets every other destination through, and the host mode is never checked', async () => {
    const check = setup('container');
    await check('COPY app.txt .', '/app');
    await check('COPY x /workspacex/');
    await setup('host')('COPY app.txt .', '/workspace');
  });
});
