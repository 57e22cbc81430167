// COPY/ADD heredoc sources (`COPY <<EOF /file`): each body becomes a file named after its
// heredoc (the name matters when the destination is a directory), mode 0644 like BuildKit's
// Mkfile, so the copy code treats it like any other file. The bodies arrive already expanded
// (or not, for a quoted delimiter) and tab-stripped by shared/dockerfile.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InlineSource } from '../../shared/dockerfile/instructions/types.ts';
import { KilnError } from '../../shared/errors.ts';
import type { ContextSource } from './copy-sources.ts';
import { inTempDir } from './temp-dir.ts';

export interface InlineFiles {
  sources: ContextSource[];
  dispose(): Promise<void>;
}

export async function inlineFiles(inline: readonly InlineSource[]): Promise<InlineFiles> {
  if (inline.length === 0) return { sources: [], dispose: async () => undefined };
  return inTempDir('kiln-heredoc-', async (dir) => {
    const sources: ContextSource[] = [];
    for (const [n, s] of inline.entries()) {
      if (s.path === '' || s.path.includes('/') || s.path === '.' || s.path === '..') {
        throw new KilnError('E_DOCKERFILE', `heredoc name "${s.path}" cannot be used as a file name`);
      }
      const host = join(dir, String(n));
      await writeFile(host, s.data);
      await chmod(host, 0o644);
      sources.push({ rel: s.path, host, isDir: false });
    }
    return { sources };
  });
}
