// One stage: start from the base's config, extract the base into the root only when a step
// needs files, run each instruction through the handler table, turn its changes into a layer
// and a history entry, and return the stage's image. Nothing here sees ExecutorOptions.
import { expandInstruction, type Instruction } from '../shared/dockerfile/index.ts';
import { appendLayers, withConfig, withHistory, withMediaTypes } from '../shared/image/index.ts';
import type { ConfigFile, Image, Layer } from '../shared/image/types.ts';
import type { Logger } from '../shared/log.ts';
import type { BuildContext } from './context/types.ts';
import { createdBy } from './config/history.ts';
import { shellOf } from './config/apply.ts';
import type { PlannedStage } from './plan.ts';
import { extractImageWithRetry } from './root/extract-retry.ts';
import type { IgnoreList } from './root/ignore-list.ts';
import type { RunIo } from './root/run.ts';
import { takeSnapshot } from './root/snapshot.ts';
import type { Workspace } from './root/workspace.ts';
import type { MountSettings } from './mounts/run-mounts.ts';
import { layerForChanges, type LayerSettings, type LayerTracker } from './run-stage-layer.ts';
import { finalConfig, historyEntry, stageConfig } from './run-stage-config.ts';
import { StageScope } from './run-stage-scope.ts';
import { counting, type Progress } from './progress.ts';
import { needsRoot, runStep } from './steps/index.ts';
import type { StepSummary } from './summary.ts';
import { onbuildTriggers } from './run-stage-onbuild.ts';
import type { FromRoot } from './stage-sources.ts';
import { applyCacheHit, extractCached, type StageCache } from './layer-cache/index.ts';
import { checkCopyDestination } from './container-guard.ts';

export interface StageInput {
  planned: PlannedStage;
  base: Image;
  baseName: string;
  buildArgs: ReadonlyMap<string, string>;
  workspace: Workspace;
  ignore: IgnoreList;
  context: BuildContext;
  layers: Omit<LayerSettings, 'root' | 'ignore' | 'format'>;
  singleSnapshot: boolean;
  /** ISO time for config.created and new history entries. */
  created: string;
  labels: Readonly<Record<string, string>>;
  file: string;
  escapeToken: string;
  io: RunIo;
  logger: Logger;
  /** The layer cache for this stage (--cache). */
  layerCache?: StageCache;
  /** RUN --mount settings (cache dir, secrets, stage roots). */
  mounts?: MountSettings;
  /** Extraction progress (a status line on a terminal). */
  progress?: Progress;
  /** COPY --from: the files of a stage or an external image (stage-sources.ts). */
  fromRoot?: FromRoot;
  /** Later stages read this stage's root directory: its files must be on disk when it ends. */
  readLater?: boolean;
  /** --materialize (the target stage): the root holds the image's files when the stage ends, even on 100% cache hits. */
  materialize?: boolean;
  /** --image-fs-extract-retry: extra attempts at unpacking the base after a temporary failure. */
  extractRetry?: number;
}

export interface StageOutput {
  image: Image;
  steps: StepSummary[];
}

/** What changes while a stage runs its steps. */
interface StageState {
  config: ConfigFile;
  image: Image;
  cmdSet: boolean;
  scope: StageScope;
  settings: LayerSettings;
  tracker: LayerTracker;
  steps: StepSummary[];
  /** The stage (or an ONBUILD trigger) has a RUN: a full walk is the diff baseline. */
  hasRun: boolean;
  /** With the layer cache: the base is not unpacked yet; cached layers that hit wait here. */
  deferred?: Layer[] | undefined;
}

export async function runStage(input: StageInput): Promise<StageOutput> {
  const { planned, logger } = input;
  const baseConfig = await input.base.config();
  // The base's ONBUILD triggers run first, as Docker and BuildKit do; the image does not inherit them.
  const instructions = [...onbuildTriggers(baseConfig, input), ...planned.stage.instructions];
  const format = await formatOf(input);
  // A stage whose files a later stage reads (host mode: COPY --from, RUN --mount from=) is unpacked even without such a step,
  // and so is the target stage with --materialize.
  const mustEndOnDisk = input.readLater === true || input.materialize === true;
  const firstFs = instructions.find(needsRoot) ?? (mustEndOnDisk ? planned.stage.from : undefined);
  // With the layer cache the base is unpacked when a step first runs: hits need no files (kaniko).
  const deferRoot = input.layerCache !== undefined && firstFs !== undefined;
  if (firstFs !== undefined && !deferRoot) await unpackBase(input, firstFs);
  else if (firstFs === undefined) logger.info('Skipping unpacking as no commands require it.');
  const st: StageState = {
    config: stageConfig(baseConfig, { os: baseConfig.os, architecture: baseConfig.architecture }, { scratch: planned.base.kind === 'scratch' }),
    image: input.base,
    cmdSet: false,
    scope: new StageScope({ global: planned.global }),
    settings: { ...input.layers, root: input.workspace.root, ignore: input.ignore, format },
    tracker: { baseline: undefined, count: 0 },
    steps: [],
    hasRun: instructions.some((i) => i.kind === 'RUN'),
  };
  // RUN diffs against a walk taken after the base is on disk (and refreshed after each layer).
  const hasRun = st.hasRun;
  if (deferRoot) st.deferred = [];
  else if (hasRun || (input.singleSnapshot && firstFs !== undefined)) st.tracker.baseline = takeSnapshot(input.workspace.root, input.ignore);
  const singleBaseline = st.tracker.baseline;
  for (const raw of instructions) await runOneStep(input, st, raw);
  // A later stage may read this stage's files (COPY --from, RUN --mount=from=); --materialize wants the target's.
  if (st.deferred !== undefined && (!planned.final || input.materialize === true) && firstFs !== undefined) await materializeRoot(input, st, firstFs);
  if (input.singleSnapshot && firstFs !== undefined) {
    logger.info('Taking snapshot of full filesystem...');
    const made = await layerForChanges(st.settings, { baseline: singleBaseline, count: st.tracker.count }, { kind: 'unknown' });
    if (made !== undefined) st.image = appendLayers(st.image, [{ layer: made.layer, history: historyEntry('SNAPSHOT (--single-snapshot)', input.created) }]);
  }
  const built = await st.image.config();
  const image = withConfig(st.image, finalConfig(built, st.config, { created: input.created, labels: planned.final ? input.labels : {} }));
  return { image: withMediaTypes(image, format), steps: st.steps };
}

/** One instruction: expand, (cache lookup), run, snapshot, layer + history. */
async function runOneStep(input: StageInput, st: StageState, raw: Exclude<Instruction, { kind: 'FROM' }>): Promise<void> {
  const { logger } = input;
  const started = Date.now();
  logger.info(raw.raw);
  const instr = expandInstruction(raw, st.scope.getter(st.config), { escapeToken: input.escapeToken, file: input.file });
  if (instr.kind === 'ARG') st.scope.declare(instr);
  const line = createdBy(instr, { shell: shellOf(st.config), buildArgs: st.scope.declared() });
  const probe = await input.layerCache?.probe(instr, { config: st.config, args: st.scope.declared(), context: input.context });
  if (probe?.hit !== undefined) {
    const hit = await applyCacheHit(probe.hit, { image: st.image, history: historyEntry(line, input.created), workspace: input.workspace, ignore: input.ignore, tracker: st.tracker, logger, deferred: st.deferred });
    st.image = hit.image;
    st.steps.push({ instruction: instr.raw, ms: Date.now() - started, layerSize: hit.layerSize, cacheHit: true });
    return;
  }
  if (st.deferred !== undefined && needsRoot(instr)) await materializeRoot(input, st, instr);
  if (instr.kind === 'COPY' || instr.kind === 'ADD') await checkCopyDestination(instr, st.config, { workspace: input.workspace, contextDir: input.context.dir });
  const result = await runStep(instr, {
    config: st.config, cmdSetInStage: st.cmdSet, root: input.workspace, buildArgs: [...st.scope.declared(), ...st.scope.proxies()],
    context: input.context, io: input.io, logger, file: input.file, ...(input.mounts ? { mounts: input.mounts } : {}),
    ...(input.fromRoot ? { fromRoot: input.fromRoot } : {}),
  });
  st.config = result.config;
  if (instr.kind === 'CMD') st.cmdSet = true;
  const changes = input.singleSnapshot ? { kind: 'none' as const } : result.changes;
  if (changes.kind === 'unknown') logger.info('Taking snapshot of full filesystem...');
  else if (changes.kind === 'paths') logger.info('Taking snapshot of files...');
  const made = await layerForChanges(st.settings, st.tracker, changes);
  const history = historyEntry(line, input.created);
  if (made === undefined) {
    if (changes.kind === 'unknown') logger.info('No files changed in this command, skipping snapshotting.');
    st.image = withHistory(st.image, [history]);
  } else {
    st.image = appendLayers(st.image, [{ layer: made.layer, history }]);
  }
  await probe?.record({ layer: made?.layer, history });
  st.steps.push({ instruction: instr.raw, ms: Date.now() - started, layerSize: made?.written.size, cacheHit: false });
}

/** Unpack the deferred base, then the cached layers that hit meanwhile, and take the RUN baseline. */
async function materializeRoot(input: StageInput, st: StageState, cause: Instruction): Promise<void> {
  const hits = st.deferred ?? [];
  st.deferred = undefined;
  await unpackBase(input, cause);
  await extractCached(hits, { workspace: input.workspace, ignore: input.ignore, logger: input.logger });
  if (st.hasRun) st.tracker.baseline = takeSnapshot(input.workspace.root, input.ignore);
}

async function formatOf(input: StageInput): Promise<'oci' | 'docker'> {
  if (input.layers.compression === 'zstd') return 'oci';
  const mt = await input.base.mediaType();
  return mt.includes('vnd.oci.') ? 'oci' : 'docker';
}

async function unpackBase(input: StageInput, first: Instruction): Promise<void> {
  const layers = await input.base.layers();
  if (layers.length === 0) return;
  input.logger.info(`Unpacking rootfs as cmd ${first.raw} requires it.`);
  const { progress } = input;
  // Layers stream in order; the next one is spooled to the work dir while one is extracted.
  await extractImageWithRetry(layers, {
    root: input.workspace.root, ignore: input.ignore, mode: input.workspace.mode, logger: input.logger,
    spoolDir: input.layers.dir, prefetch: 1,
    ...(progress !== undefined ? { tap: (i: number, name: string) => counting(progress.start('Extracting', `layer ${i + 1}/${layers.length} ${name.slice(7, 19)} of ${input.baseName}`)) } : {}),
  }, { retries: input.extractRetry ?? 0 });
}

