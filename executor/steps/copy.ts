// COPY (and ADD of local, non-archive files) from the local build context, with Docker's
// destination rules: relative to WORKDIR; a directory when it ends in "/", when there are
// several sources, or when it already is one; a source directory copies its contents.
// `--from`, heredoc sources, `--parents`, `--exclude`, symbolic `--chmod` and archives/URLs
// for ADD arrive with issue 6 and fail clearly until then. `--link` changes nothing in the
// resulting tree, so it is accepted.
import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import { workdirPath } from '../config/apply.ts';
import type { AddInstruction, CopyInstruction } from '../../shared/dockerfile/instructions/types.ts';
import { KilnError } from '../../shared/errors.ts';
import { resolveInRoot } from '../root/run-paths.ts';
import { readUserDatabase, resolveUserSpec } from '../root/users.ts';
import { copyEntry, type CopyOwnership, type CopyTarget } from './copy-files.ts';
import { resolveSources, type ContextSource } from './copy-sources.ts';
import { inlineFiles } from './heredoc-copy.ts';
import type { Step, StepContext, StepResult } from './types.ts';

export const copy: Step<CopyInstruction> = async (i, ctx) => {
  const what = `${ctx.file}:${i.loc.start}: COPY`;
  if (i.from !== undefined) notYet(what, '--from');
  if (i.parents) notYet(what, '--parents');
  return await copyFromContext(i, ctx, what);
};

export function notYet(what: string, feature: string): never {
  throw new KilnError('E_NOT_IMPLEMENTED', `${what}: ${feature} is not implemented yet`);
}

export async function copyFromContext(i: CopyInstruction | AddInstruction, ctx: StepContext, what: string): Promise<StepResult> {
  if (i.exclude.length > 0) notYet(what, '--exclude');
  const own = await ownership(i, ctx, what);
  const inline = await inlineFiles(i.inline);
  try {
    const sources = [...(i.sources.length > 0 ? await resolveSources(ctx.context, i.sources, what) : []), ...inline.sources];
    return await copySources(i, ctx, { sources, own });
  } finally {
    await inline.dispose();
  }
}

async function copySources(i: CopyInstruction | AddInstruction, ctx: StepContext, s: { sources: ContextSource[]; own: CopyOwnership }): Promise<StepResult> {
  const { sources, own } = s;
  const dest = workdirPath(ctx.config, i.dest);
  const asDir = i.dest.endsWith('/') || i.dest === '.' || sources.length > 1 || sources.some((s) => s.isDir) || (await isDirInRoot(ctx.root.root, dest));
  const t: CopyTarget = { root: ctx.root.root, context: ctx.context, own, written: [] };
  for (const s of sources) {
    if (s.isDir) {
      await copyDirContents(t, s.host, s.rel, dest);
    } else {
      await copyEntry(t, s.host, s.rel, asDir ? posix.join(dest, posix.basename(s.rel)) : dest);
    }
  }
  return { config: ctx.config, changes: { kind: 'paths', paths: [...new Set(t.written)] } };
}

async function copyDirContents(t: CopyTarget, host: string, rel: string, dest: string): Promise<void> {
  // The directory itself is not copied, only what it holds; `dest` is created (with the
  // source directory's metadata when it did not exist, as BuildKit's copy does).
  await copyEntry(t, host, rel, dest);
}

async function isDirInRoot(root: string, path: string): Promise<boolean> {
  const host = await resolveInRoot(root, path);
  return (await lstat(host).catch(() => undefined))?.isDirectory() === true;
}

export async function ownership(i: CopyInstruction | AddInstruction, ctx: StepContext, what: string): Promise<CopyOwnership> {
  let mode: number | undefined;
  if (i.chmod !== undefined) {
    if (!/^[0-7]{3,4}$/.test(i.chmod)) notYet(what, `a symbolic --chmod (${i.chmod})`);
    mode = parseInt(i.chmod, 8);
  }
  if (i.chown === undefined || i.chown === '') return mode === undefined ? { uid: 0, gid: 0 } : { uid: 0, gid: 0, mode };
  const db = await readUserDatabase(ctx.root.root);
  const u = resolveUserSpec(i.chown, db);
  // Docker: a user without a group uses the same numeric id as the gid.
  const gid = i.chown.includes(':') ? u.gid : u.uid;
  return mode === undefined ? { uid: u.uid, gid } : { uid: u.uid, gid, mode };
}
