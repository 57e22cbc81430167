// Each metadata instruction's effect on the image config, with Docker's semantics
// (moby builder/dockerfile/dispatchers.go, BuildKit dockerfile2llb). Pure: a new ConfigFile
// is returned, the input is never mutated. Instructions arrive already expanded.
import { posix } from 'node:path';
import type {
  CmdInstruction, EntrypointInstruction, EnvInstruction, ExposeInstruction, HealthcheckInstruction,
  LabelInstruction, MaintainerInstruction, OnbuildInstruction, ShellInstruction, StopsignalInstruction,
  UserInstruction, VolumeInstruction, WorkdirInstruction, Command, KeyValue,
} from '../../shared/dockerfile/index.ts';
import { KilnError } from '../../shared/errors.ts';
import type { ConfigFile, ContainerConfig, HealthConfig } from '../../shared/image/types.ts';

export const DEFAULT_SHELL: readonly string[] = Object.freeze(['/bin/sh', '-c']);
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function withContainer(cfg: ConfigFile, patch: Partial<ContainerConfig>): ConfigFile {
  return { ...cfg, config: { ...cfg.config, ...patch } };
}

export function shellOf(cfg: ConfigFile): readonly string[] {
  const s = cfg.config.Shell;
  return s !== undefined && s.length > 0 ? s : DEFAULT_SHELL;
}

/** argv of a RUN/CMD/ENTRYPOINT command: shell form through SHELL, exec form as is. */
export function commandArgs(command: Command, shell: readonly string[]): string[] {
  return command.form === 'shell' ? [...shell, command.command] : [...command.args];
}

/** Set or replace KEY=VALUE pairs in an env list, keeping the position of replaced keys. */
export function setEnv(env: readonly string[], pairs: readonly KeyValue[]): string[] {
  const out = [...env];
  for (const { key, value } of pairs) {
    const i = out.findIndex((e) => e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')) === key);
    if (i >= 0) out[i] = `${key}=${value}`;
    else out.push(`${key}=${value}`);
  }
  return out;
}

/** The value of KEY in an env list. */
export function getEnv(env: readonly string[] | undefined, key: string): string | undefined {
  const hit = (env ?? []).find((e) => e.startsWith(`${key}=`));
  return hit?.slice(key.length + 1);
}

export function applyEnv(cfg: ConfigFile, i: EnvInstruction): ConfigFile {
  return withContainer(cfg, { Env: setEnv(cfg.config.Env ?? [], i.env) });
}

export function applyLabel(cfg: ConfigFile, i: LabelInstruction | { labels: KeyValue[] }): ConfigFile {
  const Labels = { ...(cfg.config.Labels ?? {}) };
  for (const { key, value } of i.labels) Labels[key] = value;
  return withContainer(cfg, { Labels });
}

export function applyExpose(cfg: ConfigFile, i: ExposeInstruction): ConfigFile {
  const ExposedPorts = { ...(cfg.config.ExposedPorts ?? {}) };
  for (const p of i.ports.flatMap((s) => s.split(/\s+/)).filter((s) => s !== '')) {
    for (const port of expandPort(p)) ExposedPorts[port] = {};
  }
  return withContainer(cfg, { ExposedPorts });
}

/** `80` → ['80/tcp'], `8000-8002/udp` → three ports; an invalid spec is an error. */
export function expandPort(spec: string): string[] {
  const m = /^(?:(?:\d{1,3}\.){3}\d{1,3}:)?(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (m === null || lo < 0 || hi > 65535 || hi < lo) {
    throw new KilnError('E_DOCKERFILE', `EXPOSE ${spec}: invalid port, want PORT[-PORT][/tcp|udp|sctp]`);
  }
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

export function applyUser(cfg: ConfigFile, i: UserInstruction): ConfigFile {
  return withContainer(cfg, { User: i.user });
}

/** WORKDIR: relative paths are joined to the current one; the result is clean and absolute. */
export function workdirPath(cfg: ConfigFile, path: string): string {
  const base = cfg.config.WorkingDir !== undefined && cfg.config.WorkingDir !== '' ? cfg.config.WorkingDir : '/';
  return posix.resolve(base, path);
}

export function applyWorkdir(cfg: ConfigFile, i: WorkdirInstruction): ConfigFile {
  return withContainer(cfg, { WorkingDir: workdirPath(cfg, i.path) });
}

export function applyVolume(cfg: ConfigFile, i: VolumeInstruction): ConfigFile {
  const Volumes = { ...(cfg.config.Volumes ?? {}) };
  for (const v of i.volumes) {
    if (v.trim() === '') throw new KilnError('E_DOCKERFILE', 'VOLUME specified can not be an empty string');
    Volumes[v] = {};
  }
  return withContainer(cfg, { Volumes });
}

export function applyCmd(cfg: ConfigFile, i: CmdInstruction): ConfigFile {
  return withContainer(cfg, { Cmd: commandArgs(i.command, shellOf(cfg)) });
}

/** ENTRYPOINT; `cmdSetInStage` false clears a CMD inherited from the base, as Docker does. */
export function applyEntrypoint(cfg: ConfigFile, i: EntrypointInstruction, options: { cmdSetInStage: boolean }): ConfigFile {
  const Entrypoint = commandArgs(i.command, shellOf(cfg));
  return withContainer(cfg, options.cmdSetInStage ? { Entrypoint } : { Entrypoint, Cmd: null });
}

export function applyShell(cfg: ConfigFile, i: ShellInstruction): ConfigFile {
  return withContainer(cfg, { Shell: [...i.shell] });
}

export function applyStopsignal(cfg: ConfigFile, i: StopsignalInstruction): ConfigFile {
  return withContainer(cfg, { StopSignal: i.signal });
}

export function applyHealthcheck(cfg: ConfigFile, i: HealthcheckInstruction): ConfigFile {
  if (i.test[0] === 'NONE') return withContainer(cfg, { Healthcheck: { Test: ['NONE'] } });
  const h: HealthConfig = { Test: [...i.test] };
  if (i.interval) h.Interval = i.interval;
  if (i.timeout) h.Timeout = i.timeout;
  if (i.startPeriod) h.StartPeriod = i.startPeriod;
  if (i.startInterval) h.StartInterval = i.startInterval;
  if (i.retries) h.Retries = i.retries;
  return withContainer(cfg, { Healthcheck: h });
}

export function applyOnbuild(cfg: ConfigFile, i: OnbuildInstruction): ConfigFile {
  return withContainer(cfg, { OnBuild: [...(cfg.config.OnBuild ?? []), i.expression] });
}

export function applyMaintainer(cfg: ConfigFile, i: MaintainerInstruction): ConfigFile {
  return { ...cfg, author: i.maintainer };
}
