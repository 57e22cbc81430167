// validateImage: every byte of an image checked against what its documents claim
// (go-containerregistry's pkg/v1/validate). Tests call it on every image they produce.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isDeepStrictEqual } from 'node:util';
import { HashingStream, sha256, type Digest } from '../digest.ts';
import { KilnError, type ErrorCode } from '../errors.ts';
import { decompressStream } from './compression.ts';
import type { Descriptor, Image, Layer } from './types.ts';

interface Problem {
  code: ErrorCode;
  text: string;
}

/** Drain `src` through `through`; each HashingStream in it records what flowed at its place. */
async function drain(src: NodeJS.ReadableStream, ...through: NodeJS.ReadWriteStream[]): Promise<void> {
  await pipeline([src, ...through, new Writable({ write: (_c, _e, cb) => cb() })]);
}

async function checkLayer(i: number, layer: Layer, desc: Descriptor, diffId: Digest | undefined): Promise<Problem[]> {
  const out: Problem[] = [];
  const bad = (code: ErrorCode, text: string) => out.push({ code, text: `layer ${i} (${desc.digest}): ${text}` });
  const [digest, size, layerDiffId] = await Promise.all([layer.digest(), layer.size(), layer.diffId()]);
  if (digest !== desc.digest) bad('E_DIGEST_MISMATCH', `Layer.digest() is ${digest}, the manifest says ${desc.digest}`);
  if (size !== desc.size) bad('E_DIGEST_MISMATCH', `Layer.size() is ${size}, the manifest says ${desc.size}`);
  if (layer.mediaType() !== desc.mediaType) bad('E_MANIFEST', `Layer.mediaType() is ${layer.mediaType()}, the manifest says ${desc.mediaType}`);
  if (layerDiffId !== diffId) bad('E_DIGEST_MISMATCH', `Layer.diffId() is ${layerDiffId}, the config says ${diffId}`);
  try {
    // One pass hashes the compressed bytes and what we decompress from them; a second reads uncompressed().
    const [c, viaCompressed, u] = [new HashingStream(), new HashingStream(), new HashingStream()];
    await drain(await layer.compressed(), c, decompressStream(desc.mediaType), viaCompressed);
    if (c.digest() !== desc.digest) bad('E_DIGEST_MISMATCH', `compressed content has digest ${c.digest()}`);
    if (c.size !== desc.size) bad('E_DIGEST_MISMATCH', `compressed content is ${c.size} bytes, the manifest says ${desc.size}`);
    if (viaCompressed.digest() !== diffId) bad('E_DIGEST_MISMATCH', `decompressed content has digest ${viaCompressed.digest()}, the config's diff_id is ${diffId}`);
    await drain(await layer.uncompressed(), u);
    if (u.digest() !== diffId) bad('E_DIGEST_MISMATCH', `uncompressed() content has digest ${u.digest()}, the config's diff_id is ${diffId}`);
  } catch (e) {
    bad('E_DIGEST_MISMATCH', `reading it failed: ${(e as Error).message}`);
  }
  return out;
}

async function checkDocuments(img: Image): Promise<Problem[]> {
  const out: Problem[] = [];
  const [raw, digest, manifest, rawConfig, config] = await Promise.all([img.rawManifest(), img.digest(), img.manifest(), img.rawConfig(), img.config()]);
  if (sha256(raw) !== digest) out.push({ code: 'E_DIGEST_MISMATCH', text: `digest() is ${digest}, sha256 of rawManifest() is ${sha256(raw)}` });
  if (!isDeepStrictEqual(JSON.parse(raw.toString('utf8')), manifest)) out.push({ code: 'E_MANIFEST', text: 'manifest() differs from rawManifest()' });
  if (!isDeepStrictEqual(JSON.parse(rawConfig.toString('utf8')), config)) out.push({ code: 'E_MANIFEST', text: 'config() differs from rawConfig()' });
  if (sha256(rawConfig) !== manifest.config.digest) {
    out.push({ code: 'E_DIGEST_MISMATCH', text: `config has digest ${sha256(rawConfig)}, the manifest says ${manifest.config.digest}` });
  }
  if (rawConfig.length !== manifest.config.size) {
    out.push({ code: 'E_DIGEST_MISMATCH', text: `config is ${rawConfig.length} bytes, the manifest says ${manifest.config.size}` });
  }
  const ids = config.rootfs.diff_ids;
  if (ids.length !== manifest.layers.length) {
    out.push({ code: 'E_MANIFEST', text: `the manifest lists ${manifest.layers.length} layers, the config ${ids.length} diff_ids` });
  }
  const history = config.history ?? [];
  const withLayer = history.filter((h) => h.empty_layer !== true).length;
  if (history.length > 0 && withLayer !== manifest.layers.length) {
    out.push({ code: 'E_MANIFEST', text: `the history has ${withLayer} entries with a layer, the manifest ${manifest.layers.length} layers` });
  }
  return out;
}

/**
 * Check an image end to end: manifest digest, config digest and size, each layer's compressed
 * digest and size against its descriptor, its uncompressed sha256 against config.rootfs.diff_ids,
 * and the history's layer count. Throws one KilnError (E_DIGEST_MISMATCH or E_MANIFEST) listing
 * every problem found.
 */
export async function validateImage(img: Image): Promise<void> {
  const problems = await checkDocuments(img);
  if (problems.length === 0) {
    const [manifest, config, layers] = await Promise.all([img.manifest(), img.config(), img.layers()]);
    if (layers.length !== manifest.layers.length) {
      problems.push({ code: 'E_MANIFEST', text: `layers() has ${layers.length} layers, the manifest ${manifest.layers.length}` });
    }
    for (const [i, layer] of layers.entries()) {
      const desc = manifest.layers[i];
      if (desc !== undefined) problems.push(...(await checkLayer(i, layer, desc, config.rootfs.diff_ids[i])));
    }
  }
  const first = problems[0];
  if (first === undefined) return;
  const what = `validating image ${await img.digest()}`;
  throw new KilnError(first.code, `${what}: ${problems.map((p) => p.text).join('; ')}`);
}
