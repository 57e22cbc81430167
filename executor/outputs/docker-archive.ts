// --tar-path: a docker-archive (`docker save` / go-containerregistry tarball layout), what
// kaniko writes: manifest.json, repositories, the config as `sha256:<hex>` and each layer's
// compressed blob as `<hex>.tar.gz` (Docker, podman and skopeo read compressed layers).
// Streams every blob straight from the image into the tar; nothing is held whole in memory.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { hexOf } from '../../shared/digest.ts';
import { KilnError } from '../../shared/errors.ts';
import type { Image } from '../../shared/image/types.ts';
import type { Reference } from '../../shared/reference/types.ts';
import type { TarHeader } from '../layer/tar-header.ts';
import { packTar, type PackEntry } from '../layer/tar-pack.ts';

export interface DockerArchiveOptions {
  /** Names for RepoTags (`registry/repo:tag`); may be empty. */
  tags: readonly Reference[];
}

export async function writeDockerArchive(image: Image, path: string, options: DockerArchiveOptions): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await pipeline(packTar(archiveEntries(image, options)), createWriteStream(tmp, { mode: 0o644 }));
    await rename(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true }).catch(() => undefined); // the directory itself may be what failed
    throw new KilnError('E_IO', `writing the image tarball ${path}: ${(cause as Error).message}`, { cause });
  }
}

async function* archiveEntries(image: Image, options: DockerArchiveOptions): AsyncGenerator<PackEntry> {
  const manifest = await image.manifest();
  const configName = `sha256:${hexOf(manifest.config.digest)}`;
  yield bufferEntry(configName, await image.rawConfig());
  const layerNames: string[] = [];
  for (const layer of await image.layers()) {
    const name = `${hexOf(await layer.digest())}.tar.gz`;
    layerNames.push(name);
    yield { header: fileHeader(name, await layer.size()), body: await layer.compressed() };
  }
  const repoTags = options.tags.map((r) => tagName(r));
  const entry = { Config: configName, RepoTags: repoTags, Layers: layerNames };
  yield bufferEntry('manifest.json', Buffer.from(JSON.stringify([entry])));
  const config = await image.config();
  const top = config.rootfs.diff_ids.at(-1);
  if (top !== undefined && options.tags.length > 0) {
    const repos: Record<string, Record<string, string>> = {};
    for (const r of options.tags) (repos[`${r.registry}/${r.repository}`] ??= {})[r.tag ?? 'latest'] = hexOf(top);
    yield bufferEntry('repositories', Buffer.from(JSON.stringify(repos)));
  }
}

function tagName(r: Reference): string {
  return `${r.registry}/${r.repository}:${r.tag ?? 'latest'}`;
}

function fileHeader(name: string, size: number): TarHeader {
  return { name, type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtime: 0, linkname: '' };
}

function bufferEntry(name: string, data: Buffer): PackEntry {
  return { header: fileHeader(name, data.length), body: data };
}
