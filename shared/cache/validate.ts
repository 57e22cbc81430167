// store.validate(): every blob matches its digest, every index entry is complete (manifest,
// config and layers present). Reads only; safe while warmers write (temp files are skipped).
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream, isDigest } from '../digest.ts';
import { isIndexMediaType, type Descriptor, type IndexManifest, type Manifest } from '../image/types.ts';
import { blobPath, blobsDir, TEMP_MARK } from './blobs.ts';
import { Annotations } from './entry.ts';
import { indexPath, isOciLayout, readIndex } from './index-file.ts';
import type { StoreProblem } from './types.ts';

export async function validateStore(dir: string): Promise<StoreProblem[]> {
  const problems: StoreProblem[] = [];
  let index: IndexManifest | undefined;
  try {
    index = await readIndex(dir);
  } catch (e) {
    return [{ kind: 'index', subject: indexPath(dir), message: (e as Error).message }];
  }
  const layout = await readFile(join(dir, 'oci-layout'), 'utf8').catch(() => undefined);
  if (index === undefined) return problems; // no store (yet): nothing to be wrong
  if (layout === undefined || !isOciLayout(layout)) {
    problems.push({ kind: 'layout', subject: join(dir, 'oci-layout'), message: 'missing or not {"imageLayoutVersion":"1.0.0"}' });
  }
  problems.push(...(await checkBlobs(dir)));
  for (const d of index.manifests) problems.push(...(await checkEntry(dir, d)));
  return problems;
}

/** Hash every blob (two at a time); a name that is not a sha256 hex or temp file is a problem too. */
async function checkBlobs(dir: string): Promise<StoreProblem[]> {
  const names = await readdir(blobsDir(dir)).catch(() => [] as string[]);
  const problems: StoreProblem[] = [];
  const queue = names.filter((n) => !n.includes(TEMP_MARK));
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) {
        problems.push({ kind: 'blob', subject: join(blobsDir(dir), name), message: 'not a sha256 blob name' });
        continue;
      }
      const got = await hashFile(blobPath(dir, digest)).catch((e: unknown) => `unreadable: ${(e as Error).message}`);
      if (got !== digest) problems.push({ kind: 'blob', subject: digest, message: `content has ${got}` });
    }
  };
  await Promise.all([worker(), worker()]);
  return problems;
}

async function hashFile(path: string): Promise<string> {
  const h = new HashingStream();
  await pipeline(createReadStream(path), h, new Writable({ write: (_c, _e, cb) => cb() }));
  return h.digest();
}

async function checkEntry(dir: string, d: Descriptor): Promise<StoreProblem[]> {
  const subject = d.annotations?.[Annotations.ref] ?? d.annotations?.[Annotations.refName] ?? d.digest;
  const problems: StoreProblem[] = [];
  const missing = async (what: string, b: Descriptor): Promise<boolean> => {
    const size = await stat(blobPath(dir, b.digest)).then((s) => s.size, () => undefined);
    if (size === b.size) return false;
    const why = size === undefined ? 'missing' : `${size} bytes, descriptor says ${b.size}`;
    problems.push({ kind: 'entry', subject, message: `${what} ${b.digest}: ${why}` });
    return true;
  };
  if (!isDigest(d.digest) || (await missing('manifest', d))) return problems;
  let parsed: Manifest & Partial<IndexManifest>;
  try {
    parsed = JSON.parse(await readFile(blobPath(dir, d.digest), 'utf8')) as Manifest & Partial<IndexManifest>;
  } catch (e) {
    return [{ kind: 'entry', subject, message: `manifest ${d.digest}: ${(e as Error).message}` }];
  }
  if (isIndexMediaType(d.mediaType) || Array.isArray(parsed.manifests)) {
    for (const child of parsed.manifests ?? []) problems.push(...(await checkEntry(dir, child)));
    return problems;
  }
  if (parsed.config === undefined || !Array.isArray(parsed.layers)) {
    return [{ kind: 'entry', subject, message: `manifest ${d.digest}: no config or layers` }];
  }
  await missing('config', parsed.config);
  for (const l of parsed.layers) {
    await missing('layer', l);
  }
  return problems;
}
