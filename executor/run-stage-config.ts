// A stage's starting config from its base (BuildKit keeps Config, RootFS, History and the
// platform and drops the container and docker_version fields), and the finished image.
import { DEFAULT_PATH } from './config/apply.ts';
import type { ConfigFile, History, Platform } from '../shared/image/types.ts';

export function stageConfig(base: ConfigFile, platform: Platform, options: { scratch: boolean }): ConfigFile {
  const cfg: ConfigFile = {
    architecture: base.architecture !== '' ? base.architecture : platform.architecture,
    os: base.os !== '' ? base.os : platform.os,
    config: structuredClone(base.config ?? {}),
    rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? [])] },
    history: structuredClone(base.history ?? []),
  };
  const variant = base.variant ?? platform.variant;
  if (variant !== undefined && variant !== '') cfg.variant = variant;
  if (base['os.version'] !== undefined) cfg['os.version'] = base['os.version'];
  if (base['os.features'] !== undefined) cfg['os.features'] = base['os.features'];
  if (base.author !== undefined) cfg.author = base.author;
  if (options.scratch && (cfg.config.Env === undefined || cfg.config.Env.length === 0)) cfg.config.Env = [DEFAULT_PATH];
  // Triggers run (issue 6) or not, they are not inherited further.
  delete cfg.config.OnBuild;
  return cfg;
}

/** The finished config: the built image's rootfs and history, the stage's metadata, --label. */
export function finalConfig(built: ConfigFile, stage: ConfigFile, options: { created: string; labels: Readonly<Record<string, string>> }): ConfigFile {
  const config = structuredClone(stage.config);
  if (Object.keys(options.labels).length > 0) config.Labels = { ...(config.Labels ?? {}), ...options.labels };
  const out: ConfigFile = { ...stage, created: options.created, config, rootfs: built.rootfs };
  if (built.history !== undefined) out.history = built.history;
  return out;
}

export function historyEntry(createdBy: string, created: string): History {
  return { created, created_by: createdBy, comment: 'buildkit.dockerfile.v0' };
}
