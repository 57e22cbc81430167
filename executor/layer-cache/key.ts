// Layer-cache keys (DESIGN.md §7). A key is the sha256 (hex) of a canonical JSON document that
// chains the parent key (the base image's digest, or the previous step's key) with everything
// a step's result depends on: the instruction with every variable resolved (loc and the raw
// text left out, so moving a line or re-spelling `$A` as `${A}` changes nothing), the build
// platform, the env and ARG values the step can see, layer settings that change the bytes, and
// for COPY/ADD a hash of the source files. kaniko keys on the unexpanded text and misses ARG
// changes; here a changed value is a changed key.
import { createHash } from 'node:crypto';
import type { Instruction, KeyValue } from '../../shared/dockerfile/instructions/types.ts';
import type { Platform } from '../../shared/image/types.ts';

export interface StepKeyInput {
  /** The parent key: the base's key (baseKey) or the previous step's key. */
  parent: string;
  /** The instruction after expansion (expandInstruction). */
  instruction: Instruction;
  /** The platform being built. */
  platform: Platform;
  /** The image config's Env before the step. */
  env: readonly string[];
  /**
   * ARGs in scope with their values, in any order (they are sorted). RUN sees them as env; other
   * steps see them only through expansion, already in `instruction` (Docker: an ARG change
   * misses at its first use, not at its declaration).
   */
  args: readonly KeyValue[];
  /** Settings that change a layer's bytes (compression, --reproducible). */
  salt: string;
  /** COPY/ADD: hashSources() over the source files. */
  sources?: string;
  /** A step whose inputs cannot be hashed: the diff_id of the layer it made ('none' without one). */
  result?: string;
}

/** Bumped when the key's recipe changes, so old cache entries stop matching. */
const RECIPE = 'kiln-layer-cache/v1';

export function stepKey(k: StepKeyInput): string {
  const { loc: _loc, raw: _raw, ...instruction } = k.instruction;
  const args = [...k.args].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((a) => `${a.key}=${a.value}`);
  const doc = {
    recipe: RECIPE,
    parent: k.parent,
    instruction,
    platform: platformText(k.platform),
    env: [...k.env],
    args,
    salt: k.salt,
    ...(k.sources !== undefined ? { sources: k.sources } : {}),
    ...(k.result !== undefined ? { result: k.result } : {}),
  };
  return hexHash(canonicalJson(doc));
}

/** The first parent of a stage: a base image's manifest digest, `scratch`, or a stage's last key. */
export function baseKey(base: { digest: string } | { scratch: true } | { stageKey: string }, platform: Platform): string {
  const what = 'digest' in base ? `image ${base.digest}` : 'stageKey' in base ? `stage ${base.stageKey}` : 'scratch';
  return hexHash(canonicalJson({ recipe: RECIPE, base: what, platform: platformText(platform) }));
}

function platformText(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((s) => s !== undefined && s !== '').join('/');
}

export function hexHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted at every level (arrays keep their order); undefined fields dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
