// ADD: local files and directories behave as COPY. Remote URLs, git sources and local
// archives (which ADD extracts) arrive with issue 6; until then they fail clearly instead of
// being copied as plain files.
import { open } from 'node:fs/promises';
import type { AddInstruction } from '../../shared/dockerfile/instructions/types.ts';
import { copyFromContext, notYet } from './copy.ts';
import { resolveSources } from './copy-sources.ts';
import type { Step } from './types.ts';

export const add: Step<AddInstruction> = async (i, ctx) => {
  const what = `${ctx.file}:${i.loc.start}: ADD`;
  if (i.sources.some((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith('git@'))) notYet(what, 'a remote source');
  if (i.checksum !== undefined) notYet(what, '--checksum');
  if (i.unpack !== false) {
    for (const s of await resolveSources(ctx.context, i.sources, what)) {
      if (!s.isDir && (await looksLikeArchive(s.host))) notYet(what, `extracting the archive ${s.rel}`);
    }
  }
  return await copyFromContext(i, ctx, what);
};

async function looksLikeArchive(path: string): Promise<boolean> {
  const f = await open(path, 'r');
  try {
    const b = Buffer.alloc(262);
    const { bytesRead } = await f.read(b, 0, 262, 0);
    const h = b.subarray(0, bytesRead);
    const magic = [[0x1f, 0x8b], [0x42, 0x5a, 0x68], [0xfd, 0x37, 0x7a, 0x58, 0x5a], [0x28, 0xb5, 0x2f, 0xfd]];
    if (magic.some((m) => m.every((v, k) => h[k] === v))) return true;
    return h.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    await f.close();
  }
}
