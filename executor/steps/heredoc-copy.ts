// COPY/ADD heredoc sources (`COPY <<EOF /file`): each body becomes a file named after its
// heredoc (the name matters when the destination is a directory), mode 0644 like BuildKit's
// Mkfile, so the copy code treats it like any other file. The bodies arrive already expanded
// (or not, for a quoted delimiter) and tab-stripped by shared/dockerfile.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InlineSource } from '../../shared/dockerfile/instructions/types.ts';
import { KilnError } from '../../shared/errors.ts';
import type { ContextSource } from './copy-sources.ts';

export interface InlineFiles {
  sources: ContextSource[];
  dispose(): Promise<void>;
}

export async function inlineFiles(inline: readonly InlineSource[]): Promise<InlineFiles> {
  if (inline.length === 0) return { sources: [], dispose: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), 'kiln-heredoc-'));
  const sources: ContextSource[] = [];
  try {
    for (const [n, s] of inline.entries()) {
      if (s.path === '' || s.path.includes('/') || s.path === '.' || s.path === '..') {
        throw new KilnError('E_DOCKERFILE', `heredoc name "${s.path}" cannot be used as a file name`);
      }
      const host = join(dir, String(n));
      await writeFile(host, s.data);
      await chmod(host, 0o644);
      sources.push({ rel: s.path, host, isDir: false });
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return { sources, dispose: () => rm(dir, { recursive: true, force: true }) };
}
