// --oci-layout-path: an OCI image layout (oci-layout, index.json, blobs/sha256/…) holding the
// built image, as kaniko writes with go-containerregistry's layout.Write + AppendImage. The
// manifest descriptor carries `org.opencontainers.image.ref.name` (the first destination's tag)
// so `umoci` and `skopeo … oci:DIR:TAG` find it by name too. Blobs are written under a
// temporary name and renamed; existing blobs are kept.
import { createWriteStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hexOf, type Digest } from '../../shared/digest.ts';
import { KilnError } from '../../shared/errors.ts';
import { MediaTypes, type Descriptor, type Image, type IndexManifest } from '../../shared/image/types.ts';

export interface OciLayoutOptions {
  /** Value of org.opencontainers.image.ref.name; omitted when undefined. */
  refName?: string;
}

export async function writeOciLayout(image: Image, dir: string, options: OciLayoutOptions = {}): Promise<Descriptor> {
  try {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    for (const layer of await image.layers()) {
      await writeBlob(dir, await layer.digest(), () => layer.compressed());
    }
    const manifest = await image.manifest();
    await writeBlobBytes(dir, manifest.config.digest, await image.rawConfig());
    const raw = await image.rawManifest();
    const digest = await image.digest();
    await writeBlobBytes(dir, digest, raw);
    const desc: Descriptor = { mediaType: await image.mediaType(), digest, size: raw.length };
    if (options.refName !== undefined) desc.annotations = { 'org.opencontainers.image.ref.name': options.refName };
    await updateIndex(dir, desc);
    return desc;
  } catch (cause) {
    throw new KilnError('E_IO', `writing the OCI layout ${dir}: ${(cause as Error).message}`, { cause });
  }
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

async function writeBlob(dir: string, digest: Digest, open: () => Promise<Readable>): Promise<void> {
  const final = join(dir, 'blobs', 'sha256', hexOf(digest));
  if (await exists(final)) return;
  const tmp = `${final}.tmp-${process.pid}`;
  try {
    await pipeline(await open(), createWriteStream(tmp));
    await rename(tmp, final);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function writeBlobBytes(dir: string, digest: Digest, data: Buffer): Promise<void> {
  const final = join(dir, 'blobs', 'sha256', hexOf(digest));
  if (await exists(final)) return;
  await writeFile(`${final}.tmp-${process.pid}`, data);
  await rename(`${final}.tmp-${process.pid}`, final);
}

/** Add the descriptor to index.json; one with the same ref name (or digest) is replaced. */
async function updateIndex(dir: string, desc: Descriptor): Promise<void> {
  const path = join(dir, 'index.json');
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const index: IndexManifest = text !== undefined ? (JSON.parse(text) as IndexManifest) : { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
  const name = desc.annotations?.['org.opencontainers.image.ref.name'];
  index.manifests = index.manifests.filter((m) =>
    name !== undefined ? m.annotations?.['org.opencontainers.image.ref.name'] !== name : m.digest !== desc.digest,
  );
  index.manifests.push(desc);
  await writeFile(`${path}.tmp-${process.pid}`, JSON.stringify(index));
  await rename(`${path}.tmp-${process.pid}`, path);
}
