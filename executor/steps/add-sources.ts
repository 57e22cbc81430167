// ADD beyond COPY: local archives extracted (add-archive.ts), remote URLs downloaded
// (add-remote.ts), git repositories checked out (add-git.ts). Other sources are copied as
// COPY copies them. Destination rules as Docker: a directory when it ends in "/", when there
// are several sources or when it is one already; an archive or a repository always goes into
// a directory.
import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { AddInstruction } from '../../shared/dockerfile/instructions/types.ts';
import { workdirPath } from '../config/apply.ts';
import { resolveInRoot } from '../root/run-paths.ts';
import { archiveKind, extractArchive } from './add-archive.ts';
import { gitCheckout, isGitSource, parseGitSource } from './add-git.ts';
import { download, isRemoteUrl } from './add-remote.ts';
import { copyEntry, type CopyOwnership, type CopyTarget } from './copy-files.ts';
import { resolveSources } from './copy-sources.ts';
import { inlineFiles } from './heredoc-copy.ts';
import type { StepContext, StepResult } from './types.ts';

export interface AddPlan {
  own: CopyOwnership;
  what: string;
}

/** True when ADD needs more than COPY's code: a URL, a git source, or a local archive to unpack. */
export async function needsAddSources(i: AddInstruction, ctx: StepContext, what: string): Promise<boolean> {
  if (i.sources.some((s) => isRemoteUrl(s) || isGitSource(s))) return true;
  if (i.unpack === false) return false;
  for (const s of await resolveSources(ctx.context, i.sources, what)) if (!s.isDir && (await archiveKind(s.host)) !== undefined) return true;
  return false;
}

export async function addSources(i: AddInstruction, ctx: StepContext, plan: AddPlan): Promise<StepResult> {
  const dest = workdirPath(ctx.config, i.dest);
  const t: CopyTarget = { root: ctx.root.root, context: ctx.context, own: plan.own, written: [] };
  const count = i.sources.length + i.inline.length;
  const existingDir = (await lstat(await resolveInRoot(ctx.root.root, dest)).catch(() => undefined))?.isDirectory() === true;
  const asDir = i.dest.endsWith('/') || i.dest === '.' || count > 1 || existingDir;
  const fileDest = (name: string): string => (asDir ? posix.join(dest, name) : dest);
  const chown = i.chown !== undefined && i.chown !== '' ? { uid: plan.own.uid, gid: plan.own.gid } : undefined;
  for (const src of i.sources) {
    if (isGitSource(src)) {
      const co = await gitCheckout(parseGitSource(src), { keepGitDir: i.keepGitDir, what: plan.what, ...(i.checksum ? { checksum: i.checksum } : {}) });
      try {
        await copyEntry(outsideContext(t), co.host, '', dest);
      } finally {
        await co.dispose();
      }
    } else if (isRemoteUrl(src)) {
      const d = await download(src, { what: plan.what, ...(i.checksum ? { checksum: i.checksum } : {}) });
      try {
        const kind = i.unpack === true ? await archiveKind(d.host) : undefined;
        if (kind !== undefined) t.written.push(...(await extractArchive({ root: t.root, archive: d.host, kind, dest, logger: ctx.logger, what: plan.what, ...(chown ? { owner: chown } : {}) })));
        else await copyEntry(outsideContext(t), d.host, d.name, fileDest(d.name));
      } finally {
        await d.dispose();
      }
    } else {
      for (const s of await resolveSources(ctx.context, [src], plan.what)) {
        const kind = !s.isDir && i.unpack !== false ? await archiveKind(s.host) : undefined;
        if (kind !== undefined) t.written.push(...(await extractArchive({ root: t.root, archive: s.host, kind, dest, logger: ctx.logger, what: plan.what, ...(chown ? { owner: chown } : {}) })));
        else await copyEntry(t, s.host, s.rel, s.isDir ? dest : fileDest(posix.basename(s.rel)));
      }
    }
  }
  const inline = await inlineFiles(i.inline);
  try {
    for (const s of inline.sources) await copyEntry(t, s.host, s.rel, fileDest(s.rel));
  } finally {
    await inline.dispose();
  }
  return { config: ctx.config, changes: { kind: 'paths', paths: [...new Set(t.written)] } };
}

/** The same target for files that do not come from the context (no .dockerignore applies). */
function outsideContext(t: CopyTarget): CopyTarget {
  return { ...t, context: { dir: t.context.dir, excluded: () => false } }; // `written` is shared
}
