// The layer cache of one build (DESIGN.md §7): a key chain per stage, lookups before cached
// steps (they go on after a miss, unlike kaniko), and stores pushed in the background while
// the build goes on. The cache never fails a build: a lookup error is a miss, a store error a
// warning (as kaniko).
import type { Instruction, KeyValue } from '../../shared/dockerfile/instructions/types.ts';
import { isKilnError } from '../../shared/errors.ts';
import type { ConfigFile, History, Image, Layer, Platform } from '../../shared/image/types.ts';
import type { Logger } from '../../shared/log.ts';
import type { BuildContext } from '../context/types.ts';
import type { CacheBackend } from './backend.ts';
import { cacheImage, readCacheImage, type CachedStep } from './cache-image.ts';
import { baseKey, stepKey } from './key.ts';
import { policyFor, type StepPolicy } from './policy.ts';
import { hashSources } from './source-hash.ts';

export interface LayerCacheOptions {
  backend: CacheBackend;
  ttlMs: number;
  copyLayers: boolean;
  runLayers: boolean;
  /** --no-push-cache: look up, never store. */
  noPush: boolean;
  platform: Platform;
  /** Settings that change layer bytes (see stepKey). */
  salt: string;
  logger: Logger;
  /** ms since the epoch (tests inject a clock). */
  now?: () => number;
}

/** A stage's base as the plan classifies it (executor/plan.ts StageBase). */
export type StageBase = { kind: 'image' } | { kind: 'scratch' } | { kind: 'stage'; index: number };

export interface LayerCache {
  /** The cache of one stage; call in stage order (a stage base needs its stage's last key). */
  stage(index: number, base: StageBase, image: Image): Promise<StageCache>;
  /** Wait for the background stores; failures were already warned about. Never throws. */
  settle(): Promise<void>;
}

export interface StepView {
  /** The image config before the step. */
  config: ConfigFile;
  /** ARGs in scope with their values. */
  args: readonly KeyValue[];
  context: BuildContext;
}

export interface CacheHit {
  /** undefined: the step changed no file. */
  layer: Layer | undefined;
  history: History | undefined;
}

export interface Probe {
  /** Set when a cached version of the step was found: skip running it. */
  readonly hit?: CacheHit;
  /** After the step ran (only on a miss): move the chain on and store what it made. */
  record(made: { layer: Layer | undefined; history: History }): Promise<void>;
}

export interface StageCache {
  probe(instr: Exclude<Instruction, { kind: 'FROM' }>, view: StepView): Promise<Probe>;
  /** The key after the last step so far. */
  key(): string;
}

interface BuildState {
  o: LayerCacheOptions;
  stageKeys: Map<number, string>;
  pending: Promise<void>[];
  lookupsOff: boolean;
}

export function createLayerCache(o: LayerCacheOptions): LayerCache {
  const state: BuildState = { o, stageKeys: new Map(), pending: [], lookupsOff: false };
  return {
    stage: async (index, base, image) => createStageCache(state, index, await firstKey(state, base, image)),
    settle: async () => {
      await Promise.allSettled(state.pending);
    },
  };
}

async function firstKey(state: BuildState, base: StageBase, image: Image): Promise<string> {
  if (base.kind === 'image') return baseKey({ digest: await image.digest() }, state.o.platform);
  if (base.kind === 'scratch') return baseKey({ scratch: true }, state.o.platform);
  const key = state.stageKeys.get(base.index);
  return baseKey(key === undefined ? { scratch: true } : { stageKey: key }, state.o.platform);
}

function createStageCache(state: BuildState, index: number, start: string): StageCache {
  let current = start;
  const advance = (key: string): void => {
    current = key;
    state.stageKeys.set(index, key);
  };
  state.stageKeys.set(index, start);
  return {
    key: () => current,
    probe: async (instr, view) => {
      const policy = await effectivePolicy(instr, view, state.o);
      const keyOf = (extra: { sources?: string; result?: string }): string =>
        stepKey({
          parent: current, instruction: instr, platform: state.o.platform, env: view.config.config.Env ?? [],
          args: instr.kind === 'RUN' ? view.args : [], salt: state.o.salt, ...extra,
        });
      if (policy.kind === 'by-result') {
        state.o.logger.debug(`layer cache: ${policy.why} is not cached; later keys follow the layer it makes`);
        return { record: async (made) => advance(keyOf({ result: made.layer === undefined ? 'none' : await made.layer.diffId() })) };
      }
      const key = keyOf(policy.hash === undefined ? {} : { sources: policy.hash });
      advance(key);
      if (policy.kind === 'keyed') return { record: async () => {} };
      const hit = await lookup(state, key, instr.raw);
      if (hit !== undefined) return { hit, record: async () => {} };
      return { record: async (made) => store(state, key, made) };
    },
  };
}

type Effective = { kind: 'cached' | 'keyed'; hash?: string } | { kind: 'by-result'; why: string };

async function effectivePolicy(instr: Exclude<Instruction, { kind: 'FROM' }>, view: StepView, o: LayerCacheOptions): Promise<Effective> {
  const policy: StepPolicy = policyFor(instr, o);
  if (policy.kind === 'by-result' || policy.sources === undefined || policy.sources.length === 0) return policy;
  try {
    return { kind: policy.kind, hash: await hashSources(view.context, policy.sources, instr.raw) };
  } catch (e) {
    // The step itself reports missing sources with its own error.
    return { kind: 'by-result', why: `${instr.kind} (its sources could not be hashed: ${(e as Error).message})` };
  }
}

async function lookup(state: BuildState, key: string, what: string): Promise<CacheHit | undefined> {
  const { o } = state;
  const where = o.backend.describe(key);
  let step: CachedStep | undefined;
  if (!state.lookupsOff) step = await fetchStep(state, where, key);
  const now = (o.now ?? Date.now)();
  if (step !== undefined && (step.created === undefined || now - step.created.getTime() > o.ttlMs)) {
    o.logger.info(`Cached layer ${where} is older than --cache-ttl: not used`);
    step = undefined;
  }
  if (step === undefined) {
    o.logger.info(`No cached layer found for cmd ${what}`);
    return undefined;
  }
  o.logger.info(`Using caching version of cmd: ${what}`);
  return { layer: step.layer, history: step.history };
}

async function fetchStep(state: BuildState, where: string, key: string): Promise<CachedStep | undefined> {
  const { o } = state;
  o.logger.info(`Checking for cached layer ${where}...`);
  try {
    const image = await o.backend.get(key);
    return image === undefined ? undefined : await readCacheImage(image);
  } catch (e) {
    o.logger.warn(`Failed to retrieve cached layer ${where}: ${(e as Error).message}`);
    if (isKilnError(e) && (e.code === 'E_REGISTRY_NETWORK' || e.code === 'E_REGISTRY_AUTH')) {
      state.lookupsOff = true;
      o.logger.warn('the layer cache cannot be read: no more lookups in this build');
    }
    return undefined;
  }
}

function store(state: BuildState, key: string, made: { layer: Layer | undefined; history: History }): void {
  const { o } = state;
  if (o.noPush) {
    o.logger.info('Skipping pushing the layer to the cache due to --no-push-cache');
    return;
  }
  const where = o.backend.describe(key);
  const format = made.layer === undefined || made.layer.mediaType().includes('vnd.oci.') ? 'oci' : 'docker';
  o.logger.info(`Pushing layer ${where} to cache now`);
  const job = (async () => {
    const created = new Date((o.now ?? Date.now)()).toISOString();
    const image = await cacheImage({ layer: made.layer, history: made.history, platform: o.platform, created, format });
    await o.backend.put(key, image);
    o.logger.debug(`pushed layer ${where} to the cache`);
  })().catch((e: unknown) => {
    o.logger.warn(`Error uploading layer to cache ${where}: ${(e as Error).message} (the build goes on)`);
  });
  state.pending.push(job);
}
