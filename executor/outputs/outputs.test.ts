import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseReference } from '../../shared/reference/index.ts';
import { randomImage } from '../../test/helpers/random-image.ts';
import { imageNameTagWithDigest, imageNameWithDigest, writeDigestFiles } from './digest-files.ts';
import { writeDockerArchive } from './docker-archive.ts';
import { writeOciLayout } from './oci-layout.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-outputs-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function tarEntries(path: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    stream.on('end', () => {
      out.set(h.name, Buffer.concat(chunks));
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', () => resolve());
    extract.on('error', reject);
    createReadStream(path).pipe(extract);
  });
  return out;
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('build outputs', () => {
  it('docker-archive: manifest.json names the config and every compressed layer, bytes match their digests', async () => {
    const image = await randomImage({ layers: 2, mediaTypes: 'docker' });
    const path = join(testdir(), 'image.tar');
    await writeDockerArchive(image, path, { tags: [parseReference('registry.example/team/app:v1')] });
    const entries = await tarEntries(path);
    const [m] = JSON.parse((entries.get('manifest.json') as Buffer).toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    expect(m?.RepoTags).toEqual(['registry.example/team/app:v1']);
    expect(sha(entries.get(m?.Config as string) as Buffer)).toBe((await image.manifest()).config.digest);
    const layers = await image.layers();
    expect(m?.Layers).toHaveLength(2);
    for (const [i, name] of (m?.Layers ?? []).entries()) expect(sha(entries.get(name) as Buffer)).toBe(await layers[i]?.digest());
    expect(JSON.parse((entries.get('repositories') as Buffer).toString())).toHaveProperty(['registry.example/team/app', 'v1']);
  });

  it('OCI layout: blobs by digest, index.json with the ref name, re-writing replaces the entry', async () => {
    const dir = join(testdir(), 'oci');
    const a = await randomImage({ layers: 1, mediaTypes: 'oci' });
    const b = await randomImage({ layers: 1, mediaTypes: 'oci' });
    await writeOciLayout(a, dir, { refName: 'latest' });
    await writeOciLayout(b, dir, { refName: 'latest' });
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([await b.digest()]);
    const blob = (d: string): Buffer => readFileSync(join(dir, 'blobs/sha256', d.slice(7)));
    expect(sha(blob(await b.digest()))).toBe(await b.digest());
    const layer = (await b.layers())[0];
    expect(sha(blob((await layer?.digest()) as string))).toBe(await layer?.digest());
    expect(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
  });

  it('digest files in kaniko\'s formats', async () => {
    const refs = [parseReference('gcr.io/foo/bar:123'), parseReference('bob/image')];
    const d = 'sha256:0000000000000000000000000000000000000000000000000000000000000001' as const;
    expect(imageNameWithDigest(refs, d)).toBe(`gcr.io/foo/bar@${d}\nindex.docker.io/bob/image@${d}\n`);
    expect(imageNameTagWithDigest(refs, d)).toBe(`gcr.io/foo/bar:123@${d}\nindex.docker.io/bob/image:latest@${d}\n`);
    const dir = testdir();
    await writeDigestFiles(refs, d, { digestFile: join(dir, 'd') });
    expect(readFileSync(join(dir, 'd'), 'utf8')).toBe(d);
  });
});
