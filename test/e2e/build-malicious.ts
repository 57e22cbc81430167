// A crafted base image for the extraction-safety e2e test: one layer with the given tar entries
// (written with tar-stream, so `../` names and absolute link targets go in unchanged), pushed to
// the test registry through an OCI layout and skopeo.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { sh, tempDir } from './build-support.ts';

export interface CraftedEntry {
  name: string;
  type: 'file' | 'symlink' | 'directory' | 'link';
  linkname?: string;
  content?: string | Buffer;
  /** Default 0755 for directories, 0644 otherwise. */
  mode?: number;
  /** PAX records, e.g. `SCHILY.xattr.security.capability`. */
  pax?: Record<string, string>;
}

async function tarOf(entries: CraftedEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve) => {
    pack.on('end', () => resolve());
  });
  for (const e of entries) {
    const header: Partial<tar.Header> & { name: string } = { name: e.name, type: e.type, mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644) };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if (e.pax !== undefined) header.pax = e.pax;
    if (e.type === 'file') pack.entry(header, e.content ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Push a one-layer image made of `entries` as `ref` (plain-HTTP registry); returns the layer digest. */
export async function pushCraftedImage(ref: string, entries: CraftedEntry[]): Promise<string> {
  const dir = path.join(tempDir('kiln-crafted-'), 'oci');
  mkdirSync(path.join(dir, 'blobs/sha256'), { recursive: true });
  const layerTar = await tarOf(entries);
  const layer = gzipSync(layerTar);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layerTar)}`] },
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(config)}`, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha(layer)}`, size: layer.length }],
  }));
  for (const b of [layer, config, manifest]) writeFileSync(path.join(dir, 'blobs/sha256', sha(b)), b);
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(manifest)}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'evil' } }],
  }));
  sh('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${dir}:evil`, `docker://${ref}`]);
  return `sha256:${sha(layer)}`;
}
