// COPY (and ADD of local, non-archive files) with Docker's rules: sources from the build context
// (.dockerignore applied) or, with `--from`, from a stage or an image; the destination is
// relative to WORKDIR and a directory when it ends in "/", when there are several sources, when
// it already is one, or with --parents; a source directory copies its contents. `--exclude`
// patterns use .dockerignore syntax and match a path relative to the copied source as well as
// its path in the tree. `--link` makes the same tree here (the layer is the copy's own), so it
// only needs accepting.
import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import { workdirPath } from '../config/apply.ts';
import { createDockerignore, parseChmod, type AddInstruction, type CopyInstruction } from '../../shared/dockerfile/index.ts';
import { KilnError } from '../../shared/errors.ts';
import { resolveInRoot } from '../root/run-paths.ts';
import { readUserDatabase, resolveUserSpec } from '../root/users.ts';
import { copyEntry, type CopyOwnership, type CopyTarget } from './copy-files.ts';
import { resolveSources, type ContextSource, type SourceTree } from './copy-sources.ts';
import { inlineFiles } from './heredoc-copy.ts';
import type { Step, StepContext, StepResult } from './types.ts';

export const copy: Step<CopyInstruction> = async (i, ctx) => {
  const what = `${ctx.file}:${i.loc.start}: COPY`;
  const tree = i.from === undefined ? ctx.context : await fromTree(i.from, ctx, what);
  return await copyFromTree(i, ctx, { what, tree, parents: i.parents });
};

export function notYet(what: string, feature: string): never {
  throw new KilnError('E_NOT_IMPLEMENTED', `${what}: ${feature} is not implemented yet`);
}

async function fromTree(from: string, ctx: StepContext, what: string): Promise<SourceTree> {
  if (ctx.fromRoot === undefined) throw new KilnError('E_INTERNAL', `${what}: --from=${from}: no stage or image sources were given to the step`);
  return { dir: await ctx.fromRoot(from), excluded: () => false, name: `--from=${from}` };
}

/** COPY and ADD of local sources from the build context. */
export async function copyFromContext(i: CopyInstruction | AddInstruction, ctx: StepContext, what: string): Promise<StepResult> {
  return await copyFromTree(i, ctx, { what, tree: ctx.context, parents: false });
}

interface CopyPlan {
  what: string;
  tree: SourceTree;
  parents: boolean;
}

async function copyFromTree(i: CopyInstruction | AddInstruction, ctx: StepContext, p: CopyPlan): Promise<StepResult> {
  const own = await ownership(i, ctx, p.what);
  // BuildKit: files from the context are 0:0; files from a stage or image keep their owner unless --chown.
  if (i.kind === 'COPY' && i.from !== undefined && (i.chown === undefined || i.chown === '')) own.keepOwner = true;
  const inline = await inlineFiles(i.inline);
  try {
    const found = i.sources.length > 0 ? await resolveSources(p.tree, i.sources, p.what, { parents: p.parents }) : [];
    if (found.length === 0 && i.inline.length === 0) ctx.logger.warn(`${p.what}: no source files matched ${i.sources.join(' ')}`);
    return await copySources(i, ctx, { sources: [...found, ...inline.sources], own, tree: p.tree, parents: p.parents });
  } finally {
    await inline.dispose();
  }
}

interface SourcesPlan {
  sources: ContextSource[];
  own: CopyOwnership;
  tree: SourceTree;
  parents: boolean;
}

async function copySources(i: CopyInstruction | AddInstruction, ctx: StepContext, s: SourcesPlan): Promise<StepResult> {
  const dest = workdirPath(ctx.config, i.dest);
  const asDir = s.parents || i.dest.endsWith('/') || i.dest === '.' || s.sources.length > 1 || (await isDirInRoot(ctx.root.root, dest));
  const exclude = i.exclude.length > 0 ? createDockerignore(i.exclude) : undefined;
  const t: CopyTarget = { root: ctx.root.root, context: s.tree, own: s.own, written: [], links: new Map() };
  for (const src of s.sources) {
    const top = src.keep ?? posix.basename(src.rel);
    if (exclude !== undefined && src.rel !== '' && (exclude.matches(top) || exclude.matches(src.rel))) continue;
    const target = exclude === undefined ? t : { ...t, skip: excludeBelow(exclude, src.rel) };
    if (src.keep !== undefined) await copyEntry(target, src.host, src.rel, src.keep === '' ? dest : posix.join(dest, src.keep));
    else if (src.isDir) await copyEntry(target, src.host, src.rel, dest);
    else await copyEntry(target, src.host, src.rel, asDir ? posix.join(dest, posix.basename(src.rel)) : dest);
  }
  return { config: ctx.config, changes: { kind: 'paths', paths: [...new Set(t.written)] } };
}

/** A child (tree-relative path) is excluded by its path below the copied source or in the tree. */
function excludeBelow(exclude: ReturnType<typeof createDockerignore>, sourceRel: string): (rel: string) => boolean {
  return (rel) => exclude.matches(rel) || exclude.matches(sourceRel === '' ? rel : rel.slice(sourceRel.length + 1));
}

async function isDirInRoot(root: string, path: string): Promise<boolean> {
  const host = await resolveInRoot(root, path);
  return (await lstat(host).catch(() => undefined))?.isDirectory() === true;
}

export async function ownership(i: CopyInstruction | AddInstruction, ctx: StepContext, what: string): Promise<CopyOwnership> {
  const chmod = i.chmod === undefined || i.chmod === '' ? undefined : parseChmodFlag(i.chmod, what);
  const mode = chmod === undefined ? {} : chmod.kind === 'octal' ? { mode: chmod.mode } : { chmod };
  if (i.chown === undefined || i.chown === '') return { uid: 0, gid: 0, ...mode };
  const db = await readUserDatabase(ctx.root.root);
  const u = resolveUserSpec(i.chown, db);
  // Docker: a user without a group uses the same numeric id as the gid.
  const gid = i.chown.includes(':') ? u.gid : u.uid;
  return { uid: u.uid, gid, ...mode };
}

function parseChmodFlag(value: string, what: string): ReturnType<typeof parseChmod> {
  try {
    return parseChmod(value);
  } catch (cause) {
    throw new KilnError('E_DOCKERFILE', `${what}: --chmod=${value}: ${(cause as Error).message}`, { cause });
  }
}
