// RUN --mount without mounting (DESIGN §3), the same in both root modes so that the image
// cannot differ: each mount becomes a slot at its target (placement.ts) that is filled before
// the command and drained after it, also when it fails. cache: the cache directory is moved
// in and back; bind: the source is copied in and discarded; tmpfs: an empty directory;
// secret: a private file (and/or an environment variable); ssh: a socket forwarding to the
// executor's SSH agent.
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Mount, SecretMount, SshMount } from '../../shared/dockerfile/instructions/types.ts';
import { isKilnError, KilnError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import type { SecretSource } from '../secrets.ts';
import { readSecret } from '../secrets.ts';
import { leaseCache, type CacheLease } from './cache.ts';
import { closeSlot, openSlot, sealSlot, type MountExclusions, type SlotState } from './placement.ts';
import { mountSource, type MountSourceEnv } from './sources.ts';
import { forwardAgent } from './ssh.ts';
import { copyTree } from './tree-copy.ts';

export interface MountSettings extends MountSourceEnv {
  /** --cache-mount-dir */
  cacheDir: string;
  /** This build's own directory for caches when the default cacheDir is read-only. */
  cacheFallbackDir?: string;
  secrets: SecretSource;
}

export interface MountRequest {
  root: string;
  mounts: readonly Mount[];
  /** Files to place for the command (a heredoc script). */
  files?: readonly { path: string; content: string; mode: number }[];
  settings: MountSettings;
  logger: Logger;
  /** `Dockerfile:12: RUN`, for messages. */
  what: string;
}

export interface PreparedMounts {
  /** KEY=VALUE pairs to add to the command's environment (secrets with env=). */
  env: string[];
  /** Take everything out again; what the snapshot must ignore. */
  release(): Promise<MountExclusions>;
}

interface Filler {
  target: string;
  fill(host: string): Promise<void>;
  drain(host: string): Promise<void>;
}

export async function prepareMounts(req: MountRequest): Promise<PreparedMounts> {
  const env: string[] = [];
  const placed: { slot: SlotState; filler: Filler }[] = [];
  const release = async (): Promise<MountExclusions> => {
    const excl: MountExclusions = { mounted: [], timesRestored: [] };
    const errors: unknown[] = [];
    for (const { slot, filler } of placed.reverse()) {
      try {
        const restored = await closeSlot(slot, (h) => filler.drain(h));
        if (restored !== undefined) excl.timesRestored.push(restored);
      } catch (e) {
        errors.push(e);
      }
      excl.mounted.push(slot.rel);
    }
    placed.length = 0;
    if (errors.length > 0) throw new KilnError('E_IO', `${req.what}: removing the mounts after the command`, { cause: errors[0] });
    return excl;
  };
  try {
    const fillers = await fillersFor(req, env);
    fillers.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0)); // parents before nested mounts
    for (const filler of fillers) {
      const slot = await openSlot(req.root, filler.target).catch((e: unknown) => {
        throw asKilnError(e, `${req.what}: preparing the mount target ${filler.target}`);
      });
      try {
        await filler.fill(slot.host);
      } catch (e) {
        await closeSlot(slot, (h) => filler.drain(h).catch(() => undefined));
        throw asKilnError(e, `${req.what}: filling the mount target ${filler.target}`);
      }
      await sealSlot(slot);
      placed.push({ slot, filler });
    }
  } catch (e) {
    await release().catch(() => undefined);
    throw e;
  }
  return { env, release };
}

function asKilnError(e: unknown, what: string): unknown {
  if (isKilnError(e)) return e;
  const code = (e as NodeJS.ErrnoException).code;
  return new KilnError('E_STEP', `${what}: ${code ?? (e as Error).message}`, {
    cause: e,
    ...(code === 'EBUSY' ? { hint: 'the target is a mount point of the container (e.g. /etc/hosts): choose another target' } : {}),
  });
}

async function fillersFor(req: MountRequest, env: string[]): Promise<Filler[]> {
  const out: Filler[] = [];
  let sshIndex = 0;
  for (const f of req.files ?? []) {
    out.push({ target: f.path, fill: (host) => writeFile(host, f.content, { mode: f.mode }).then(() => chmod(host, f.mode)), drain: async () => undefined });
  }
  for (const m of req.mounts) {
    const what = `${req.what} --mount=${m.spec}`;
    const system = m.target !== undefined && /^\/+(dev|proc|sys)(\/|$)/.test(posix.normalize(m.target));
    if (system && m.type === 'tmpfs') {
      req.logger.debug(`${what}: ${m.target} is already a fresh kernel filesystem for the command`);
      continue; // e.g. /dev/shm: a mount point of its own in both modes
    }
    if (system) {
      throw new KilnError('E_STEP', `${what}: a mount target under /dev, /proc or /sys cannot be provided without mounting`, {
        hint: 'choose a target outside the kernel filesystems',
      });
    }
    switch (m.type) {
      case 'cache': {
        const seed = m.from !== undefined ? { host: (await mountSource(req.settings, m.from, m.source, what)).host } : undefined;
        let lease: CacheLease | undefined; // taken at fill time, so a failing later mount holds no lock
        out.push({
          target: m.target,
          fill: async (h) => {
            lease = await leaseCache(m, {
              dir: req.settings.cacheDir, logger: req.logger,
              ...(req.settings.cacheFallbackDir !== undefined ? { fallbackDir: req.settings.cacheFallbackDir } : {}),
            }, seed);
            await lease.fill(h);
          },
          drain: async (h) => {
            const l = lease;
            lease = undefined;
            await l?.drain(h);
          },
        });
        break;
      }
      case 'bind': {
        const src = await mountSource(req.settings, m.from, m.source, what);
        out.push({ target: m.target, fill: (h) => copyTree(src.host, h, src.skip ? { skip: src.skip } : {}), drain: async () => undefined });
        break;
      }
      case 'tmpfs':
        out.push({ target: m.target, fill: (h) => mkdir(h).then(() => chmod(h, 0o1777)), drain: async () => undefined });
        break;
      case 'secret':
        out.push(...(await secretFillers(m, req, env, what)));
        break;
      case 'ssh':
        out.push(...sshFillers(m, req, { env, what, index: sshIndex++ }));
        break;
    }
  }
  return out;
}

function sshFillers(m: SshMount, req: MountRequest, o: { env: string[]; what: string; index: number }): Filler[] {
  const id = m.id !== undefined && m.id !== '' ? m.id : 'default';
  const agent = id === 'default' ? req.settings.secrets.env.SSH_AUTH_SOCK : undefined;
  if (agent === undefined || agent === '') {
    if (m.required) {
      throw new KilnError('E_STEP', `${o.what}: the ssh agent "${id}" is required but not available`, {
        hint: id === 'default' ? 'run the executor with SSH_AUTH_SOCK pointing at an ssh-agent' : 'Kiln forwards only the default agent ($SSH_AUTH_SOCK)',
      });
    }
    req.logger.debug(`ssh agent ${id} not available: skipping its mount`);
    return [];
  }
  const target = m.target ?? `/run/buildkit/ssh_agent.${o.index}`;
  if (o.index === 0) o.env.push(`SSH_AUTH_SOCK=${target}`); // as BuildKit: the first ssh mount
  const forward = forwardAgent(m, agent);
  return [{ target, fill: (h) => forward.fill(h), drain: () => forward.drain() }];
}

async function secretFillers(m: SecretMount, req: MountRequest, env: string[], what: string): Promise<Filler[]> {
  const id = m.id !== undefined && m.id !== '' ? m.id : m.target !== undefined ? posix.basename(m.target) : undefined;
  if (id === undefined || id === '') throw new KilnError('E_DOCKERFILE', `${what}: a secret mount needs id= or target=`);
  const value = await readSecret(req.settings.secrets, id);
  if (value === undefined) {
    if (m.required) {
      throw new KilnError('E_STEP', `${what}: secret "${id}" is required but was not given`, {
        hint: `pass --secret id=${id},src=FILE or --secret id=${id},env=VARIABLE`,
      });
    }
    req.logger.debug(`secret ${id} not given: skipping its mount`);
    return [];
  }
  if (m.env !== undefined && m.env !== '') env.push(`${m.env}=${value.toString('utf8')}`);
  if ((m.env !== undefined && m.env !== '') && m.target === undefined) return [];
  const mode = m.mode ?? 0o400;
  const fill = async (host: string): Promise<void> => {
    await writeFile(host, value, { mode: 0o600 });
    await chown(host, m.uid ?? 0, m.gid ?? 0);
    await chmod(host, mode);
  };
  return [{ target: m.target ?? `/run/secrets/${id}`, fill, drain: async () => undefined }];
}
