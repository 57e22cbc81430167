// Putting something at a path of the build root for one RUN without mounting (DESIGN §3: the
// container mode has no mount privileges). A slot is opened at the target (links resolved
// inside the root): missing parents are created, whatever the image has there is renamed
// aside in the same directory; the caller fills the slot; after the command the caller drains
// it, the original is renamed back, created parents are removed and the directory that
// changed gets its times back. What the snapshot must not see is reported as exclusions.
import { randomBytes } from 'node:crypto';
import { lstat, rename, rm, rmdir, utimes } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { KilnError } from '../../shared/errors.ts';
import { mkdirInRoot, resolveInRoot } from '../root/run-paths.ts';
import { relOfHost } from '../root/workspace.ts';

/** What a RUN's mounts did to the tree, for the snapshot diff (see filterMountChanges). */
export interface MountExclusions {
  /** Root-relative paths the mounts occupied: they and everything below are left out. */
  mounted: string[];
  /** Directories whose times were put back: a ctime-only change there is no change. */
  timesRestored: string[];
}

export interface Slot {
  /** The image path asked for. */
  readonly target: string;
  /** Host path to fill (absent until the caller creates it). */
  readonly host: string;
  /** Root-relative path of `host` (links resolved). */
  readonly rel: string;
}

interface SlotState extends Slot {
  root: string;
  aside?: string;
  /** Host paths of parents created for the slot, outermost first. */
  created: string[];
  /** The existing directory whose entries the slot changed, with its times before. */
  anchor: { host: string; atime: number; mtime: number; sealedMtimeMs?: number };
}

/** Open a slot at `target` (absolute image path) in `root`. */
export async function openSlot(root: string, target: string): Promise<SlotState> {
  const clean = posix.normalize('/' + target);
  if (clean === '/') throw new KilnError('E_STEP', 'RUN --mount: the target cannot be "/"');
  const parentImage = posix.dirname(clean);
  let anchorHost = await firstExisting(root, parentImage);
  let anchorSt = await lstat(anchorHost);
  const created = await mkdirInRoot(root, parentImage);
  const host = join(await resolveInRoot(root, parentImage), posix.basename(clean));
  const finalHost = (await lstat(host).catch(() => undefined))?.isSymbolicLink() === true ? await resolveInRoot(root, clean) : host;
  const rel = relOfHost(root, finalHost);
  if (rel === undefined || rel === '/') throw new KilnError('E_UNSAFE_PATH', `RUN --mount: target ${target} resolves outside the build root`);
  if (finalHost !== host) {
    // The target is a link: the slot sits where it leads, whose directory must exist.
    anchorHost = dirname(finalHost);
    const st = await lstat(anchorHost).catch(() => undefined);
    if (st?.isDirectory() !== true) throw new KilnError('E_STEP', `RUN --mount: target ${target} is a link to ${rel}, whose directory does not exist`);
    anchorSt = st;
  }
  const createdHosts: string[] = [];
  for (const p of created) createdHosts.push(await resolveInRoot(root, p));
  const slot: SlotState = { root, target: clean, host: finalHost, rel, created: createdHosts, anchor: { host: anchorHost, atime: anchorSt.atimeMs / 1000, mtime: anchorSt.mtimeMs / 1000 } };
  if ((await lstat(finalHost).catch(() => undefined)) !== undefined) {
    slot.aside = join(dirname(finalHost), `.kiln-aside-${randomBytes(6).toString('hex')}-${basename(finalHost)}`.slice(0, 250));
    await rename(finalHost, slot.aside);
  }
  return slot;
}

/** Record the anchor's state once the slot is filled (to tell the command's changes from ours). */
export async function sealSlot(slot: SlotState): Promise<void> {
  const st = await lstat(slot.anchor.host).catch(() => undefined);
  if (st !== undefined) slot.anchor.sealedMtimeMs = st.mtimeMs;
}

/**
 * Drain the slot (`drain` takes the content out of `host`), put back what was there. Returns
 * the anchor's root-relative path when its times were restored.
 */
export async function closeSlot(slot: SlotState, drain: (host: string) => Promise<void>): Promise<string | undefined> {
  const before = await lstat(slot.anchor.host).catch(() => undefined);
  // Within a millisecond: the run may itself put times back with millisecond precision.
  const untouched = before !== undefined && slot.anchor.sealedMtimeMs !== undefined && Math.abs(before.mtimeMs - slot.anchor.sealedMtimeMs) < 1;
  await drain(slot.host);
  await rm(slot.host, { recursive: true, force: true });
  if (slot.aside !== undefined) {
    // ENOENT: the command removed a directory above the mount, and with it what was aside.
    await rename(slot.aside, slot.host).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
  let kept = false;
  for (const dir of [...slot.created].reverse()) {
    await rmdir(dir).catch(() => (kept = true)); // kept when the command wrote into it
  }
  if (!untouched || kept) return undefined;
  await utimes(slot.anchor.host, slot.anchor.atime, slot.anchor.mtime);
  return relOfHost(slot.root, slot.anchor.host);
}

async function firstExisting(root: string, imagePath: string): Promise<string> {
  let p = imagePath;
  for (;;) {
    const host = await resolveInRoot(root, p);
    const st = await lstat(host).catch(() => undefined);
    if (st?.isDirectory() === true) return host;
    if (p === '/') return root;
    p = posix.dirname(p);
  }
}

export type { SlotState };
