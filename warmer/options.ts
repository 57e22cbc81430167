// The warmer's options: parsed once from argv and the environment, validated, frozen.
import path from 'node:path';
import type { Platform } from '../shared/image/types.ts';
import type { RegistryOptions } from '../shared/registry/options.ts';
import {
  type LogOptions,
  deepFreeze,
  logOptionsFromFlags,
  parseFlags,
  parsePlatform,
  readBuildArgs,
  readDuration,
  registryOptionsFromFlags,
  usageError,
} from '../shared/cli/index.ts';
import { warmerFlagSpecs } from './flags.ts';

export type { LogOptions };

export interface WarmerOptions {
  /** --image, in the order given. */
  readonly images: readonly string[];
  /** --dockerfile (absolute, or an http(s) URL as given). */
  readonly dockerfile?: string;
  /** --build-arg for the Dockerfile's FROM lines; bare KEYs from the environment. */
  readonly buildArgs: Readonly<Record<string, string>>;
  /** --cache-dir (absolute). */
  readonly cacheDir: string;
  /** --cache-ttl */
  readonly cacheTtlMs: number;
  /** --force: fetch again even when cached and fresh. */
  readonly force: boolean;
  /** --custom-platform / --customPlatform; undefined: the host platform. */
  readonly platform?: Platform;
  /** --prune: drop entries past the TTL and unreferenced blobs. */
  readonly prune: boolean;
  readonly registry: RegistryOptions;
  readonly log: LogOptions;
}

export interface ParseContext {
  cwd?: string;
  stderrIsTTY?: boolean;
}

/** argv (without node and the script) + environment → frozen WarmerOptions, or a KilnError. */
export function parseWarmerArgs(argv: readonly string[], env: NodeJS.ProcessEnv, context: ParseContext = {}): WarmerOptions {
  const flags = parseFlags(warmerFlagSpecs, argv);
  const cwd = context.cwd ?? process.cwd();
  const dockerfile = flags.string('dockerfile') ?? '';
  const platform = flags.string('custom-platform') ?? flags.string('customPlatform') ?? '';
  const images = flags.list('image').filter((i) => i !== '');
  const prune = flags.boolean('prune');
  if (images.length === 0 && dockerfile === '' && !prune) {
    throw usageError('you must select at least one image to cache with --image, a Dockerfile to parse with --dockerfile, or --prune');
  }
  const options: WarmerOptions = {
    images,
    ...(dockerfile !== '' ? { dockerfile: /^https?:\/\//i.test(dockerfile) ? dockerfile : path.resolve(cwd, dockerfile) } : {}),
    buildArgs: readBuildArgs(flags, env),
    cacheDir: path.resolve(cwd, flags.string('cache-dir') ?? '/cache'),
    cacheTtlMs: readDuration(flags, 'cache-ttl'),
    force: flags.boolean('force'),
    ...(platform !== '' ? { platform: parsePlatform('custom-platform', platform) } : {}),
    prune,
    registry: registryOptionsFromFlags(flags, env, { push: false }),
    log: logOptionsFromFlags(flags, context),
  };
  return deepFreeze(options);
}
