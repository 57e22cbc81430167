// The COPY/ADD part of a cache key: a hash over the source files as the step would copy them
// (after .dockerignore): each entry's context-relative path, type, mode, owner, size, and its
// content (a file) or target (a link). Modification times are left out, as kaniko and BuildKit
// do: a fresh checkout must still hit.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildContext } from '../context/types.ts';
import { resolveSources } from '../steps/copy-sources.ts';

/** Hash the context sources `sources` (as written in COPY/ADD, expanded). */
export async function hashSources(context: BuildContext, sources: readonly string[], what: string): Promise<string> {
  const h = createHash('sha256');
  for (const s of await resolveSources(context, sources, what)) {
    h.update(`source ${s.rel}\0`);
    // A named top-level link is followed (resolveSources gives its real path), as COPY does.
    await hashEntry(h, context, { host: s.host, rel: s.rel, follow: true });
  }
  return h.digest('hex');
}

interface EntryRef {
  host: string;
  rel: string;
  follow: boolean;
}

async function hashEntry(h: Hash, context: BuildContext, e: EntryRef): Promise<void> {
  const st = e.follow ? await stat(e.host) : await lstat(e.host);
  const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : 'other';
  h.update(`${e.rel}\0${kind}\0${(st.mode & 0o7777).toString(8)}\0${st.uid}:${st.gid}\0`);
  if (kind === 'file') {
    h.update(`${st.size}\0${await fileHash(e.host)}\n`);
  } else if (kind === 'link') {
    h.update(`${await readlink(e.host)}\n`);
  } else if (kind === 'dir') {
    h.update('\n');
    for (const name of (await readdir(e.host)).sort()) {
      const rel = e.rel === '' ? name : `${e.rel}/${name}`;
      if (context.excluded(rel)) continue;
      await hashEntry(h, context, { host: join(e.host, name), rel, follow: false });
    }
  } else {
    h.update(`${st.rdev}\n`);
  }
}

async function fileHash(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
