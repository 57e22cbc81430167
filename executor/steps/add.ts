// ADD: local files and directories behave as COPY; local archives are extracted, remote URLs
// downloaded (with --checksum), git sources checked out: add-sources.ts.
import type { AddInstruction } from '../../shared/dockerfile/instructions/types.ts';
import { KilnError } from '../../shared/errors.ts';
import { isGitSource } from './add-git.ts';
import { isRemoteUrl } from './add-remote.ts';
import { addSources, needsAddSources } from './add-sources.ts';
import { copyFromContext, notYet, ownership } from './copy.ts';
import type { Step } from './types.ts';

export const add: Step<AddInstruction> = async (i, ctx) => {
  const what = `${ctx.file}:${i.loc.start}: ADD`;
  const other = i.sources.find((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !isRemoteUrl(s) && !isGitSource(s));
  if (other !== undefined) notYet(what, `the source scheme of "${other.replace(/:\/\/.*/, '://…')}"`);
  if (i.checksum !== undefined && !i.sources.every((s) => isRemoteUrl(s) || isGitSource(s))) {
    throw new KilnError('E_DOCKERFILE', `${what}: --checksum can only be used with HTTP(S) and git sources`);
  }
  if (!(await needsAddSources(i, ctx, what))) return await copyFromContext(i, ctx, what);
  if (i.exclude.length > 0) notYet(what, '--exclude with a URL, git or archive source');
  return await addSources(i, ctx, { own: await ownership(i, ctx, what), what });
};
