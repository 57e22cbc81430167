// --digest-file, --image-name-with-digest-file, --image-name-tag-with-digest-file in kaniko's
// formats: the bare digest (no newline); one `registry/repo@digest` line per destination; one
// `registry/repo:tag@digest` line per destination. Kiln writes them only after every push has
// succeeded (kaniko writes them before pushing) and writes each file with its own format
// (kaniko shares one buffer, so setting both name files puts tags in both).
import { writeFile } from 'node:fs/promises';
import type { Digest } from '../../shared/digest.ts';
import { KilnError } from '../../shared/errors.ts';
import type { Reference } from '../../shared/reference/types.ts';

export interface DigestFileOptions {
  digestFile?: string;
  imageNameWithDigestFile?: string;
  imageNameTagWithDigestFile?: string;
}

export function imageNameWithDigest(refs: readonly Reference[], digest: Digest): string {
  return refs.map((r) => `${r.registry}/${r.repository}@${digest}\n`).join('');
}

export function imageNameTagWithDigest(refs: readonly Reference[], digest: Digest): string {
  return refs.map((r) => `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}@${digest}\n`).join('');
}

export async function writeDigestFiles(refs: readonly Reference[], digest: Digest, options: DigestFileOptions): Promise<void> {
  const files: [string | undefined, string][] = [
    [options.digestFile, digest],
    [options.imageNameWithDigestFile, imageNameWithDigest(refs, digest)],
    [options.imageNameTagWithDigestFile, imageNameTagWithDigest(refs, digest)],
  ];
  for (const [path, text] of files) {
    if (path === undefined || path === '') continue;
    await writeFile(path, text, { mode: 0o644 }).catch((cause: unknown) => {
      throw new KilnError('E_IO', `writing ${path}: ${(cause as Error).message}`, { cause });
    });
  }
}
