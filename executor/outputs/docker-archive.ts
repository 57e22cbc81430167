// --tar-path: a docker-archive (`docker save` / go-containerregistry tarball layout), what
// kaniko writes: manifest.json, repositories, the config as `sha256:<hex>` and each layer's
// compressed blob as `<hex>.tar.gz` (Docker, podman and skopeo read compressed layers).
// Streams every blob straight from the image into the tar; nothing is held whole in memory.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { hexOf } from '../../shared/digest.ts';
import { KilnError } from '../../shared/errors.ts';
import type { Image } from '../../shared/image/types.ts';
import type { Reference } from '../../shared/reference/types.ts';

export interface DockerArchiveOptions {
  /** Names for RepoTags (`registry/repo:tag`); may be empty. */
  tags: readonly Reference[];
}

export async function writeDockerArchive(image: Image, path: string, options: DockerArchiveOptions): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    const pack = tar.pack();
    // Both sides awaited together: a write error (a full disk, a missing directory) must reject
    // this call, not surface later as an unhandled rejection.
    const filled = fillArchive(pack, image, options).then(() => void pack.finalize());
    await Promise.all([pipeline(pack, createWriteStream(tmp, { mode: 0o644 })), filled]).catch((e: unknown) => {
      pack.destroy();
      throw e;
    });
    await rename(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true }).catch(() => undefined); // the directory itself may be what failed
    throw new KilnError('E_IO', `writing the image tarball ${path}: ${(cause as Error).message}`, { cause });
  }
}

async function fillArchive(pack: tar.Pack, image: Image, options: DockerArchiveOptions): Promise<void> {
  const manifest = await image.manifest();
  const configName = `sha256:${hexOf(manifest.config.digest)}`;
  await addBuffer(pack, configName, await image.rawConfig());
  const layerNames: string[] = [];
  for (const layer of await image.layers()) {
    const name = `${hexOf(await layer.digest())}.tar.gz`;
    layerNames.push(name);
    await addStream(pack, name, await layer.size(), await layer.compressed());
  }
  const repoTags = options.tags.map((r) => tagName(r));
  const entry = { Config: configName, RepoTags: repoTags, Layers: layerNames };
  await addBuffer(pack, 'manifest.json', Buffer.from(JSON.stringify([entry])));
  const config = await image.config();
  const top = config.rootfs.diff_ids.at(-1);
  if (top !== undefined && options.tags.length > 0) {
    const repos: Record<string, Record<string, string>> = {};
    for (const r of options.tags) (repos[`${r.registry}/${r.repository}`] ??= {})[r.tag ?? 'latest'] = hexOf(top);
    await addBuffer(pack, 'repositories', Buffer.from(JSON.stringify(repos)));
  }
}

function tagName(r: Reference): string {
  return `${r.registry}/${r.repository}:${r.tag ?? 'latest'}`;
}

function addBuffer(pack: tar.Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (err) => (err ? reject(err) : resolve()));
  });
}

async function addStream(pack: tar.Pack, name: string, size: number, data: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ name, size, mode: 0o644, mtime: new Date(0) }, (err) => (err ? reject(err) : resolve()));
    pipeline(data, entry).catch(reject);
  });
}
