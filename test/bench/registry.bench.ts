// Registry throughput (issue 3): push and pull of a multi-layer random image of a few hundred
// MB on loopback against Debian's docker-registry, with `skopeo copy` of the same image in the
// same run as the yardstick. Both read from and write to an OCI layout on disk; every push
// goes to a fresh registry so that neither side can skip or mount blobs.
import { measuredOn, writeResultsSection } from './results.ts';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { hexOf, sha256, type Digest } from '../../shared/digest.ts';
import { imageFromParts, layerFromFile, MediaTypes, type Image } from '../../shared/image/index.ts';
import { silentLogger } from '../../shared/log.ts';
import { parseReference } from '../../shared/reference/index.ts';
import { createRegistryClient, defaultRegistryOptions } from '../../shared/registry/index.ts';
import { startRegistry, type Registry } from '../../scripts/testenv/registry.ts';
import { tarOf } from '../helpers/random-image.ts';

const LAYERS = 8;
const LAYER_BYTES = 40 * 1024 * 1024;
const RUNS = 3;

interface Row { what: string; kiln: string; skopeo: string; ratio: string }

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

interface Layout { dir: string; bytes: number; image: Image }

/** An OCI layout with LAYERS random (incompressible) gzip layers, and an Image over its files. */
async function makeLayout(dir: string): Promise<Layout> {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layers = [];
  const diffIds: Digest[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const tar = await tarOf([{ name: `data/blob${i}.bin`, content: randomBytes(LAYER_BYTES) }]);
    const gz = gzipSync(tar, { level: 1 });
    const digest = sha256(gz);
    writeFileSync(join(blobs, hexOf(digest)), gz);
    layers.push({ mediaType: MediaTypes.ociLayerGzip, digest, size: gz.length });
    diffIds.push(sha256(tar));
  }
  const rawConfig = json({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } });
  const config = { mediaType: MediaTypes.ociConfig, digest: sha256(rawConfig), size: rawConfig.length };
  writeFileSync(join(blobs, hexOf(config.digest)), rawConfig);
  const rawManifest = json({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers });
  const mDigest = sha256(rawManifest);
  writeFileSync(join(blobs, hexOf(mDigest)), rawManifest);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const ref = { mediaType: MediaTypes.ociManifest, digest: mDigest, size: rawManifest.length, annotations: { 'org.opencontainers.image.ref.name': 'bench' } };
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [ref] }));
  const image = imageFromParts({
    rawManifest,
    rawConfig,
    layer: (d, diffId) => layerFromFile({ path: join(blobs, hexOf(d.digest)), mediaType: d.mediaType, digest: d.digest, diffId, size: d.size }),
  });
  return { dir, bytes: layers.reduce((n, l) => n + l.size, 0), image };
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function withRegistry<T>(fn: (r: Registry) => Promise<T>): Promise<T> {
  const reg = await startRegistry();
  try {
    return await fn(reg);
  } finally {
    await reg.stop();
  }
}

function skopeo(src: string, dst: string): void {
  execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', src, dst], { stdio: 'ignore' });
}

/** Kiln pull: manifest, config and every layer streamed (verified) into files, 4 at a time. */
async function kilnPull(host: string, out: string): Promise<void> {
  const client = createRegistryClient({ options: defaultRegistryOptions, logger: silentLogger, env: {} });
  try {
    const img = await client.image(parseReference(`${host}/bench/src:1`), { platform: { os: 'linux', architecture: 'amd64' } });
    const layers = await img.layers();
    await img.rawConfig();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < layers.length; i = next++) {
        const l = layers[i]!;
        await pipeline(await l.compressed(), createWriteStream(join(out, hexOf(await l.digest()))));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  } finally {
    await client.close();
  }
}

async function kilnPush(image: Image, host: string, repo: string): Promise<void> {
  const client = createRegistryClient({ options: defaultRegistryOptions, logger: silentLogger, env: {} });
  try {
    await client.push(image, parseReference(`${host}/${repo}:1`));
  } finally {
    await client.close();
  }
}

export async function run(): Promise<Row[]> {
  const load = loadavg()[0] ?? 0;
  const work = mkdtempSync(join(tmpdir(), 'kiln-bench-registry-'));
  try {
    const layout = await makeLayout(join(work, 'layout'));
    const mb = layout.bytes / 1e6;
    const push = { kiln: [] as number[], skopeo: [] as number[] };
    const pull = { kiln: [] as number[], skopeo: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      push.kiln.push(await withRegistry((r) => timed(() => kilnPush(layout.image, r.host, 'bench/kiln'))));
      push.skopeo.push(await withRegistry((r) => timed(() => skopeo(`oci:${layout.dir}:bench`, `docker://${r.host}/bench/skopeo:1`))));
    }
    await withRegistry(async (r) => {
      skopeo(`oci:${layout.dir}:bench`, `docker://${r.host}/bench/src:1`);
      for (let i = 0; i < RUNS; i++) {
        const a = join(work, `pull-kiln-${i}`);
        mkdirSync(a);
        pull.kiln.push(await timed(() => kilnPull(r.host, a)));
        rmSync(a, { recursive: true, force: true });
        const b = join(work, `pull-skopeo-${i}`);
        pull.skopeo.push(await timed(() => skopeo(`docker://${r.host}/bench/src:1`, `oci:${b}:bench`)));
        rmSync(b, { recursive: true, force: true });
      }
    });
    const row = (what: string, t: { kiln: number[]; skopeo: number[] }): Row => ({
      what,
      kiln: `${(mb / median(t.kiln)).toFixed(0)} MB/s (${median(t.kiln).toFixed(2)} s)`,
      skopeo: `${(mb / median(t.skopeo)).toFixed(0)} MB/s (${median(t.skopeo).toFixed(2)} s)`,
      ratio: `${(median(t.skopeo) / median(t.kiln)).toFixed(2)}×`,
    });
    const rows = [row(`push ${LAYERS} × ${LAYER_BYTES / 2 ** 20} MiB layers (${mb.toFixed(0)} MB)`, push), row(`pull the same image`, pull)];
    writeSection(rows, load);
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function writeSection(rows: Row[], load: number): void {
  const skopeoVersion = execFileSync('skopeo', ['--version'], { encoding: 'utf8' }).trim();
  writeResultsSection('registry', [
    '## Registry push and pull (test/bench/registry.bench.ts)',
    '',
    `${measuredOn()}, ${skopeoVersion}, Debian docker-registry (plain HTTP, loopback, filesystem storage), median of ${RUNS} runs, Kiln and skopeo alternating; 1-minute load average ${load.toFixed(1)} when the run started (other work on the machine makes both slower).`,
    'Both tools read the image from an OCI layout on disk (push) or write its blobs to disk (pull), verify digests, and push to a fresh registry each run (no blob skipped or mounted). Layers are random, so gzip cannot shrink them. Ratio > 1 means Kiln is faster.',
    '',
    '| what | Kiln | skopeo copy | Kiln vs skopeo |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${r.kiln} | ${r.skopeo} | ${r.ratio} |`),
  ]);
}
