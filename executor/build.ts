// The build: plan (pure) → roots → stages in order → outputs → summary. The only module below
// main.ts that sees the whole ExecutorOptions; it hands narrow slices down.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KilnError } from '../shared/errors.ts';
import { defaultPlatform, formatPlatform, scratchImage, withAnnotations } from '../shared/image/index.ts';
import type { Image, Platform } from '../shared/image/types.ts';
import type { Logger } from '../shared/log.ts';
import { parseReference, type Reference } from '../shared/reference/index.ts';
import { createRegistryClient, type RegistryClient, type RegistryOptions } from '../shared/registry/index.ts';
import { firstOf, layoutSource, registrySource, resolveImage } from '../shared/source/index.ts';
import type { Dockerfile } from '../shared/dockerfile/index.ts';
import { loadDockerfile, openContext } from './build-input.ts';
import type { BuildContext } from './context/types.ts';
import { inContainer, stageWorkspace, targetWorkspace } from './build-root.ts';
import { fetchContext } from './context/fetch-context.ts';
import type { ExecutorOptions } from './options.ts';
import { containerCacheMountDir } from './mounts/cache-dir.ts';
import { mountSettingsFor } from './mounts/settings.ts';
import { createPlan, type Plan, type PlannedStage } from './plan.ts';
import { createProgress, type Progress } from './progress.ts';
import { writeOutputs } from './push.ts';
import { cleanRoot } from './root/clean-root.ts';
import { createIgnoreList, IgnoreList } from './root/ignore-list.ts';
import type { RunIo } from './root/run.ts';
import type { Workspace } from './root/workspace.ts';
import { runStage, type StageOutput } from './run-stage.ts';
import { createStageSources, saveStageRoot } from './stage-sources.ts';
import { stageRootSteps, type StageRootStep } from './stage-roots.ts';
import { layerCacheFor, registryOptionsForCache } from './layer-cache/index.ts';
import { logSummary, type StepSummary } from './summary.ts';

export async function runBuild(options: ExecutorOptions, logger: Logger, io: RunIo = { stdout: process.stdout, stderr: process.stderr }): Promise<void> {
  parseDestinations(options); // usage errors before a context is fetched
  const root = options.root;
  const fetched = await fetchContext({
    ...options.context, env: process.env, containerMode: root.dir === '/' && (root.force || inContainer()),
    kanikoDir: root.kanikoDir, stdin: process.stdin, cwd: process.cwd(), logger,
  });
  try {
    await buildIn(options, fetched.dir, logger, io);
  } finally {
    await fetched.dispose();
  }
}

async function buildIn(options: ExecutorOptions, contextDir: string, logger: Logger, io: RunIo): Promise<void> {
  const started = Date.now();
  const destinations = parseDestinations(options);
  const platform = options.platform ?? defaultPlatform();
  const { dockerfile, path: dockerfilePath } = await loadDockerfile(options, contextDir, logger);
  const plan = createPlan(dockerfile, {
    buildArgs: options.buildArgs, platform, buildPlatform: defaultPlatform(),
    skipUnusedStages: options.skipUnusedStages, ...(options.target !== undefined ? { target: options.target } : {}),
  });
  let client: RegistryClient | undefined;
  const clientOptions = registryOptionsForCache(options.registry, options.cache, destinations);
  const getClient = (): RegistryClient => (client ??= createRegistryClient({ options: clientOptions, logger }));
  const layerCache = layerCacheFor({
    cache: options.cache, destinations, platform, layer: options.layer, singleSnapshot: options.snapshot.single,
    reproducibleEpoch: options.reproducible ? sourceDateEpoch() : undefined, getClient, logger,
  });
  const progress = createProgress({ tty: process.stderr.isTTY === true, write: (t) => process.stderr.write(t), logger });
  const workDir = await mkdtemp(join(tmpdir(), 'kiln-build-'));
  try {
    if (!options.output.noPush && !options.output.skipPushPermissionCheck) {
      for (const ref of destinations) await getClient().checkPushPermission(ref);
    }
    const target = await targetWorkspace(options.root);
    const context = await openContext(contextDir, dockerfilePath, logger);
    const { results, summaries } = await buildStages({ options, plan, dockerfile, platform, getClient, layerCache, target, context, workDir, io, logger, progress });
    const finalStage = plan.stages.find((p) => p.final);
    const image = finalStage === undefined ? undefined : results.get(finalStage.stage.index)?.image;
    if (image === undefined) throw new KilnError('E_INTERNAL', 'the target stage produced no image');
    // --annotation: on the manifest of every output (kaniko's mutate.Annotations on the final image).
    const annotated = Object.keys(options.annotations).length > 0 ? withAnnotations(image, { ...options.annotations }) : image;
    await writeOutputs(annotated, { ...options.output, destinations }, getClient, logger, progress);
    await layerCache?.settle();
    if (options.root.cleanup) await deleteFilesystem(target, { options, contextDir: context.dir, workDir, logger });
    logSummary(logger, summaries, Date.now() - started);
  } finally {
    progress.clear();
    // The work dir goes whatever else fails while closing down.
    await Promise.allSettled([layerCache?.settle(), client?.close()]);
    await rm(workDir, { recursive: true, force: true });
  }
}

interface StagesInput {
  options: ExecutorOptions;
  plan: Plan;
  dockerfile: Dockerfile;
  platform: Platform;
  getClient: () => RegistryClient;
  layerCache: ReturnType<typeof layerCacheFor>;
  target: Workspace;
  context: BuildContext;
  workDir: string;
  io: RunIo;
  logger: Logger;
  progress: Progress;
}

/** Build every planned stage in order; each gets its own root (the target stage the target root). */
async function buildStages(b: StagesInput): Promise<{ results: Map<number, StageOutput>; summaries: { name: string; steps: StepSummary[] }[] }> {
  const { options, plan, dockerfile, platform, getClient, layerCache, target, context, workDir, io, logger, progress } = b;
  const results = new Map<number, StageOutput>();
  const summaries: { name: string; steps: StepSummary[] }[] = [];
  const stageRoots = new Map<number, string>();
  // The default cache-mount directory lives on /cache, which Pods often mount read-only.
  const defaultMountDir = options.cache.mountDir === join(options.cache.dir, 'mounts');
  const mountDir = cacheMountDirFor(options, { target, contextDir: context.dir, workDir, logger, dockerfile });
  const mounts = mountSettingsFor({
    cacheDir: mountDir, secrets: options.secrets, env: process.env, dockerfile, context, stageRoots,
    ...(defaultMountDir ? { cacheFallbackDir: join(workDir, 'cache-mounts') } : {}),
  });
  const baseContext: BaseContext = { registry: options.registry, platform, getClient, logger, cacheDir: options.cache.dir, cacheTtlMs: options.cache.ttlMs };
  const fromRoot = createStageSources({
    dockerfile, stageRoots, workDir, logger,
    resolveImage: async (ref, p) => (await resolveExternal(ref, { ...baseContext, platform: p })).image,
  });
  const roots = stageRootSteps(plan, target.mode);
  for (const [n, planned] of plan.stages.entries()) {
    const how = roots[n] as StageRootStep;
    const workspace = how.inTarget ? target : await stageWorkspace(workDir, planned.stage.index, options.root.kanikoDir);
    if (workspace.mode === 'host') stageRoots.set(planned.stage.index, workspace.root);
    const { base, baseName } = await resolveBase(planned, results, { ...baseContext, platform: planned.platform });
    const ignore = ignoreListFor(options, {
      workspace, contextDir: context.dir,
      // Kiln's own work files (layers, spooled pulls, stage roots) sit under the root "/" in a container.
      // …and so do the RUN --mount=type=cache directories (--cache-mount-dir), volume or not.
      extra: workspace.mode === 'container' ? [workDir, mountDir] : [],
    });
    if (how.cleanBefore) await cleanRoot(workspace.root, ignore, logger);
    const out = await runStage({
      planned, base, baseName, buildArgs: plan.buildArgs, workspace, ignore, context,
      layers: {
        // One directory per stage: each stage numbers its layer files from 1, and a later stage
        // must not overwrite the files of an earlier stage's image (FROM <stage> uses them).
        dir: await mkdtemp(join(workDir, `layers-${planned.stage.index}-`)),
        compression: options.layer.compression, snapshotMode: options.snapshot.mode,
        ...(options.layer.compressionLevel !== undefined ? { level: options.layer.compressionLevel } : {}),
        ...(options.reproducible ? { reproducible: { epoch: sourceDateEpoch() } } : {}),
      },
      singleSnapshot: options.snapshot.single,
      created: createdTime(options.reproducible),
      labels: options.labels,
      file: dockerfile.file,
      escapeToken: dockerfile.directives.escape,
      ...(layerCache ? { layerCache: await layerCache.stage(planned.stage.index, planned.base, base) } : {}),
      io,
      logger,
      mounts,
      progress,
      fromRoot: (from) => fromRoot(from, planned.platform),
      readLater: how.readLater,
      materialize: options.root.materialize && planned.final,
      extractRetry: options.root.extractRetry,
    });
    results.set(planned.stage.index, out);
    if (how.saveAfter) {
      stageRoots.set(planned.stage.index, await saveStageRoot(out.image, workDir, { index: planned.stage.index, logger }));
    }
    summaries.push({ name: stageName(planned), steps: out.steps });
  }
  return { results, summaries };
}

/**
 * --cleanup (kaniko's DeleteFilesystem): empty the build root once the image is out, so the next
 * build in the same container starts from a clean "/" as the host mode starts from an empty
 * directory. In a container the ignore list stays (Kiln's directory, the context, mounts).
 */
async function deleteFilesystem(target: Workspace, o: { options: ExecutorOptions; contextDir: string; workDir: string; logger: Logger }): Promise<void> {
  o.logger.info('Deleting filesystem...');
  const { options } = o;
  const ignore = target.mode === 'container'
    ? ignoreListFor(options, { workspace: target, contextDir: o.contextDir, extra: [o.workDir, options.cache.mountDir] })
    : new IgnoreList();
  await cleanRoot(target.root, ignore, o.logger);
}

/** The ignore list of a build root: --ignore-path, /var/run, the context, Kiln's directory and `extra`. */
function ignoreListFor(options: ExecutorOptions, o: { workspace: Workspace; contextDir: string; extra: string[] }): IgnoreList {
  return createIgnoreList({
    root: o.workspace.root, mode: o.workspace.mode, ignorePaths: options.snapshot.ignorePaths, ignoreVarRun: options.snapshot.ignoreVarRun,
    contextDir: o.contextDir, kanikoDir: options.root.kanikoDir, extra: o.extra,
  });
}

/** --cache-mount-dir, or in a container a directory under /kaniko when creating it would add to the image (mounts/cache-dir.ts). */
function cacheMountDirFor(options: ExecutorOptions, o: { target: Workspace; contextDir: string; workDir: string; logger: Logger; dockerfile: Dockerfile }): string {
  if (o.target.mode !== 'container') return options.cache.mountDir;
  const ignore = ignoreListFor(options, { workspace: o.target, contextDir: o.contextDir, extra: [o.workDir] });
  const choice = containerCacheMountDir({ root: o.target.root, mountDir: options.cache.mountDir, kanikoDir: options.root.kanikoDir, ignore });
  const used = o.dockerfile.stages.some((s) => s.instructions.some((i) => i.kind === 'RUN' && i.mounts.some((m) => m.type === 'cache')));
  if (choice.moved !== undefined) (used ? o.logger.warn : o.logger.debug).call(o.logger, `RUN --mount=type=cache: ${choice.moved}`);
  return choice.dir;
}

function parseDestinations(options: ExecutorOptions): Reference[] {
  const refs = options.output.destinations.map((d) => parseReference(d));
  if (refs.length === 0 && !options.output.noPush) {
    throw new KilnError('E_USAGE', 'no --destination given', { hint: 'pass --destination REGISTRY/REPO:TAG, or --no-push' });
  }
  return refs;
}

interface BaseContext {
  registry: RegistryOptions;
  platform: Platform;
  getClient: () => RegistryClient;
  logger: Logger;
  cacheDir: string;
  cacheTtlMs: number;
}

async function resolveBase(planned: PlannedStage, results: ReadonlyMap<number, StageOutput>, b: BaseContext): Promise<{ base: Image; baseName: string }> {
  const base = planned.base;
  if (base.kind === 'scratch') {
    b.logger.info('No base image, nothing to extract');
    return { base: scratchImage(b.platform, { mediaTypes: 'docker' }), baseName: 'scratch' };
  }
  if (base.kind === 'stage') {
    const out = results.get(base.index);
    if (out === undefined) throw new KilnError('E_INTERNAL', `stage ${base.index} was not built before stage ${planned.stage.index}`);
    return { base: out.image, baseName: `stage ${base.index}` };
  }
  const { image, name } = await resolveExternal(base.ref, b);
  return { base: image, baseName: name };
}

/** An external image (a base or a COPY --from source): the warmer's store first, then the registry. */
async function resolveExternal(refText: string, b: BaseContext): Promise<{ image: Image; name: string }> {
  const ref = parseReference(refText);
  b.logger.info(`Retrieving image manifest ${refText}`);
  const registry = registrySource(b.getClient(), {
    mirrors: b.registry.registryMirrors, maps: b.registry.registryMaps, skipDefaultFallback: b.registry.skipDefaultRegistryFallback, logger: b.logger,
  });
  // The warmer's store in --cache-dir first (no registry request for a warm entry), then the registry.
  const source = firstOf([layoutSource(b.cacheDir, { ttlMs: b.cacheTtlMs, logger: b.logger }), registry], b.logger);
  b.logger.info(`Retrieving image ${ref.toString()} (${formatPlatform(b.platform)})`);
  return { image: await resolveImage(source, ref, { platform: b.platform }), name: ref.toString() };
}

function stageName(p: PlannedStage): string {
  return p.stage.name !== undefined ? `stage ${p.stage.index} (${p.stage.name})` : `stage ${p.stage.index}`;
}

function sourceDateEpoch(): number {
  const v = process.env.SOURCE_DATE_EPOCH;
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
}

function createdTime(reproducible: boolean): string {
  return reproducible ? new Date(sourceDateEpoch() * 1000).toISOString().replace(/\.000Z$/, 'Z') : new Date().toISOString();
}
