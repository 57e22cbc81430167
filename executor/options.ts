// The executor's options: parsed once from argv and the environment, validated, frozen.
// Narrow slices (registry, cache, output, …) are what the rest of the executor passes down.
import path from 'node:path';
import type { Platform } from '../shared/image/types.ts';
import type { RegistryOptions } from '../shared/registry/options.ts';
import { KilnError } from '../shared/errors.ts';
import {
  type LogOptions,
  type ParsedFlags,
  deepFreeze,
  logOptionsFromFlags,
  parseFlags,
  parseGoBool,
  parsePlatform,
  readBuildArgs,
  readChoice,
  readDuration,
  readInt,
  readKeyValues,
  registryOptionsFromFlags,
  usageError,
} from '../shared/cli/index.ts';
import { executorFlagSpecs } from './flags.ts';
import { type ContextSource, type GitOptions, type SecretSpec, parseContextSource, parseGitOptions, parseSecrets } from './flag-values.ts';

export type { ContextSource, GitOptions, LogOptions, SecretSpec };

export interface ContextOptions {
  /** --context; for 'dir' the absolute directory with --context-sub-path already applied. */
  readonly source: ContextSource;
  /** --context-sub-path (to apply after a remote context is fetched). */
  readonly subPath: string;
  readonly git: GitOptions;
}

export interface RootOptions {
  /** --root-dir: the build root, `/` in a container. */
  readonly dir: string;
  /** --force: allow `/` outside a container. */
  readonly force: boolean;
  /** --kaniko-dir / KANIKO_DIR: Kiln's own directory, never snapshotted or deleted. */
  readonly kanikoDir: string;
  /** --image-fs-extract-retry */
  readonly extractRetry: number;
  /** --cleanup */
  readonly cleanup: boolean;
  /** --materialize */
  readonly materialize: boolean;
}

export interface SnapshotOptions {
  readonly mode: 'full' | 'redo' | 'time';
  readonly single: boolean;
  readonly ignorePaths: readonly string[];
  readonly ignoreVarRun: boolean;
}

export interface LayerOptions {
  readonly compression: 'gzip' | 'zstd';
  /** undefined: the algorithm's default (kaniko's -1). */
  readonly compressionLevel?: number;
}

export interface CacheOptions {
  /** --cache: the layer cache. */
  readonly enabled: boolean;
  /** --cache-repo */
  readonly repo?: string;
  /** --cache-dir: the base-image store the warmer fills (absolute). */
  readonly dir: string;
  /** --cache-ttl */
  readonly ttlMs: number;
  readonly copyLayers: boolean;
  readonly runLayers: boolean;
  /** --compressed-caching */
  readonly compressed: boolean;
  /** --no-push-cache */
  readonly noPush: boolean;
  /** --cache-mount-dir: where RUN --mount=type=cache directories persist (absolute). */
  readonly mountDir: string;
}

export interface OutputOptions {
  readonly destinations: readonly string[];
  readonly noPush: boolean;
  readonly tarPath?: string;
  readonly ociLayoutPath?: string;
  readonly digestFile?: string;
  readonly imageNameWithDigestFile?: string;
  readonly imageNameTagWithDigestFile?: string;
  readonly pushIgnoreImmutableTagErrors: boolean;
  readonly skipPushPermissionCheck: boolean;
}

/** Something main.ts logs once the logger exists (no-op and deprecated flags). */
export interface FlagNote {
  readonly level: 'debug' | 'warn';
  readonly message: string;
}

export interface ExecutorOptions {
  /** --dockerfile as given: tried as a path, then relative to the context (kaniko's order). */
  readonly dockerfile: string;
  readonly context: ContextOptions;
  /** --build-arg, bare KEYs resolved from the environment (left out when unset, as Docker). */
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly target?: string;
  /** --custom-platform; undefined: the host platform. */
  readonly platform?: Platform;
  readonly skipUnusedStages: boolean;
  readonly reproducible: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly secrets: readonly SecretSpec[];
  readonly root: RootOptions;
  readonly snapshot: SnapshotOptions;
  readonly layer: LayerOptions;
  readonly cache: CacheOptions;
  readonly output: OutputOptions;
  readonly registry: RegistryOptions;
  readonly log: LogOptions;
  readonly notes: readonly FlagNote[];
}

export interface NotImplemented {
  /** The flag, without dashes. */
  readonly flag: string;
  /** What part of it is missing, when only some values are. */
  readonly what?: string;
  readonly when: (options: ExecutorOptions, given: ReadonlySet<string>) => boolean;
}

/**
 * Flags accepted (kaniko has them) whose behaviour is not built yet: using one fails with
 * E_NOT_IMPLEMENTED instead of being silently ignored. Delete an entry when it works.
 */
export const notImplementedFlags: readonly NotImplemented[] = [];

export interface ParseContext {
  /** Relative paths resolve against this (default process.cwd()). */
  cwd?: string;
  /** The default log format is color on a terminal, text otherwise. */
  stderrIsTTY?: boolean;
}

/** argv (without node and the script) + environment → frozen ExecutorOptions, or a KilnError. */
export function parseExecutorArgs(argv: readonly string[], env: NodeJS.ProcessEnv, context: ParseContext = {}): ExecutorOptions {
  const flags = parseFlags(executorFlagSpecs, argv);
  const cwd = context.cwd ?? process.cwd();
  const options = deepFreeze(optionsFrom(flags, env, cwd, context));
  checkRules(options);
  for (const entry of notImplementedFlags) {
    if (entry.when(options, flags.given)) {
      throw new KilnError('E_NOT_IMPLEMENTED', `flag --${entry.flag} is not implemented yet${entry.what ? ` ${entry.what}` : ''}`, {
        hint: 'Kiln accepts every kaniko flag, but this one does not work yet: leave it out',
      });
    }
  }
  return options;
}

function optionsFrom(flags: ParsedFlags, env: NodeJS.ProcessEnv, cwd: string, context: ParseContext): ExecutorOptions {
  const abs = (p: string | undefined): string | undefined => (p === undefined || p === '' ? undefined : path.resolve(cwd, p));
  const platform = flags.string('custom-platform') ?? flags.string('customPlatform');
  return {
    dockerfile: flags.string('dockerfile') ?? 'Dockerfile',
    context: contextFrom(flags, cwd),
    buildArgs: readBuildArgs(flags, env),
    ...(nonEmpty(flags.string('target')) ? { target: flags.string('target') as string } : {}),
    ...(nonEmpty(platform) ? { platform: parsePlatform('custom-platform', platform as string) } : {}),
    skipUnusedStages: flags.boolean('skip-unused-stages'),
    reproducible: flags.boolean('reproducible'),
    labels: readKeyValues(flags, 'label'),
    annotations: readKeyValues(flags, 'annotation'),
    secrets: parseSecrets(flags.list('secret'), env, cwd),
    root: {
      dir: abs(flags.string('root-dir')) ?? '/',
      force: flags.boolean('force'),
      kanikoDir: abs(flags.given.has('kaniko-dir') ? flags.string('kaniko-dir') : (env.KANIKO_DIR ?? flags.string('kaniko-dir'))) ?? '/kaniko',
      extractRetry: readInt(flags, 'image-fs-extract-retry', { min: 0 }) ?? 0,
      cleanup: flags.boolean('cleanup'),
      materialize: flags.boolean('materialize'),
    },
    snapshot: snapshotFrom(flags),
    layer: layerFrom(flags),
    cache: cacheFrom(flags, abs),
    output: outputFrom(flags, env, abs),
    registry: {
      ...registryOptionsFromFlags(flags, env, { push: true }),
      pushIgnoreImmutableTagErrors: flags.boolean('push-ignore-immutable-tag-errors'),
    },
    log: logOptionsFromFlags(flags, context),
    notes: notesFrom(flags),
  };
}

function contextFrom(flags: ParsedFlags, cwd: string): ContextOptions {
  const subPath = flags.string('context-sub-path') ?? '';
  const bucket = flags.string('bucket') ?? '';
  const fromBucket = bucket.includes('://') ? bucket : `gs://${bucket}`;
  const text = bucket !== '' && !flags.given.has('context') ? fromBucket : (flags.string('context') ?? '/workspace');
  const source = parseContextSource(text, cwd);
  return {
    source: source.kind === 'dir' && subPath !== '' ? { kind: 'dir', path: path.resolve(source.path, subPath) } : source,
    subPath,
    git: parseGitOptions(flags.list('git')),
  };
}

function snapshotFrom(flags: ParsedFlags): SnapshotOptions {
  const modeFlag = flags.given.has('snapshotMode') && !flags.given.has('snapshot-mode') ? 'snapshotMode' : 'snapshot-mode';
  return {
    mode: readChoice(flags, modeFlag, ['full', 'redo', 'time'] as const),
    single: flags.boolean('single-snapshot'),
    ignorePaths: flags.list('ignore-path'),
    ignoreVarRun: flags.given.has('whitelist-var-run') && !flags.given.has('ignore-var-run') ? flags.boolean('whitelist-var-run') : flags.boolean('ignore-var-run'),
  };
}

function layerFrom(flags: ParsedFlags): LayerOptions {
  const compression = readChoice(flags, 'compression', ['gzip', 'zstd'] as const);
  const [min, max] = compression === 'gzip' ? [0, 9] : [1, 22];
  const level = readInt(flags, 'compression-level', { min: -1, max });
  if (level !== undefined && level !== -1 && level < min) {
    throw usageError(`invalid --compression-level value "${level}": expected -1 or ${min} to ${max} for ${compression}`);
  }
  return level === undefined || level === -1 ? { compression } : { compression, compressionLevel: level };
}

function cacheFrom(flags: ParsedFlags, abs: (p: string | undefined) => string | undefined): CacheOptions {
  const dir = abs(flags.string('cache-dir')) ?? '/cache';
  const repo = flags.string('cache-repo');
  return {
    enabled: flags.boolean('cache'),
    ...(nonEmpty(repo) ? { repo: repo as string } : {}),
    dir,
    ttlMs: readDuration(flags, 'cache-ttl'),
    copyLayers: flags.boolean('cache-copy-layers'),
    runLayers: flags.boolean('cache-run-layers'),
    compressed: flags.boolean('compressed-caching'),
    noPush: flags.boolean('no-push-cache'),
    mountDir: abs(flags.string('cache-mount-dir')) ?? path.join(dir, 'mounts'),
  };
}

function outputFrom(flags: ParsedFlags, env: NodeJS.ProcessEnv, abs: (p: string | undefined) => string | undefined): OutputOptions {
  let noPush = flags.boolean('no-push');
  if (!flags.given.has('no-push') && env.KANIKO_NO_PUSH !== undefined) {
    const b = parseGoBool(env.KANIKO_NO_PUSH);
    if (b === undefined) throw usageError(`invalid KANIKO_NO_PUSH value "${env.KANIKO_NO_PUSH}": expected true or false`);
    noPush = b;
  }
  const files = {
    tarPath: abs(flags.string('tar-path') ?? flags.string('tarPath')),
    ociLayoutPath: abs(flags.string('oci-layout-path')),
    digestFile: abs(flags.string('digest-file')),
    imageNameWithDigestFile: abs(flags.string('image-name-with-digest-file')),
    imageNameTagWithDigestFile: abs(flags.string('image-name-tag-with-digest-file')),
  };
  return {
    destinations: flags.list('destination').filter((d) => d !== ''),
    noPush,
    ...Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined)),
    pushIgnoreImmutableTagErrors: flags.boolean('push-ignore-immutable-tag-errors'),
    skipPushPermissionCheck: flags.boolean('skip-push-permission-check'),
  };
}

const NO_EFFECT: Readonly<Record<string, string>> = {
  'use-new-run': 'Kiln always finds changes by comparing file metadata, without a full snapshot',
  'force-build-metadata': 'Kiln always records metadata-only steps in the history',
  'preserve-context': 'Kiln never deletes the build context between stages',
  'compressed-caching': 'Kiln writes each layer once as a stream, so it never holds one in memory',
};
const CACHE_ONLY = ['cache-repo', 'cache-copy-layers', 'cache-run-layers', 'compressed-caching', 'no-push-cache'];
const DEPRECATED: Readonly<Record<string, string>> = {
  customPlatform: 'custom-platform',
  snapshotMode: 'snapshot-mode',
  tarPath: 'tar-path',
  'whitelist-var-run': 'ignore-var-run',
};

function notesFrom(flags: ParsedFlags): FlagNote[] {
  const notes: FlagNote[] = [];
  for (const [flag, why] of Object.entries(NO_EFFECT)) {
    if (flags.given.has(flag)) notes.push({ level: 'debug', message: `flag --${flag} has no effect: ${why}` });
  }
  if (!flags.boolean('cache')) {
    for (const flag of CACHE_ONLY.filter((f) => flags.given.has(f))) {
      notes.push({ level: 'debug', message: `flag --${flag} has no effect without --cache` });
    }
  }
  for (const [old, now] of Object.entries(DEPRECATED)) {
    if (flags.given.has(old)) notes.push({ level: 'warn', message: `flag --${old} is deprecated: use --${now}` });
  }
  return notes;
}

/** kaniko's cross-flag rules (cmd/executor/cmd/root.go). */
function checkRules(o: ExecutorOptions): void {
  const { output } = o;
  if (!output.noPush && output.destinations.length === 0) {
    throw usageError('you must provide --destination, or use --no-push');
  }
  if (output.destinations.length === 0 && output.imageNameWithDigestFile !== undefined) {
    throw usageError('you must provide --destination if setting --image-name-with-digest-file');
  }
  if (output.destinations.length === 0 && output.imageNameTagWithDigestFile !== undefined) {
    throw usageError('you must provide --destination if setting --image-name-tag-with-digest-file');
  }
  if (o.cache.enabled && o.cache.repo === undefined && output.noPush) {
    throw usageError('if using cache with --no-push, specify cache repo with --cache-repo');
  }
}

function nonEmpty(s: string | undefined): boolean {
  return s !== undefined && s !== '';
}
